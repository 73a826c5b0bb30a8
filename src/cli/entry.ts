// The entry: routing before anything heavy loads, and the one place an error becomes output and
// an exit status (DESIGN.md §4). A plain `nsbox run` (the hot path of cron lines and service
// units) goes straight to the run command; everything else builds the full CLI. Each branch
// imports only what it needs, so `run` does not pay for every other command's modules.
import { isHelpRequest } from "../base/argv.ts";
import { EXIT, NsboxError } from "../base/errors.ts";
import { assertSingleIdentity } from "../core/caller-ids.ts";
import type { CliIo } from "./io.ts";
import { VERSION } from "./version.ts";

/** When the first line of nsbox's JavaScript ran, on Bun's clock (NSBOX_TRACE). */
const firstJs = performance.now();

/** `nsbox --version` / `-v`: answered before anything else loads (the Bun floor, issue #15). */
function isVersionRequest(argv: readonly string[]): boolean {
  return argv.length === 3 && (argv[2] === "--version" || argv[2] === "-v");
}

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
  if (isVersionRequest(argv)) {
    // cac's format (`nsbox/VERSION linux-x64 bun-VERSION`), without building the CLI.
    console.log(`nsbox/${VERSION} ${process.platform}-${process.arch} bun-${process.version}`);
    return EXIT.ok;
  }
  try {
    // Every command but --version plans, reads or makes something for the caller: none may
    // run with another uid's rights than the one it works for (core/caller-ids.ts).
    assertSingleIdentity();
    if (isPlainRun(argv)) {
      const args = argv.slice(3);
      if (io) return await (await import("./run.ts")).runCommand(args, io.context(), io);
      // The plan cache first: a hit launches without loading the planning pipeline at all.
      const [{ runFromCache }, { tracePhase }] = await Promise.all([import("./run-cache.ts"), import("../core/trace.ts")]);
      tracePhase("bun started (first JS)", firstJs);
      tracePhase("start modules loaded");
      const miss = runFromCache(args);
      const { runCommand } = await import("./run.ts");
      tracePhase("planning modules loaded");
      return await runCommand(args, miss.ctx, { launch: miss.launch }, miss.store);
    }
    return await (await import("./index.ts")).runCli(argv, io);
  } catch (e) {
    return reportError(e);
  }
}
