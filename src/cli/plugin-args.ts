// What `run` and `plan` take for plugins: `--plugin NAME` with that plugin's own flags (derived
// from its options schema and read by the same strict pass as the run options, once the plugin
// is known) and `--config-dir DIR`. Also the set of flag names plugins must leave to nsbox, and
// opening the plugin catalog for a command.
import { flagsOf, scanArgs, shapeTable } from "../base/argv.ts";
import { UsageError } from "../base/errors.ts";
import { pluginPaths } from "../core/plugins/paths.ts";
import { openCatalog, requirePlugin, type PluginCatalog } from "../core/plugins/catalog.ts";
import { corePluginServices } from "../core/plugin-services.ts";
import type { NsboxPlugin } from "../plugin/define.ts";
import type { PlanContext } from "../model/context.ts";
import { builtinRegistry } from "./builtin-plugins.ts";
import { LOG_FLAGS } from "./log-flags.ts";
import type { ExtraFlag } from "./parse-args.ts";
import { PROFILE_FLAG } from "./sandbox-command.ts";
import { SANDBOX_OPTIONS } from "./sandbox-options.ts";

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

/** The catalog of plugins this invocation sees (plugins.toml read once, built-ins checked, the host services). */
export function pluginCatalog(ctx: PlanContext, configDir?: string): PluginCatalog {
  return openCatalog(pluginPaths(ctx.uid, ctx.env, ctx.cwd, configDir), builtinRegistry(RESERVED_FLAGS), RESERVED_FLAGS, ctx.uid, corePluginServices);
}

/**
 * Takes `--config-dir DIR` out of a plugin command's args, anywhere before `--` (the command's
 * own flags are its business, so no arity is known): the directory, and the rest in order.
 */
export function takeConfigDir(args: readonly string[]): { configDir?: string; rest: string[] } {
  const scan = scanArgs(args, { shape: shapeTable([CONFIG_DIR_FLAG]), unknown: "alone", words: "collect" });
  let configDir: string | undefined;
  const rest: string[] = [];
  for (const item of scan.items) {
    if (item.kind === "word") rest.push(item.value);
    else if (item.known) configDir = item.values[0];
    else rest.push(...item.raw);
  }
  return { configDir, rest: scan.dashdash ? [...rest, "--", ...scan.rest] : rest };
}

/**
 * Finds `--plugin NAME` and `--config-dir DIR` among the options, up to `--` or the command, and
 * takes them out. The plugin's own flags are not known before the plugin is found, so in this
 * first look one of them takes the next word as its value unless that word starts with '-' (a
 * switch followed by the command, with no `--`, only hides later global flags: they belong
 * first, as the docs show). The strict pass that follows knows every flag.
 */
function takeGlobalFlags(args: readonly string[], extraFlags: readonly ExtraFlag[]): { plugin?: string; configDir?: string; rest: string[] } {
  const scan = scanArgs(args, { shape: shapeTable(PLUGIN_FLAGS, SANDBOX_OPTIONS, [PROFILE_FLAG], extraFlags), unknown: "guess" });
  const found: { plugin?: string; configDir?: string } = {};
  const rest: string[] = [];
  for (const flag of flagsOf(scan)) {
    if (flag.name === "plugin" || flag.name === "config-dir") {
      const value = flag.values[0]!;
      if (value === "") throw new UsageError(`--${flag.name} needs a value (${flag.name === "plugin" ? "NAME" : "DIR"})`);
      found[flag.name === "plugin" ? "plugin" : "configDir"] = value;
    } else rest.push(...flag.raw);
  }
  return { ...found, rest: [...rest, ...(scan.dashdash ? ["--"] : []), ...scan.rest] };
}

/** Takes `--plugin NAME` and `--config-dir DIR` out of args and finds the plugin; the rest in order. */
export async function pluginFromArgs(args: readonly string[], extraFlags: readonly ExtraFlag[], ctx: PlanContext): Promise<{ rest: string[]; plugin?: NsboxPlugin }> {
  const global = takeGlobalFlags(args, extraFlags);
  if (global.plugin === undefined) return { rest: global.rest };
  const { plugin } = await requirePlugin(pluginCatalog(ctx, global.configDir), global.plugin);
  return { rest: global.rest, plugin };
}
