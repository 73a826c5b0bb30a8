// --quiet and --verbose, accepted by every command.
import { setLogLevel } from "../core/log.ts";
import type { ExtraFlag } from "./parse-args.ts";

export const LOG_FLAGS: readonly ExtraFlag[] = [
  { name: "quiet", args: [], help: "print errors only" },
  { name: "verbose", args: [], help: "print each step" },
];

export function applyLogFlags(extras: ReadonlyMap<string, string[]>): void {
  if (extras.has("quiet")) setLogLevel(0);
  if (extras.has("verbose")) setLogLevel(4);
}
