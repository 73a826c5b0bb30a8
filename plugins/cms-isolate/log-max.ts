// How much of an instance's output its log keeps on disk: `NAME.log` and the generation before
// it, `NAME.log.1`, together (nsbox's --log-max: the stage's supervisor writes and rotates the
// file, so a visitor's requests cannot fill the disk). Set per instance (`--log-max SIZE`) or for
// every instance by the operator (`nsbox plugin add cms-isolate --set log-max=SIZE`); both are
// checked by one valibot schema.
import { UsageError, v } from "nsbox/plugin";
import { sizeBytes } from "./sizes.ts";

/** A few MiB: tens of thousands of requests of PHP's built-in server, two generations of 4M. */
export const DEFAULT_LOG_MAX = "8M";


/** A size with its unit, from 64K (a generation of a few hundred lines) to 1024G. */
export const LogMax = v.pipe(
  v.string(),
  v.regex(/^[1-9][0-9]{0,9}[KMG]$/i, "is not a size such as 512K, 8M or 1G"),
  v.check((t) => (sizeBytes(t) ?? 0) >= 64 * 1024, "is below 64K: the log would keep only a few lines"),
  v.check((t) => (sizeBytes(t) ?? Infinity) <= 1024 ** 4, "is above 1024G"),
  v.transform((t) => t.toUpperCase()),
  v.metadata({ metavar: "SIZE" }),
);

/** --log-max SIZE, checked where it was given (`where`: the flag or setting). */
export function parseLogMax(text: string, where: string): string {
  const r = v.safeParse(LogMax, text);
  if (!r.success) throw new UsageError(`${where}: '${text}' ${r.issues[0].message}`);
  return r.output;
}

/** The cap an instance runs with: its own --log-max, else the operator's setting, else the default. */
export function logMaxOf(own: string | undefined, config: Readonly<Record<string, string>>): string {
  const setting = config["log-max"];
  return own ?? (setting !== undefined ? parseLogMax(setting, "the setting log-max (nsbox plugin add cms-isolate --set log-max=SIZE)") : DEFAULT_LOG_MAX);
}
