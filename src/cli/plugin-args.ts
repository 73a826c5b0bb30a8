// What `run` and `plan` take for plugins: `--plugin NAME` with that plugin's own flags (derived
// from its options schema, taken out of argv before the run options are parsed) and
// `--config-dir DIR`. Also the set of flag names plugins must leave to nsbox, and opening the
// plugin catalog for a command.
import { pluginPaths } from "../core/plugins/paths.ts";
import { openCatalog, requirePlugin, type PluginCatalog } from "../core/plugins/catalog.ts";
import { UsageError } from "../core/errors.ts";
import { optionFlags, parseOptionFlags } from "../plugin/options-flags.ts";
import { usePlugin, type PluginUse } from "../plugin/plan-with-plugin.ts";
import { pluginFailure } from "../plugin/plugin-error.ts";
import { builtinRegistry } from "../plugin/registry.ts";
import type { PlanContext } from "../model/context.ts";
import { LOG_FLAGS } from "./log-flags.ts";
import type { ExtraFlag } from "./parse-args.ts";
import { PROFILE_FLAG } from "./sandbox-command.ts";
import { findSandboxOption, SANDBOX_OPTIONS } from "./sandbox-options.ts";

export const CONFIG_DIR_FLAG: ExtraFlag = {
  name: "config-dir", args: ["DIR"],
  help: "read and write plugins.toml in DIR, with installed plugins and their state beside it (default /etc/nsbox and /var/lib/nsbox)",
};

/** `run` and `plan`'s plugin flags (listed in their help; parsed here, before the run options). */
export const PLUGIN_FLAGS: readonly ExtraFlag[] = [
  { name: "plugin", args: ["NAME"], help: "let plugin NAME plan the sandbox; its own flags may follow (nsbox plugin info NAME)" },
  CONFIG_DIR_FLAG,
];

/** Flag names a plugin's options must not take: every run option and nsbox's own switches. */
export const RESERVED_FLAGS: ReadonlySet<string> = new Set([
  ...SANDBOX_OPTIONS.map((o) => o.name),
  ...[PROFILE_FLAG, ...LOG_FLAGS, ...PLUGIN_FLAGS].map((f) => f.name),
  "json", "wire", "save", "append-args", "stage", "help", "version",
]);

/** How many values a flag other than a plugin's takes, so its values are not read as flags. */
function arityFor(extraFlags: readonly ExtraFlag[]): (name: string) => number | undefined {
  return (name) => (findSandboxOption(name) ?? [PROFILE_FLAG, ...extraFlags].find((f) => f.name === name))?.args.length;
}

/** The catalog of plugins this invocation sees (plugins.toml read once, built-ins checked). */
export function pluginCatalog(ctx: PlanContext, configDir?: string): PluginCatalog {
  return openCatalog(pluginPaths(ctx.uid, ctx.env, ctx.cwd, configDir), builtinRegistry(RESERVED_FLAGS), RESERVED_FLAGS, ctx.uid);
}

/**
 * Takes `--config-dir DIR` out of a plugin command's args, anywhere before `--` (the command's
 * own flags are its business, so no arity is known): the directory, and the rest in order.
 */
export function takeConfigDir(args: readonly string[]): { configDir?: string; rest: string[] } {
  const rest: string[] = [];
  let configDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (token === "--config-dir") {
      configDir = args[++i];
      if (configDir === undefined) throw new UsageError("--config-dir needs a value (DIR)");
    } else if (token.startsWith("--config-dir=")) configDir = token.slice("--config-dir=".length);
    else rest.push(token);
  }
  return { configDir, rest };
}

/**
 * Takes `--plugin NAME` and `--config-dir DIR` out of args, up to `--` or the command. The
 * plugin's own flags are not known before the plugin is found, so one of them takes the next
 * word as its value unless that word starts with '-' (a switch followed by the command, with
 * no `--`, only hides later global flags: they belong first, as the docs show).
 */
function takeGlobalFlags(args: readonly string[], extraFlags: readonly ExtraFlag[]): { plugin?: string; configDir?: string; rest: string[] } {
  const arity = arityFor(extraFlags);
  const found: { plugin?: string; configDir?: string } = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === "--" || !token.startsWith("--")) {
      rest.push(...args.slice(i));
      break;
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq > 0 ? eq : undefined);
    if (name === "plugin" || name === "config-dir") {
      const value = eq > 0 ? token.slice(eq + 1) : args[++i];
      if (value === undefined || value === "--" || value === "") throw new UsageError(`--${name} needs a value (${name === "plugin" ? "NAME" : "DIR"})`);
      found[name === "plugin" ? "plugin" : "configDir"] = value;
      continue;
    }
    const known = arity(name);
    const next = args[i + 1];
    const take = eq > 0 ? 0 : (known ?? (next !== undefined && !next.startsWith("-") ? 1 : 0));
    rest.push(...args.slice(i, i + 1 + take));
    i += take;
  }
  return { ...found, rest };
}

/**
 * Takes `--plugin NAME`, `--config-dir DIR` and the plugin's own flags out of args; returns the
 * rest (run options, `--`, the command) and the plugin with its validated options.
 */
export async function pluginFromArgs(args: readonly string[], extraFlags: readonly ExtraFlag[], ctx: PlanContext): Promise<{ rest: string[]; plugin?: PluginUse }> {
  const global = takeGlobalFlags(args, extraFlags);
  if (global.plugin === undefined) return { rest: global.rest };
  const { plugin } = await requirePlugin(pluginCatalog(ctx, global.configDir), global.plugin);
  try {
    const own = parseOptionFlags(optionFlags(plugin.options), global.rest, arityFor(extraFlags));
    return { rest: own.rest, plugin: usePlugin(plugin, own.input) };
  } catch (e) {
    throw pluginFailure(plugin.name, "bad options", e, `see nsbox plugin info ${plugin.name}`);
  }
}
