// The built-in plugins, compiled into the binary (crun's static_handlers[]): static imports, no
// loading from disk. Each goes through the same check as a third-party plugin; two of one name,
// or one named like an nsbox command, is a build mistake the first plugin lookup reports.
import type { NsboxPlugin } from "./define.ts";
import { checkPlugin } from "./check-plugin.ts";
import { PluginError } from "./plugin-error.ts";
import httpdWorker from "../../plugins/httpd-worker/index.ts";
import netzone from "../../plugins/netzone/index.ts";

/** Every built-in plugin, in the order `nsbox plugin list` shows them. */
export const BUILTIN_PLUGINS: readonly NsboxPlugin<any>[] = [httpdWorker, netzone];

export type Registry = ReadonlyMap<string, NsboxPlugin>;

/** Checks each plugin and indexes them by name; throws a PluginError for a bad or duplicate one. */
export function createRegistry(plugins: readonly NsboxPlugin<any>[], reservedFlags: ReadonlySet<string>): Registry {
  const byName = new Map<string, NsboxPlugin>();
  for (const p of plugins) {
    const plugin = checkPlugin(p, { source: "built-in", reservedFlags });
    if (byName.has(plugin.name)) throw new PluginError(plugin.name, "two built-in plugins have this name");
    byName.set(plugin.name, plugin);
  }
  return byName;
}

let builtins: Registry | undefined;

/** The built-in registry, checked once per process. */
export function builtinRegistry(reservedFlags: ReadonlySet<string>): Registry {
  builtins ??= createRegistry(BUILTIN_PLUGINS, reservedFlags);
  return builtins;
}
