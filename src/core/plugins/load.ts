// Loading third-party plugin code: only from its installed copy, only after every file and every
// directory above it is found writable by root (or the invoking user) alone and every file still
// has the sha256 recorded at install; then import(), the factory, and the same check as built-ins.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { EXIT } from "../../base/errors.ts";
import { pluginApi } from "../../plugin/api.ts";
import { checkPlugin } from "../../plugin/check-plugin.ts";
import type { NsboxPlugin } from "../../plugin/define.ts";
import { PluginError } from "../../base/errors.ts";
import { pluginFailure } from "../../plugin/plugin-failure.ts";
import type { PluginEntry } from "../../plugin/plugins-config.ts";
import { setLibcEnv } from "../sys/libc-env.ts";
import { hashMismatches } from "./files.ts";
import { installDirOf, type PluginPaths } from "./paths.ts";
import { treeProblem } from "./trust.ts";

/**
 * Bun keeps the transpiled output of large modules in a cache under the caller's home
 * (~/.bun/install/cache/@t@) and reuses an entry whose recorded source hash matches: whoever can
 * write there (a user whose HOME root kept, `sudo -E`) could replace the code nsbox just
 * verified. The cache is off before the first plugin import (Bun reads the variable then).
 */
let cacheOff = false;
function disableTranspilerCache(): void {
  if (!cacheOff) setLibcEnv("BUN_RUNTIME_TRANSPILER_CACHE_PATH", "0");
  cacheOff = true;
}

const REINSTALL = (name: string) => `check it, then reinstall: nsbox plugin remove ${name} && nsbox plugin add PATH`;

/**
 * Imports a plugin module and calls its factory with the API (docs/plugins.md). Whatever fails
 * (a syntax error, a throw at the top level or in the factory) is one line naming `source`.
 */
export async function importPlugin(file: string, source: string, reservedFlags: ReadonlySet<string>): Promise<NsboxPlugin> {
  let mod: { default?: unknown };
  disableTranspilerCache();
  try {
    mod = (await import(file)) as { default?: unknown };
  } catch (e) {
    throw pluginFailure(source, "cannot be loaded", e);
  }
  if (typeof mod.default !== "function") {
    throw new PluginError(source, "its default export must be a function (api) => api.definePlugin({...})", EXIT.failed, "see docs/plugins.md");
  }
  let value: unknown;
  try {
    value = await (mod.default as (api: typeof pluginApi) => unknown)(pluginApi);
  } catch (e) {
    throw pluginFailure(source, "its factory failed", e);
  }
  return checkPlugin(value, { source, reservedFlags });
}

/** Why an installed plugin must not be loaded, or undefined when it may (no code runs here). */
export function installedProblem(name: string, entry: PluginEntry, paths: PluginPaths, uid: number): string | undefined {
  const dir = installDirOf(paths, name);
  if (!existsSync(dir)) return `its installed files are missing (${dir})`;
  const unsafe = treeProblem(dir, uid);
  if (unsafe) return `refused: ${unsafe}`;
  if (!entry.entry || Object.keys(entry.files).length === 0) return `refused: ${paths.configFile} records no files for it`;
  const changed = hashMismatches(dir, entry.files);
  if (changed.length > 0) return `refused: its files changed since it was installed: ${changed[0]}${changed.length > 1 ? ` (and ${changed.length - 1} more)` : ""}`;
  return undefined;
}

/** Checks, then imports an installed plugin; it must still call itself by the name it was installed as. */
export async function loadInstalled(name: string, entry: PluginEntry, paths: PluginPaths, uid: number, reservedFlags: ReadonlySet<string>): Promise<NsboxPlugin> {
  const problem = installedProblem(name, entry, paths, uid);
  if (problem) throw new PluginError(name, problem, EXIT.failed, REINSTALL(name));
  const plugin = await importPlugin(join(installDirOf(paths, name), entry.entry!), name, reservedFlags);
  if (plugin.name !== name) throw new PluginError(name, `its code now calls itself '${plugin.name}'`, EXIT.failed, REINSTALL(name));
  return plugin;
}
