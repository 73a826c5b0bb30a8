// `nsbox plugin list [--json]`, `plugin info NAME [--json]`, `plugin add NAME|PATH [--set
// KEY=VALUE]...` and `plugin remove NAME [--force]`, each with `--config-dir DIR`. The argv is
// parsed here; the work is one call into core/plugins (add.ts, remove.ts, catalog.ts).
import type { CAC } from "cac";
import { flagsOf, scanArgs, shapeTable, wordsOf } from "../base/argv.ts";
import { UsageError } from "../base/errors.ts";
import { logger } from "../core/log.ts";
import { addPlugin } from "../core/plugins/add.ts";
import { listPlugins, requirePlugin } from "../core/plugins/catalog.ts";
import { removePlugin } from "../core/plugins/remove.ts";
import type { CliIo } from "./io.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { CONFIG_DIR_FLAG, pluginCatalog } from "./plugin-args.ts";
import { formatPluginInfo, formatPluginList, pluginInfo } from "./plugin-info.ts";
import type { ExtraFlag } from "./parse-args.ts";

const log = logger("plugin");

export const PLUGIN_USAGE = "nsbox plugin list | info NAME | add NAME|PATH [--set KEY=VALUE]... | remove NAME [--force]";

const FLAGS: readonly ExtraFlag[] = [
  { name: "json", args: [], help: "list, info: print JSON" },
  { name: "set", args: ["KEY=VALUE"], help: "add: a setting of the plugin (repeatable; see plugin info)" },
  { name: "force", args: [], help: "remove: remove it even when its teardown fails" },
  CONFIG_DIR_FLAG,
  ...LOG_FLAGS,
];

/** The subcommand's words and flags (a flag's values; `set` keeps every one, in order). */
function parsePluginArgs(args: readonly string[]): { words: string[]; flags: Map<string, string[]> } {
  const hint = `usage: ${PLUGIN_USAGE}`;
  const scan = scanArgs(args, { shape: shapeTable(FLAGS), words: "collect", hint });
  if (scan.dashdash) throw new UsageError("unknown option '--'", hint);
  const flags = new Map<string, string[]>();
  for (const f of flagsOf(scan)) flags.set(f.name, [...(flags.get(f.name) ?? []), ...f.values]);
  return { words: wordsOf(scan), flags };
}

function parseSettings(values: readonly string[]): [string, string][] {
  return values.map((kv) => {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set ${kv}: expected KEY=VALUE`);
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  });
}

function onlyFor(flags: Map<string, string[]>, sub: string, allowed: readonly string[]): void {
  for (const name of flags.keys()) {
    if (![...allowed, "config-dir", "quiet", "verbose"].includes(name)) throw new UsageError(`--${name} does not apply to plugin ${sub}`);
  }
}

function oneName(words: string[], sub: string, what = "NAME"): string {
  if (words.length !== 2) throw new UsageError(`plugin ${sub} takes one ${what}`, `usage: ${PLUGIN_USAGE}`);
  return words[1]!;
}

export async function pluginCommand(args: readonly string[], io: CliIo): Promise<void> {
  const { words, flags } = parsePluginArgs(args);
  applyLogFlags(flags);
  const sub = words[0];
  const ctx = io.context();
  const catalog = () => pluginCatalog(ctx, flags.get("config-dir")?.at(-1));
  const json = flags.has("json");
  switch (sub) {
    case "list": {
      onlyFor(flags, sub, ["json"]);
      if (words.length > 1) throw new UsageError("plugin list takes no arguments");
      const rows = listPlugins(catalog());
      io.stdout(json ? `${JSON.stringify(rows, null, 2)}\n` : formatPluginList(rows));
      return;
    }
    case "info": {
      onlyFor(flags, sub, ["json"]);
      const name = oneName(words, sub);
      const c = catalog();
      const found = await requirePlugin(c, name);
      const info = pluginInfo(found.plugin, found.kind, found.entry !== undefined);
      io.stdout(json ? `${JSON.stringify(info, null, 2)}\n` : formatPluginInfo(info));
      return;
    }
    case "add": {
      onlyFor(flags, sub, ["set"]);
      const target = oneName(words, sub, "NAME or PATH");
      const added = await addPlugin(catalog(), { target, settings: parseSettings(flags.get("set") ?? []), cwd: ctx.cwd });
      log.info(`${added.kind === "installed" ? "installed" : "added"} ${added.name}`);
      return;
    }
    case "remove": {
      onlyFor(flags, sub, ["force"]);
      const name = oneName(words, sub);
      await removePlugin(catalog(), name, { force: flags.has("force") });
      log.info(`removed ${name}`);
      return;
    }
    case undefined:
      throw new UsageError("plugin needs a subcommand", `usage: ${PLUGIN_USAGE}`);
    default:
      throw new UsageError(`unknown plugin subcommand '${sub}'`, `usage: ${PLUGIN_USAGE}`);
  }
}

export function registerPlugin(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("plugin [...args]", "List, show, add (enable or install) and remove plugins")
    .usage(PLUGIN_USAGE.replace(/^nsbox /, ""))
    .allowUnknownOptions()
    .example("  nsbox plugin list")
    .example("  nsbox plugin info hello")
    .example("  nsbox plugin add ./examples/hello-plugin --set from=alice")
    .example("  nsbox plugin remove hello")
    // Raw words after `plugin`: cac would read `--set a=b --set c=d` and `--config-dir DIR` its own way.
    .action(() => pluginCommand(cli.rawArgs.slice(cli.rawArgs.indexOf("plugin", 2) + 1), io));
  for (const f of FLAGS) cmd.option(`--${f.name}${f.args.map((a) => ` <${a}>`).join("")}`, f.help);
}
