// `nsbox plugin remove NAME`: the plugin's teardown, then its state folder, its installed files
// and, last, its plugins.toml entry, so an interrupted remove can be run again. A failing
// teardown stops it with nothing removed (or, with --force, is reported and passed over). An
// installed plugin that would be refused (tampered with) is not run at all: it is removed.
import { existsSync, rmSync } from "node:fs";
import { UsageError } from "../../base/errors.ts";
import { logger } from "../log.ts";
import type { NsboxPlugin } from "../../plugin/define.ts";
import { pluginFailure } from "../../plugin/plugin-failure.ts";
import { hookContext, type PluginCatalog } from "./catalog.ts";
import { writePluginsConfig } from "./config-file.ts";
import { installedProblem, loadInstalled } from "./load.ts";
import { installDirOf, stateDirOf } from "./paths.ts";

export interface RemoveOptions {
  /** Remove even when the teardown fails. */
  force?: boolean;
}

/** The plugin whose teardown should run, or undefined when none may (reported as a warning). */
async function teardownTarget(catalog: PluginCatalog, name: string, force: boolean): Promise<NsboxPlugin | undefined> {
  const log = logger(name);
  const entry = catalog.config[name];
  if (entry?.kind !== "installed") return catalog.builtins.get(name);
  const problem = installedProblem(name, entry, catalog.paths, catalog.uid);
  if (problem) {
    log.warn(`not running its teardown: ${problem}`);
    return undefined;
  }
  try {
    return await loadInstalled(name, entry, catalog.paths, catalog.uid, catalog.reservedFlags);
  } catch (e) {
    if (!force) throw e;
    log.warn(`not running its teardown: ${(e as Error).message}`);
    return undefined;
  }
}

export async function removePlugin(catalog: PluginCatalog, name: string, { force = false }: RemoveOptions = {}): Promise<void> {
  const entry = catalog.config[name];
  const installDir = installDirOf(catalog.paths, name);
  const stateDir = stateDirOf(catalog.paths, name);
  if (!entry && !existsSync(installDir) && !existsSync(stateDir)) {
    throw new UsageError(`plugin ${name} is not added`, "see nsbox plugin list");
  }
  const plugin = await teardownTarget(catalog, name, force);
  if (plugin?.hooks?.teardown) {
    const ctx = hookContext(catalog, plugin, entry?.config ?? {});
    try {
      await plugin.hooks.teardown(ctx);
    } catch (e) {
      const failure = pluginFailure(name, "teardown failed", e, "nothing was removed; fix what it says and retry, or remove it anyway with --force");
      if (!force) throw failure;
      ctx.log.warn(`${failure.message} (removing it anyway: --force)`);
    }
  }
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(installDir, { recursive: true, force: true });
  if (entry) {
    const { [name]: _removed, ...rest } = catalog.config;
    writePluginsConfig(catalog.paths.configFile, rest);
    catalog.config = rest;
  }
}
