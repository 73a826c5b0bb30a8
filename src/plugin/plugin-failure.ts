// Turns whatever a plugin's own code threw (plan, a hook, a command) into a PluginError naming it.
import { EXIT, NsboxError, PluginError } from "../base/errors.ts";

/**
 * One line naming the plugin: a UsageError keeps exit 2, anything else is 125. Never a stack
 * trace: the message only.
 */
export function pluginFailure(plugin: string, what: string, e: unknown, hint?: string): PluginError {
  if (e instanceof PluginError) return hint ? new PluginError(e.plugin, e.detail, e.exitCode, hint, { cause: e }) : e;
  // UsageError (exit 2) included: api.UsageError is nsbox's own class.
  if (e instanceof NsboxError) return new PluginError(plugin, e.message, e.exitCode, hint ?? e.hint, { cause: e });
  const message = e instanceof Error ? e.message : String(e);
  return new PluginError(plugin, `${what}: ${message.split("\n")[0] || "(no message)"}`, EXIT.failed, hint, { cause: e });
}
