// Reads the command reference (reference/model.ts) from the tables the parser uses: cac's
// command table (names, summaries, usage lines, flags), the sandbox option table and each
// plugin's commands and valibot options. The one place completions and the man page learn
// what nsbox accepts.
import type { CAC, Command } from "cac";
import { EXIT } from "../core/errors.ts";
import type { NsboxPlugin } from "../plugin/define.ts";
import { flagUsage, optionFlags } from "../plugin/options-flags.ts";
import type { CommandRef, FlagRef, Reference, WordRef } from "../reference/model.ts";
import { SANDBOX_OPTIONS } from "./sandbox-options.ts";

/** A plugin known by name only (installed, not loaded: completion runs none of its code). */
export interface PluginName {
  name: string;
  description: string;
}

const SANDBOX_NAMES = new Set(SANDBOX_OPTIONS.map((o) => o.name));
const WORD = /^[a-z][a-z0-9-]*$/;

/** `yes|no` as a metavariable is a list of choices. */
function choicesOf(args: readonly string[]): string[] | undefined {
  const words = args.length === 1 ? args[0]!.split("|") : [];
  return words.length > 1 && words.every((w) => WORD.test(w)) ? words : undefined;
}

/** cac's `-h, --help` or `--bind <SRC> <DST>` → the flag. */
function flagOf(rawName: string, help: string): FlagRef {
  const tokens = rawName.replace(/^-\w,\s*/, "").split(/\s+/);
  const args = tokens.slice(1).map((t) => t.replace(/^[<[](.*)[>\]]$/, "$1"));
  const choices = choicesOf(args);
  return { name: tokens[0]!.replace(/^--/, ""), args, help, ...(choices ? { choices } : {}) };
}

/** The alternatives of a usage text (`a | b`), each without `nsbox `, starting with the command. */
function usageLines(command: string, usage: string): string[] {
  return usage.split(/\s+\|\s+/).map((u) => u.replace(/^nsbox /, "")).map((u) => (u.startsWith(`${command} `) || u === command ? u : `${command} ${u}`));
}

/** Subcommands: the words a usage line puts right after the command (`ns ls`, `export oci`). */
function wordsOf(command: string, lines: readonly string[]): WordRef[] {
  return lines.flatMap((line) => {
    const first = line.slice(command.length + 1).split(/\s+/)[0] ?? "";
    const names = first.split("|");
    return names.every((w) => WORD.test(w)) ? names.map((name) => ({ name, help: `nsbox ${line}` })) : [];
  });
}

/** `--listen ADDR`, `--policy internet|lan|isolated`, `--json` in a plugin command's usage text. */
function flagsInUsage(usage: string): FlagRef[] {
  const flags = [...usage.matchAll(/--([a-z][a-z0-9-]*)(?:[ =]([^\s[\]-][^\s[\]]*))?/g)];
  return flags.map(([, name, meta]) => {
    const args = meta ? [meta] : [];
    const choices = choicesOf(args);
    return { name: name!, args, help: "", ...(choices ? { choices } : {}) };
  });
}

function commandOf(c: Command): CommandRef {
  const usage = usageLines(c.name, (c as Command & { usageText?: string }).usageText ?? c.rawName.replace(/\s*\[\.\.\.\w+\]$/, ""));
  const flags = c.options.map((o) => flagOf(o.rawName, o.description));
  // A sandbox command takes the whole table (`ns persist` takes only --unshare of it).
  const sandbox = [...SANDBOX_NAMES].every((name) => flags.some((f) => f.name === name));
  return {
    name: c.name,
    summary: c.description,
    usage,
    flags: sandbox ? flags.filter((f) => !SANDBOX_NAMES.has(f.name)) : flags,
    sandbox,
    words: wordsOf(c.name, usage),
    runsCommand: usage.some((u) => / -- COMMAND/.test(u)),
    // parse-args.ts: the command starts at `--` or at the first word that is not an option.
    ...(sandbox ? { bareCommand: true } : {}),
    ...(c.name === "help" ? { namesCommand: true } : {}),
    examples: c.examples.filter((e): e is string => typeof e === "string").map((e) => e.trim()),
  };
}

function pluginOf(plugin: NsboxPlugin): CommandRef {
  const commands = plugin.commands ?? [];
  return {
    name: plugin.name,
    summary: plugin.description,
    usage: commands.map((c) => `${plugin.name} ${c.name} ${c.usage}`.trimEnd()),
    flags: [],
    sandbox: false,
    words: commands.map((c) => ({ name: c.name, help: c.description, flags: flagsInUsage(c.usage), sandbox: /run options/.test(c.usage) })),
    runsCommand: commands.some((c) => / -- /.test(c.usage)),
    examples: plugin.example ? [plugin.example] : [],
    plugin: {
      flags: optionFlags(plugin.options).map((f) => ({
        name: f.name, args: f.kind === "boolean" ? [] : [f.metavar], help: f.help || flagUsage(f), ...(f.choices ? { choices: f.choices } : {}),
      })),
    },
  };
}

/**
 * The reference of `cli` (createCli's command table) with these plugins' command groups. Plugins
 * known only by name (installed ones that are not loaded) add a name and nothing else.
 */
export function commandReference(cli: CAC, version: string, plugins: readonly NsboxPlugin[], names: readonly PluginName[] = []): Reference {
  const pluginNames = [...plugins.map((p) => p.name), ...names.map((n) => n.name)];
  const withPluginChoices = (f: FlagRef): FlagRef => (f.name === "plugin" ? { ...f, choices: pluginNames } : f);
  const commands = cli.commands.map(commandOf).map((c) => ({ ...c, flags: c.flags.map(withPluginChoices) }));
  const named: CommandRef[] = names.map((n) => ({ name: n.name, summary: n.description, usage: [n.name], flags: [], sandbox: false, words: [], runsCommand: false, examples: [] }));
  return {
    program: "nsbox",
    version,
    commands: [...commands, ...plugins.map(pluginOf), ...named],
    sandboxOptions: SANDBOX_OPTIONS.map((o) => ({ name: o.name, args: o.args, help: o.help, ...(o.choices ? { choices: o.choices } : {}) })),
    globalFlags: cli.globalCommand.options.map((o) => flagOf(o.rawName, o.description)),
  };
}

/** The exit statuses (DESIGN.md §4), for the man page. */
export const EXIT_STATUS: readonly (readonly [string, string])[] = [
  [String(EXIT.ok), "success"],
  [String(EXIT.usage), "bad usage: an unknown option, a malformed value, options that contradict each other; nothing was done"],
  [String(EXIT.failed), "nsbox itself failed (setup, permissions, the host); what it made is removed again"],
  [String(EXIT.notExecutable), "the command was found but could not be executed"],
  [String(EXIT.notFound), "the command was not found"],
  ["other", "the command's own exit status; 128+N when it was killed by signal N"],
];
