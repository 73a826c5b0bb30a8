// A registry of plugins by name. Two of one name, or one named like an nsbox command, is a build
// mistake the first plugin lookup reports. Which plugins are built in is decided by the
// composition root (src/cli/builtin-plugins.ts), not here.
import type { NsboxPlugin } from "./define.ts";
import { checkPlugin } from "./check-plugin.ts";
import { PluginError } from "../base/errors.ts";

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
