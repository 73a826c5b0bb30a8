// The plugins one nsbox invocation can see: the built-in registry and what plugins.toml records,
// found by name. Built-in plugins are usable without `plugin add` (adding only runs their setup
// and stores settings); third-party ones only once installed, and only after load.ts's checks.
import { UsageError } from "../../base/errors.ts";
import { logger } from "../log.ts";
import type { HookContext, NsboxPlugin } from "../../plugin/define.ts";
import type { PluginEntry, PluginsConfig } from "../../plugin/plugins-config.ts";
import type { Registry } from "../../plugin/registry.ts";
import type { PluginServices } from "../../plugin/services.ts";
import { corePluginServices } from "../plugin-services.ts";
import { readPluginsConfig } from "./config-file.ts";
import { installedProblem, loadInstalled } from "./load.ts";
import { stateDirOf, type PluginPaths } from "./paths.ts";
import { createStateStore } from "./state-store.ts";

export type PluginKind = "built-in" | "installed";

export interface PluginCatalog {
  paths: PluginPaths;
  uid: number;
  builtins: Registry;
  reservedFlags: ReadonlySet<string>;
  /** plugins.toml as read at start; changes go through writePluginsConfig. */
  config: PluginsConfig;
  /** What hooks and commands may use of the host (plugin/services.ts). */
  services: PluginServices;
}

export interface FoundPlugin {
  plugin: NsboxPlugin;
  kind: PluginKind;
  /** Its plugins.toml entry: present when it was added or installed. */
  entry?: PluginEntry;
}

export function openCatalog(
  paths: PluginPaths,
  builtins: Registry,
  reservedFlags: ReadonlySet<string>,
  uid: number = process.getuid!(),
  services: PluginServices = corePluginServices,
): PluginCatalog {
  return { paths, uid, builtins, reservedFlags, config: readPluginsConfig(paths.configFile, uid), services };
}

/** A usable plugin of that name, or undefined when there is none (installed ones are loaded). */
export async function findPlugin(catalog: PluginCatalog, name: string): Promise<FoundPlugin | undefined> {
  const entry = catalog.config[name];
  const builtin = catalog.builtins.get(name);
  if (builtin) return { plugin: builtin, kind: "built-in", entry: entry?.kind === "built-in" ? entry : undefined };
  if (entry?.kind !== "installed") return undefined;
  return { plugin: await loadInstalled(name, entry, catalog.paths, catalog.uid, catalog.reservedFlags), kind: "installed", entry };
}

/** Like findPlugin, but a missing plugin is a usage error saying what there is. */
export async function requirePlugin(catalog: PluginCatalog, name: string): Promise<FoundPlugin> {
  const found = await findPlugin(catalog, name);
  if (found) return found;
  const entry = catalog.config[name];
  const hint = entry?.kind === "built-in" ? `${catalog.paths.configFile} names it, but this nsbox has no such built-in plugin` : "see nsbox plugin list; install a third-party one with nsbox plugin add PATH";
  throw new UsageError(`no plugin named ${name}`, hint);
}

export interface PluginRow {
  name: string;
  version: string;
  kind: PluginKind;
  /** Added (built-in) or installed (third-party) in plugins.toml. */
  enabled: boolean;
  description: string;
  /** Why an installed plugin would be refused now (no code is run to find out). */
  problem?: string;
}

/** Every plugin, built-in first, for `nsbox plugin list`. Installed ones are checked, not imported. */
export function listPlugins(catalog: PluginCatalog): PluginRow[] {
  const rows: PluginRow[] = [...catalog.builtins.values()].map((p) => ({
    name: p.name, version: p.version, kind: "built-in", enabled: catalog.config[p.name]?.kind === "built-in", description: p.description,
  }));
  for (const [name, entry] of Object.entries(catalog.config).sort(([a], [b]) => a.localeCompare(b))) {
    if (entry.kind !== "installed") continue;
    const problem = installedProblem(name, entry, catalog.paths, catalog.uid);
    rows.push({ name, version: entry.version ?? "", kind: "installed", enabled: true, description: entry.description ?? "", ...(problem ? { problem } : {}) });
  }
  return rows;
}

/** The narrow context hooks and commands get: a logger with the plugin's name, its state, its settings, the services. */
export function hookContext(catalog: PluginCatalog, plugin: NsboxPlugin, config: Readonly<Record<string, string>> = catalog.config[plugin.name]?.config ?? {}): HookContext {
  return {
    ...catalog.services,
    plugin: plugin.name,
    log: logger(plugin.name),
    state: createStateStore(plugin.name, stateDirOf(catalog.paths, plugin.name)),
    config: Object.freeze({ ...config }),
  };
}
