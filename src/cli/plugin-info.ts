// What `nsbox plugin list` and `nsbox plugin info NAME` print: a table of plugins, and one
// plugin's options (as the flags nsbox derived from its schema), settings, commands and example.
// Text for people, --json for programs; pure functions of the catalog's data.
import type { PluginRow } from "../core/plugins/catalog.ts";
import type { NsboxPlugin } from "../plugin/define.ts";
import { flagUsage, optionFlags, type PluginFlag } from "../plugin/options-flags.ts";

function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}`.trimEnd() + "\n").join("");
}

const stateOf = (r: PluginRow) => (r.problem ? "refused" : r.enabled ? "enabled" : "available");

export function formatPluginList(rows: readonly PluginRow[]): string {
  if (rows.length === 0) return "no plugins (install one with: nsbox plugin add PATH)\n";
  const lines = table([["NAME", "VERSION", "KIND", "STATE", "DESCRIPTION"], ...rows.map((r) => [r.name, r.version, r.kind, stateOf(r), r.description])]);
  const problems = rows.filter((r) => r.problem).map((r) => `${r.name}: ${r.problem}\n`);
  return lines + (problems.length > 0 ? `\n${problems.join("")}` : "");
}

/** One option or setting as data: its flag, type, default and help. */
export interface FlagInfo {
  flag: string;
  type: string;
  required: boolean;
  default?: unknown;
  choices?: readonly string[];
  help: string;
}

function flagInfo(f: PluginFlag, flag = flagUsage(f)): FlagInfo {
  return { flag, type: f.kind, required: f.required, ...(f.default !== undefined ? { default: f.default } : {}), ...(f.choices ? { choices: f.choices } : {}), help: f.help };
}

export interface PluginInfo {
  name: string;
  version: string;
  kind: string;
  enabled: boolean;
  description: string;
  options: FlagInfo[];
  settings: FlagInfo[];
  commands: { name: string; usage: string; description: string }[];
  example?: string;
}

export function pluginInfo(plugin: NsboxPlugin, kind: string, enabled: boolean): PluginInfo {
  return {
    name: plugin.name,
    version: plugin.version,
    kind,
    enabled,
    description: plugin.description,
    options: optionFlags(plugin.options).map((f) => flagInfo(f)),
    settings: plugin.config ? optionFlags(plugin.config).map((f) => flagInfo(f, `${f.key}=${f.metavar}`)) : [],
    commands: (plugin.commands ?? []).map((c) => ({ name: c.name, usage: `nsbox ${plugin.name} ${c.name} ${c.usage}`.trimEnd(), description: c.description })),
    ...(plugin.example ? { example: plugin.example } : {}),
  };
}

function flagLines(flags: readonly FlagInfo[]): string[] {
  const width = Math.max(...flags.map((f) => f.flag.length));
  return flags.map((f) => {
    const notes = [f.required ? "required" : "", f.default !== undefined && f.type !== "boolean" ? `default: ${JSON.stringify(f.default)}` : ""].filter(Boolean);
    const text = [f.help, notes.length > 0 ? `(${notes.join(", ")})` : ""].filter(Boolean).join(" ");
    return `  ${f.flag.padEnd(width)}  ${text}`.trimEnd();
  });
}

export function formatPluginInfo(info: PluginInfo): string {
  const lines = [`${info.name} ${info.version} (${info.kind}${info.enabled ? ", enabled" : ""})`, info.description, ""];
  lines.push(`Options (nsbox run --plugin ${info.name} [OPTIONS] [run options] -- COMMAND):`);
  lines.push(...(info.options.length > 0 ? flagLines(info.options) : ["  none"]), "");
  if (info.settings.length > 0) lines.push(`Settings (nsbox plugin add ${info.name} --set KEY=VALUE):`, ...flagLines(info.settings), "");
  if (info.commands.length > 0) {
    const width = Math.max(...info.commands.map((c) => c.usage.length));
    lines.push("Commands:", ...info.commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.description}`), "");
  }
  if (info.example) lines.push("Example:", ...info.example.trim().split("\n").map((l) => `  ${l.trim()}`), "");
  return `${lines.join("\n").trimEnd()}\n`;
}
