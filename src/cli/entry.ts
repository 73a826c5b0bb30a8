// Routing before anything heavy loads: a plain `nsbox run` (the hot path of cron lines and
// service units) goes straight to the run command; everything else builds the full CLI. Each
// branch imports only what it needs, so `run` does not pay for every other command's modules.

/** `--help` or `-h` among the words before `--` (after it they belong to the command). */
export function isHelpRequest(words: readonly string[]): boolean {
  const end = words.indexOf("--");
  const head = end < 0 ? words : words.slice(0, end);
  return head.includes("--help") || head.includes("-h");
}

function isPlainRun(argv: readonly string[]): boolean {
  return argv[2] === "run" && !isHelpRequest(argv.slice(3));
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
