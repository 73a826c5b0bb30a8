// Routing before anything heavy loads: a plain `nsbox run` (the hot path of cron lines and
// service units) goes straight to the run command; everything else builds the full CLI. Each
// branch imports only what it needs, so `run` does not pay for every other command's modules.
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

/** When the first line of nsbox's JavaScript ran, on Bun's clock (NSBOX_TRACE). */
const firstJs = performance.now();

/** `--help` or `-h` among the words before `--` (after it they belong to the command). */
export function isHelpRequest(words: readonly string[]): boolean {
  const end = words.indexOf("--");
  const head = end < 0 ? words : words.slice(0, end);
  return head.includes("--help") || head.includes("-h");
}

/** `nsbox --version` / `-v`: answered before anything else loads (the Bun floor, issue #15). */
function isVersionRequest(argv: readonly string[]): boolean {
  return argv.length === 3 && (argv[2] === "--version" || argv[2] === "-v");
}

function isPlainRun(argv: readonly string[]): boolean {
  return argv[2] === "run" && !isHelpRequest(argv.slice(3));
}

/** Runs one invocation; returns the exit code (a successful `run` never returns: it execs). */
export async function main(argv: readonly string[]): Promise<number> {
  if (isVersionRequest(argv)) {
    // cac's format (`nsbox/VERSION linux-x64 bun-VERSION`), without building the CLI.
    console.log(`nsbox/${VERSION} ${process.platform}-${process.arch} bun-${process.version}`);
    return 0;
  }
  if (isPlainRun(argv)) {
    try {
      const [{ runCommand }, { readPlanContext }, { tracePhase }] = await Promise.all([import("./run.ts"), import("./context.ts"), import("../core/trace.ts")]);
      tracePhase("bun started (first JS)", firstJs);
      tracePhase("modules loaded");
      return await runCommand(argv.slice(3), readPlanContext());
    } catch (e) {
      return (await import("./report-error.ts")).reportError(e);
    }
  }
  return (await import("./index.ts")).runCli(argv);
}
