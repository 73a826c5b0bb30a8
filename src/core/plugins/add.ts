// `nsbox plugin add`: enable a built-in plugin, or install a third-party one from a path. All or
// nothing: the plugin is checked and its settings validated before its setup hook runs; a failing
// setup is followed by its teardown and the removal of what the add made; plugins.toml is
// written last, only after all of it succeeded, so a failed add leaves it byte for byte as it was.
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { extname, join } from "node:path";
import { EXIT, UsageError } from "../../base/errors.ts";
import type { NsboxPlugin } from "../../plugin/define.ts";
import { optionFlags, validateOptions } from "../../plugin/options-flags.ts";
import { PluginError } from "../../base/errors.ts";
import { pluginFailure } from "../../plugin/plugin-failure.ts";
import type { PluginEntry } from "../../plugin/plugins-config.ts";
import { hookContext, type PluginCatalog } from "./catalog.ts";
import { writePluginsConfig } from "./config-file.ts";
import { copyFiles, hashFiles, PLUGIN_EXTENSIONS, resolvePluginSource } from "./files.ts";
import { importPlugin } from "./load.ts";
import { installDirOf, stateDirOf } from "./paths.ts";
import { treeProblem } from "./trust.ts";

export interface AddRequest {
  /** A built-in plugin's name, or the path of a third-party plugin file or folder. */
  target: string;
  /** `--set key=value`, in order (the last of a key wins). */
  settings: readonly (readonly [string, string])[];
  cwd: string;
}

export interface Added {
  name: string;
  kind: "built-in" | "installed";
}

/** A path has a slash or a module extension; anything else is a built-in plugin's name. */
export function isPluginPath(target: string): boolean {
  return target.includes("/") || target.startsWith(".") || PLUGIN_EXTENSIONS.includes(extname(target));
}

/** The settings as plugins.toml stores them: validated against the plugin's config schema. */
function checkSettings(plugin: NsboxPlugin, settings: AddRequest["settings"]): Record<string, string> {
  const given = Object.fromEntries(settings);
  if (!plugin.config) {
    if (settings.length > 0) throw new PluginError(plugin.name, "takes no settings (--set)", EXIT.usage);
    return {};
  }
  // A typo in --set must not pass silently, whatever kind of object the schema is.
  const known = optionFlags(plugin.config).map((f) => f.key);
  const unknown = settings.find(([k]) => !known.includes(k));
  if (unknown) throw new PluginError(plugin.name, `unknown setting '${unknown[0]}'`, EXIT.usage, `settings: ${known.join(", ") || "none"}`);
  const result = validateOptions(plugin.config, given);
  if (!result.ok) throw new PluginError(plugin.name, result.message, EXIT.usage, `see nsbox plugin info ${plugin.name}`);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(result.value as Record<string, unknown>)) if (value !== undefined) out[k] = String(value);
  return out;
}

/** Runs setup; when it throws, runs teardown and removes the state it may have left, then throws. */
async function runSetup(catalog: PluginCatalog, plugin: NsboxPlugin, config: Record<string, string>): Promise<void> {
  if (!plugin.hooks?.setup) return;
  const ctx = hookContext(catalog, plugin, config);
  try {
    await plugin.hooks.setup(ctx);
  } catch (e) {
    await undoSetup(catalog, plugin, config);
    throw pluginFailure(plugin.name, "setup failed (undone)", e);
  }
}

async function undoSetup(catalog: PluginCatalog, plugin: NsboxPlugin, config: Record<string, string>): Promise<void> {
  const ctx = hookContext(catalog, plugin, config);
  try {
    await plugin.hooks?.teardown?.(ctx);
  } catch (e) {
    ctx.log.warn(`teardown after the failed setup failed too: ${(e as Error).message ?? e}`);
  }
  rmSync(stateDirOf(catalog.paths, plugin.name), { recursive: true, force: true });
}

/** Makes the folder (and missing parents) with mode 0755 whatever the umask: trust.ts checks it. */
function makeDir(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = join(d, "..")) missing.unshift(d);
  for (const d of missing) {
    mkdirSync(d);
    chmodSync(d, 0o755);
  }
}

