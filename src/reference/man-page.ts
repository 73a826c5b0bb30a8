// nsbox(1) in roff (man(7) macros), rendered from the reference at build time: every command
// with its usage, flags and examples, the sandbox options once, the built-in plugins, profile
// files and exit statuses. Pure; scripts/build-man.ts writes it to dist/nsbox.1.
import type { CommandRef, FlagRef, Reference } from "./model.ts";

export interface ManExtras {
  /** One line for NAME. */
  description: string;
  /** Exit statuses and what each means. */
  exitStatus: readonly (readonly [string, string])[];
}

/** Text for a roff line: backslashes escaped, hyphens literal, `code` in bold, no leading control dot. */
export function roffText(text: string): string {
  const escaped = text.replace(/\\/g, "\\e").replace(/-/g, "\\-").replace(/'/g, "\\(aq").replace(/`([^`]*)`/g, "\\fB$1\\fR");
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

const bold = (text: string) => `\\fB${roffText(text)}\\fR`;
const italic = (text: string) => `\\fI${roffText(text)}\\fR`;

function flagItem(f: FlagRef): string[] {
  const args = f.args.map(italic).join(" ");
  // The choices, unless the help or the metavariable already names them all.
  const named = (c: string) => new RegExp(`\\b${c}\\b`).test(`${f.help} ${f.args.join(" ")}`);
  const choices = f.choices && !f.choices.every(named) ? ` (${f.choices.join(", ")})` : "";
  return [".TP", `${bold(`--${f.name}`)}${args ? ` ${args}` : ""}`, roffText(`${f.help || "see the usage above"}${choices}`)];
}

function usageBlock(lines: readonly string[]): string[] {
  return lines.flatMap((u) => [".PP", `${bold("nsbox")} ${roffText(u)}`]);
}

function examples(list: readonly string[]): string[] {
  if (list.length === 0) return [];
  return [".PP", "Examples:", ".RS", ".nf", ...list.flatMap((e) => e.split("\n")).map(roffText), ".fi", ".RE"];
}

function commandSection(c: CommandRef): string[] {
  return [
    `.SS ${roffText(c.name)}`,
    roffText(c.summary),
    ...usageBlock(c.usage),
    ...(c.sandbox ? [".PP", `Takes the ${bold("SANDBOX OPTIONS")} below.`] : []),
    ...c.flags.filter((f) => f.name !== "help").flatMap(flagItem),
    ...examples(c.examples),
  ];
}

function pluginSection(c: CommandRef): string[] {
  return [
    `.SS ${roffText(c.name)}`,
    roffText(c.summary),
    ...c.words.flatMap((w) => [".TP", `${bold(`nsbox ${c.name} ${w.name}`)}`, roffText(w.help)]),
    ...usageBlock(c.usage),
    ...(c.plugin?.flags.length ? [".PP", `With ${bold(`nsbox run --plugin ${c.name}`)}:`, ...c.plugin.flags.flatMap(flagItem)] : []),
    ...examples(c.examples),
  ];
}

export function manPage(ref: Reference, extras: ManExtras): string {
  const builtins = ref.commands.filter((c) => c.plugin);
  const commands = ref.commands.filter((c) => !c.plugin);
  const lines = [
    `.\\" nsbox(1), generated from nsbox's option tables by scripts/build-man.ts: edit those, not this file.`,
    `.TH NSBOX 1 "" "${roffText(`nsbox ${ref.version}`)}" "User Commands"`,
    // Options and paths must not be hyphenated or stretched.
    ".nh",
    ".ad l",
    ".SH NAME",
    `nsbox \\- ${roffText(extras.description)}`,
    ".SH SYNOPSIS",
    ...commands.flatMap((c) => c.usage.flatMap((u) => [".br", `${bold("nsbox")} ${roffText(u)}`])).slice(1),
    ".SH DESCRIPTION",
    roffText("nsbox runs a command in a sandbox built from Linux namespaces: by default every namespace but time is new, root inside is an unprivileged host range, the host's files are read-only, /tmp, /run, /proc and /dev are private, no capability is kept, no_new_privs is set and a seccomp filter is loaded."),
    ".PP",
    roffText("A sandbox is planned as a value first (nsbox plan shows it) and then built by a small static stage that nsbox executes into. The same plan can be written as a systemd unit or an OCI runtime bundle (nsbox export)."),
    ".SH COMMANDS",
    ...commands.flatMap(commandSection),
    ".SH SANDBOX OPTIONS",
    roffText("Taken by run, plan, selftest, explain and export, in the order given (later ones win). A profile file (--profile) holds the same options as TOML or JSON keys named like the flags: hostname = \"web\", ro-bind = [[\"/srv\", \"/srv\"]], clearenv = true."),
    ...ref.sandboxOptions.flatMap(flagItem),
    ".SH GLOBAL OPTIONS",
    ...ref.globalFlags.flatMap(flagItem),
    ...(builtins.length ? [".SH PLUGINS", roffText("Built into this nsbox; third-party plugins are added with nsbox plugin add."), ...builtins.flatMap(pluginSection)] : []),
    ".SH EXIT STATUS",
    ...extras.exitStatus.flatMap(([code, meaning]) => [".TP", bold(code), roffText(meaning)]),
    ".SH FILES",
    ".TP", bold("/etc/subuid"), roffText("the nsbox entry is the host range root inside a sandbox maps to"),
    ".TP", bold("/run/nsbox"), roffText("records of running sandboxes and what nsbox gc may remove"),
    ".TP", bold("/etc/nsbox/plugins.toml"), roffText("added and installed plugins"),
    ".SH SEE ALSO",
    `${bold("bwrap")}(1), ${bold("crun")}(1), ${bold("systemd.exec")}(5), ${bold("namespaces")}(7), ${bold("user_namespaces")}(7), ${bold("seccomp")}(2), ${bold("capabilities")}(7)`,
  ];
  return `${lines.join("\n")}\n`;
}
