// `nsbox updater run`: takes the job's kernel lock, starts the sandbox as a child (`nsbox run`
// with the options of sandbox-args.ts), and waits. nsbox stays the parent on purpose: the lock,
// the timer, the --quiet buffer and the log line live here, and a cron job is not
// latency-critical. The child runs with die-with-parent, so a killed nsbox kills the sandbox too
// (its stage supervisor's death takes the sandbox's PID 1 and all below it).
import { existsSync, writeSync } from "node:fs";
import { PluginError, UsageError, type CommandContext } from "nsbox/plugin";
import { JOB_USAGE, parseJob, type UpdaterJob } from "./args.ts";
import { collectTail, QUIET_KEEP, type OutputTail } from "./output-tail.ts";
import { appendRecord, lockPath } from "./run-log.ts";
import { runArgs, sandboxName } from "./sandbox-args.ts";

export const RUN_USAGE = `nsbox updater run ${JOB_USAGE}`;

/** EX_TEMPFAIL (sysexits.h): cron's "try again later". */
export const EXIT_LOCKED = 75;
/** timeout(1)'s status when the limit ended the command. */
export const EXIT_TIMEOUT = 124;

/** Synchronously: nsbox exits right after, and an async write to a pipe could be cut short. */
function writeAll(fd: 1 | 2, chunks: readonly Uint8Array[]): void {
  for (const c of chunks) {
    let off = 0;
    while (off < c.length) {
      try {
        off += writeSync(fd, c, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      }
    }
  }
}

async function supervise(job: UpdaterJob, ctx: CommandContext): Promise<number> {
  const child = Bun.spawn([...ctx.nsboxArgv, ...runArgs(job)], {
    cwd: "/",
    env: process.env,
    stdin: "ignore",
    stdout: job.quiet ? "pipe" : "inherit",
    stderr: job.quiet ? "pipe" : "inherit",
  });
  let timedOut = false;
  const timer = job.timeout === undefined ? undefined : setTimeout(() => {
    if (child.exitCode !== null || child.signalCode !== null) return; // it ended on its own
    timedOut = true;
    // SIGKILL of the stage's supervisor kills the sandbox's PID 1 and everything under it.
    child.kill("SIGKILL");
  }, job.timeout * 1000);
  const none: OutputTail = { chunks: [], dropped: 0 };
  const [out, err, code] = await Promise.all([
    job.quiet ? collectTail(child.stdout as ReadableStream<Uint8Array>) : none,
    job.quiet ? collectTail(child.stderr as ReadableStream<Uint8Array>) : none,
    child.exited,
  ]);
  if (timer) clearTimeout(timer);
  const status = timedOut ? EXIT_TIMEOUT : code;
  if (job.quiet && status !== 0) {
    writeAll(1, out.chunks);
    writeAll(2, err.chunks);
    const dropped = [out.dropped && `${out.dropped} bytes of stdout`, err.dropped && `${err.dropped} bytes of stderr`].filter(Boolean);
    if (dropped.length) ctx.log.warn(`${job.name}: --quiet kept the last ${QUIET_KEEP / 1024 / 1024} MiB of each stream; the first ${dropped.join(" and ")} were dropped`);
  }
  if (timedOut) ctx.log.error(`${job.name}: timed out after ${job.timeout}s; the sandbox was killed`);
  return status;
}

/**
 * The job's sandbox, still there once the lock is ours: the run that held the lock was killed
 * (the kernel let go of its lock at once) and its sandbox is still ending (die-with-parent acts
 * as its supervisor notices), or someone started one of that name by hand. Its name would make
 * the start fail (125); this is "running already" instead: refused (75), or waited for.
 */
async function earlierSandbox(job: UpdaterJob, ctx: CommandContext): Promise<number | undefined> {
  for (let every = 5; ; every = Math.min(every * 2, 100)) {
    const found = ctx.sandboxes.findByName(sandboxName(job));
    if (!found || job.lock !== "wait") return found?.pid;
    await Bun.sleep(every);
  }
}

export async function runCommand(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { job } = parseJob(args, RUN_USAGE);
  for (const path of job.ro) if (!existsSync(path)) throw new UsageError(`--ro ${path}: no such file or directory`);
  // The child's options through nsbox's own planning pipeline (a missing zone, a bad state dir)
  // before the lock is taken, a log line written or anything made.
  ctx.sandbox(runArgs(job).slice(1));
  const held = ctx.locks.hold(lockPath(ctx, job.name), { wait: job.lock === "wait" });
  if ("heldBy" in held) {
    const who = held.heldBy ? `pid ${held.heldBy.pid} since ${held.heldBy.since}` : "pid unknown";
    ctx.log.error(`${job.name} already running (${who})`);
    return EXIT_LOCKED;
  }
  try {
    const earlier = await earlierSandbox(job, ctx);
    if (earlier !== undefined) {
      ctx.log.error(`${job.name} already running (its sandbox ${sandboxName(job)}, pid ${earlier}, is still there)`);
      return EXIT_LOCKED;
    }
    const started = new Date();
    const t0 = performance.now();
    const status = await supervise(job, ctx);
    appendRecord(ctx, job.name, { start: started.toISOString(), seconds: (performance.now() - t0) / 1000, status, pid: process.pid });
    return status;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new PluginError("updater", `could not run ${job.name}: ${(e as Error).message}`);
  } finally {
    held.release();
  }
}
