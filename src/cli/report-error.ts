// The one place an error becomes output: one line on stderr and the exit code (DESIGN.md §4).
// No stack trace unless NSBOX_DEBUG is set.
import { EXIT, NsboxError } from "../core/errors.ts";

export function reportError(e: unknown): number {
  if (e instanceof NsboxError) {
    process.stderr.write(`nsbox: ${e.message}${e.hint ? ` (${e.hint})` : ""}\n`);
    return e.exitCode;
  }
  if (e instanceof Error && e.name === "CACError") {
    process.stderr.write(`nsbox: ${e.message} (see nsbox --help)\n`);
    return EXIT.usage;
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`nsbox: internal error: ${message}${process.env.NSBOX_DEBUG ? `\n${(e as Error).stack}` : " (set NSBOX_DEBUG=1 for details)"}\n`);
  return EXIT.failed;
}
