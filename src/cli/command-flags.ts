// The log switches (--quiet, --verbose) for commands whose options cac parses itself (`check`,
// `ns`), as opposed to the sandbox commands that parse their arguments with parse-args.ts.
import type { Command } from "cac";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";

export function addLogOptions(cmd: Command): Command {
  for (const f of LOG_FLAGS) cmd.option(`--${f.name}`, f.help);
  return cmd;
}

/** Applies --quiet/--verbose from cac's parsed options (the same rule as the sandbox commands). */
export function applyLogOptions(options: Readonly<Record<string, unknown>>): void {
  applyLogFlags(new Map(LOG_FLAGS.filter((f) => options[f.name]).map((f) => [f.name, []])));
}
