// Routing before anything heavy loads: a plain `nsbox run` (the hot path of cron lines and
// service units) goes straight to the run command; everything else builds the full CLI. Each
// branch imports only what it needs, so `run` does not pay for every other command's modules.

function isPlainRun(argv: readonly string[]): boolean {
  if (argv[2] !== "run") return false;
  const end = argv.indexOf("--");
  const head = end < 0 ? argv.slice(3) : argv.slice(3, end);
  return !head.includes("--help") && !head.includes("-h");
}

/** Runs one invocation; returns the exit code (a successful `run` never returns: it execs). */
export async function main(argv: readonly string[]): Promise<number> {
  if (isPlainRun(argv)) {
    try {
      const [{ runCommand }, { readPlanContext }] = await Promise.all([import("./run.ts"), import("./context.ts")]);
      return await runCommand(argv.slice(3), readPlanContext());
    } catch (e) {
      return (await import("./report-error.ts")).reportError(e);
    }
  }
  return (await import("./index.ts")).runCli(argv);
}
