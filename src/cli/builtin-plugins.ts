// The built-in plugins, compiled into the binary (crun's static_handlers[]): static imports, no
// loading from disk, wired here at the composition root so that src/plugin (the contract) never
// imports a plugin. Each goes through the same check as a third-party plugin.
import cmsIsolate from "../../plugins/cms-isolate/index.ts";
import httpdWorker from "../../plugins/httpd-worker/index.ts";
import netzone from "../../plugins/netzone/index.ts";
import updater from "../../plugins/updater/index.ts";
import type { NsboxPlugin } from "../plugin/define.ts";
import { createRegistry, type Registry } from "../plugin/registry.ts";

/** Every built-in plugin, in the order `nsbox plugin list` shows them. */
export const BUILTIN_PLUGINS: readonly NsboxPlugin<any>[] = [cmsIsolate, httpdWorker, netzone, updater];

let builtins: Registry | undefined;

/** The built-in registry, checked once per process. */
export function builtinRegistry(reservedFlags: ReadonlySet<string>): Registry {
  builtins ??= createRegistry(BUILTIN_PLUGINS, reservedFlags);
  return builtins;
}
