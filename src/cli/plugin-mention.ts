// Whether a `run` line may involve a plugin: only then is the plugin registry loaded at all, and
// such a line is never taken from the plan cache (a plugin's plan reads its own files).
import { mentionsFlag } from "../base/argv.ts";

export function mentionsPlugin(args: readonly string[]): boolean {
  return mentionsFlag(args, ["--plugin", "--config-dir"]);
}
