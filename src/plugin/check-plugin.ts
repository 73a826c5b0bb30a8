// Checks that a value is a plugin nsbox can use before anything of it runs: the contract's shape,
// the API version, a name that clashes with no command, flags derivable from its options schema
// and clashing with no run option. Built-in and third-party plugins go through the same check.
import { EXIT } from "../base/errors.ts";
import { PLUGIN_API_VERSION, type NsboxPlugin } from "./define.ts";
import { optionFlags } from "./options-flags.ts";
import { PluginError } from "../base/errors.ts";

/** nsbox's own command words: a plugin of that name could never be reached as `nsbox NAME`. */
export const COMMAND_NAMES: readonly string[] = [
  "run", "plan", "ps", "exec", "stop", "ns", "gc", "check", "plugin", "stage", "help", "explain", "selftest", "export", "completion", "ranges",
  // Not commands, but folders beside each plugin's state folder in /var/lib/nsbox: installed
  // plugins, the id ranges of named sandboxes and the stamps of state directories (docs/ids.md).
  "plugins", "id-ranges", "state-stamps",
];

export const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
const COMMAND_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export interface CheckOptions {
  /** Where it came from, for messages before its name is known (a file path, "built-in"). */
  source: string;
  /** Flags its options must not take: the run options and nsbox's own (`--plugin`, `--json` ...). */
  reservedFlags: ReadonlySet<string>;
}

const isSchema = (x: unknown): boolean => typeof x === "object" && x !== null && typeof (x as { "~run"?: unknown })["~run"] === "function";
const isFunction = (x: unknown): boolean => typeof x === "function";

/** The first thing wrong with a plugin that has a usable name; undefined when none is. */
function problemOf(p: Record<string, unknown>, reservedFlags: ReadonlySet<string>): string | undefined {
  if (COMMAND_NAMES.includes(p.name as string)) return `its name clashes with the nsbox command '${p.name}'`;
  if (p.apiVersion !== PLUGIN_API_VERSION) {
    return `it needs plugin API version ${JSON.stringify(p.apiVersion)}; this nsbox implements version ${PLUGIN_API_VERSION}`;
  }
  if (typeof p.version !== "string" || p.version === "") return "its version must be a non-empty string";
  if (typeof p.description !== "string") return "its description must be a string";
  if (!isFunction(p.plan)) return "plan must be a function";
  if (!isSchema(p.options)) return "options must be a valibot schema";
  try {
    for (const flag of optionFlags(p.options as NsboxPlugin["options"])) {
      // `--no-X` is how a boolean is switched off: neither form may shadow a run option.
      const clash = [flag.name, `no-${flag.name}`].find((n) => reservedFlags.has(n));
      if (clash) return `its option '${flag.key}' clashes with nsbox's own --${clash}`;
    }
    if (p.config !== undefined) {
      if (!isSchema(p.config)) return "config must be a valibot schema";
      const bad = optionFlags(p.config as NsboxPlugin["options"]).find((f) => f.kind !== "string" && f.kind !== "choice");
      if (bad) return `its config setting '${bad.key}' must be a string or a picklist`;
    }
  } catch (e) {
    return (e as Error).message;
  }
  if (p.example !== undefined && typeof p.example !== "string") return "example must be a string";
  if (p.hooks !== undefined) {
    const hooks = p.hooks as Record<string, unknown>;
    if (typeof hooks !== "object" || hooks === null) return "hooks must be an object";
    for (const k of Object.keys(hooks)) {
      if (k !== "setup" && k !== "teardown") return `unknown hook '${k}' (hooks are setup and teardown)`;
      if (!isFunction(hooks[k])) return `hook ${k} must be a function`;
    }
  }
  if (p.commands !== undefined) {
    if (!Array.isArray(p.commands)) return "commands must be an array";
    const seen = new Set<string>();
    for (const c of p.commands as Record<string, unknown>[]) {
      if (typeof c !== "object" || c === null || typeof c.name !== "string" || !COMMAND_PATTERN.test(c.name)) {
        return `command ${JSON.stringify(c?.name)} needs a name of lowercase letters, digits and '-'`;
      }
      if (seen.has(c.name)) return `it has two commands named '${c.name}'`;
      seen.add(c.name);
      if (typeof c.description !== "string" || typeof c.usage !== "string") return `command '${c.name}' needs a description and a usage string`;
      if (!isFunction(c.run)) return `command '${c.name}' needs a run function`;
    }
  }
  return undefined;
}

/**
 * Returns the value as a plugin, or throws a PluginError naming it (or its source, when it has
 * no usable name): exit 125, since the plugin is at fault, not the command line.
 */
export function checkPlugin(value: unknown, { source, reservedFlags }: CheckOptions): NsboxPlugin {
  if (typeof value !== "object" || value === null) throw new PluginError(source, "it is not a plugin object (see docs/plugins.md)");
  const p = value as Record<string, unknown>;
  if (typeof p.name !== "string" || !PLUGIN_NAME_PATTERN.test(p.name)) {
    throw new PluginError(source, `its name ${JSON.stringify(p.name)} must be 1-32 lowercase letters, digits or '-', starting with a letter`);
  }
  const problem = problemOf(p, reservedFlags);
  if (problem) throw new PluginError(p.name, problem, EXIT.failed);
  return value as NsboxPlugin;
}
