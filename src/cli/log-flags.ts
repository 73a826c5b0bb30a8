// --quiet and --verbose, accepted by every command.
import { setLogLevel } from "../core/log.ts";
import type { ExtraFlag } from "./parse-args.ts";

export const LOG_FLAGS: readonly ExtraFlag[] = [
  { name: "quiet", args: [], help: "print errors only" },
  { name: "verbose", args: [], help: "print each step" },
];

/** The level the flags ask for (--verbose wins over --quiet), or undefined for the default. */
export function logLevelOf(extras: ReadonlyMap<string, readonly string[]>): number | undefined {
  return extras.has("verbose") ? 4 : extras.has("quiet") ? 0 : undefined;
}

export function applyLogFlags(extras: ReadonlyMap<string, readonly string[]>): void {
  const level = logLevelOf(extras);
  if (level !== undefined) setLogLevel(level);
}