async function addBuiltin(catalog: PluginCatalog, name: string, settings: AddRequest["settings"]): Promise<Added> {
  const plugin = catalog.builtins.get(name);
  if (!plugin) {
    const hint = catalog.config[name]?.kind === "installed" ? `${name} is already installed` : "to install a third-party plugin, give its path, e.g. ./" + name;
    throw new UsageError(`no built-in plugin named ${name}`, hint);
  }
  if (catalog.config[name]) throw new UsageError(`plugin ${name} is already added`, `to change its settings: nsbox plugin remove ${name}, then add it again`);
  const config = checkSettings(plugin, settings);
  await runSetup(catalog, plugin, config);
  const entry: PluginEntry = { kind: "built-in", version: plugin.version, description: plugin.description, added: new Date().toISOString(), config, files: {} };
  await writeLast(catalog, plugin, config, entry);
  return { name, kind: "built-in" };
}

/** Writes plugins.toml with the new entry; if even that fails, undoes the setup (the caller the rest). */
async function writeLast(catalog: PluginCatalog, plugin: NsboxPlugin, config: Record<string, string>, entry: PluginEntry): Promise<void> {
  try {
    writePluginsConfig(catalog.paths.configFile, { ...catalog.config, [plugin.name]: entry });
  } catch (e) {
    if (plugin.hooks?.setup) await undoSetup(catalog, plugin, config);
    throw e;
  }
  catalog.config = { ...catalog.config, [plugin.name]: entry };
}

async function install(catalog: PluginCatalog, path: string, settings: AddRequest["settings"], cwd: string): Promise<Added> {
  const source = resolvePluginSource(path, cwd);
  makeDir(catalog.paths.installRoot);
  // Copied first, into a private folder beside the final one: the code nsbox imports and
  // hashes is the copy, in a place only root (or the user) can write, never the source.
  const staging = join(catalog.paths.installRoot, `.add-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o700 });
  let moved: string | undefined;
  try {
    copyFiles(source.root, source.files, staging);
    const files = hashFiles(staging, source.files);
    const unsafe = treeProblem(staging, catalog.uid);
    if (unsafe) throw new PluginError(path, `refused: ${unsafe}`, EXIT.failed, "plugins are installed only where no other user can write");
    const plugin = await importPlugin(join(staging, source.entry), path, catalog.reservedFlags);
    if (catalog.builtins.has(plugin.name)) throw new PluginError(plugin.name, "its name clashes with a built-in plugin", EXIT.failed);
    if (catalog.config[plugin.name]) throw new UsageError(`plugin ${plugin.name} is already ${catalog.config[plugin.name]!.kind === "installed" ? "installed" : "added"}`, `remove it first: nsbox plugin remove ${plugin.name}`);
    const final = installDirOf(catalog.paths, plugin.name);
    if (existsSync(final)) throw new UsageError(`${final} already exists (left by an earlier install?)`, `nsbox plugin remove ${plugin.name} cleans it up`);
    const config = checkSettings(plugin, settings);
    renameSync(staging, final);
    moved = final;
    chmodSync(final, 0o755);
    await runSetup(catalog, plugin, config);
    const entry: PluginEntry = {
      kind: "installed", version: plugin.version, description: plugin.description, entry: source.entry,
      source: source.files.length === 1 ? join(source.root, source.entry) : source.root, added: new Date().toISOString(), config, files,
    };
    await writeLast(catalog, plugin, config, entry);
    return { name: plugin.name, kind: "installed" };
  } catch (e) {
    // Nothing of a failed install stays: not the copy, not the installed folder.
    rmSync(staging, { recursive: true, force: true });
    if (moved) rmSync(moved, { recursive: true, force: true });
    throw e;
  }
}

export async function addPlugin(catalog: PluginCatalog, request: AddRequest): Promise<Added> {
  return isPluginPath(request.target) ? install(catalog, request.target, request.settings, request.cwd) : addBuiltin(catalog, request.target, request.settings);
}
