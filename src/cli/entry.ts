// The entry: routing before anything heavy loads, and the one place an error becomes output and
// an exit status (DESIGN.md §4). A plain `nsbox run` (the hot path of cron lines and service
// units) goes straight to the run command; everything else builds the full CLI. Each branch
// imports only what it needs, so `run` does not pay for every other command's modules.
import { isHelpRequest } from "../base/argv.ts";
import { EXIT, NsboxError } from "../base/errors.ts";
import type { CliIo } from "./io.ts";

function isPlainRun(argv: readonly string[]): boolean {
  return argv[2] === "run" && !isHelpRequest(argv.slice(3));
}

/**
 * An error as one line on stderr, and its exit status: an NsboxError carries its own (2 usage,
 * 125 nsbox failed, 1 a verdict ...), cac's parse errors are usage, anything else is nsbox's
 * own failure: 125, with the stack only when NSBOX_DEBUG is set.
 */
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

/** Runs one invocation; returns the exit code (a successful `run` never returns: it execs). */
export async function main(argv: readonly string[], io?: CliIo): Promise<number> {
  try {
    if (isPlainRun(argv)) {
      const [{ runCommand }, { readPlanContext }] = await Promise.all([import("./run.ts"), import("./context.ts")]);
      return await runCommand(argv.slice(3), io ? io.context() : readPlanContext());
    }
    return await (await import("./index.ts")).runCli(argv, io);
  } catch (e) {
    return reportError(e);
  }
}
