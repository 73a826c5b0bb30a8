// `nsbox cms-isolate up NAME ...`: the instance, detached and managed. Everything is checked
// here first (so bad input is one line and nothing is made); then `nsbox cms-isolate run` is
// started in a session of its own (setsid) with its output in the instance's log. It execs into
// the stage, whose small supervisor is what stays resident: no Bun process per instance. `up`
// returns once the server listens inside the instance, or reports the run's last log line.
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { PluginError, type CommandContext } from "nsbox/plugin";
import { INSTANCE_USAGE, innerAddress, instanceArgs, parseInstance, sandboxName, type Instance } from "./args.ts";
import { claimInstance, planInstance, withInstancesLock, type PlannedInstance } from "./instance.ts";
import { sameOwner, type Owner } from "./owner.ts";
import { removeIniDir } from "./php-ini.ts";
import { lastLogLine } from "./logs.ts";
import { logMaxOf } from "./log-max.ts";
import { listensInside } from "./proc-facts.ts";
import { findInstance, logPath, readRecord, removeLog, removeRecord } from "./records.ts";
import { stopSupervisor } from "./stop.ts";

export const UP_USAGE = `nsbox cms-isolate up ${INSTANCE_USAGE} [-- COMMAND...]`;

/** How long a server may take to listen after its sandbox started. */
export const UP_DEADLINE_MS = 30_000;

type Outcome = { serving: number } | { exited: number } | { late: true };

/** Waits for the server to listen inside (or the run to end), checking every few ms. */
async function serving(i: Instance, child: Bun.Subprocess, ctx: CommandContext, ms: number): Promise<Outcome> {
  let exited: number | undefined;
  void child.exited.then((code) => (exited = code));
  const end = performance.now() + ms;
  for (let every = 2; ; every = Math.min(every * 2, 50)) {
    if (exited !== undefined) return { exited };
    const found = findInstance(ctx.sandboxes, i.name);
    if (found?.pid === child.pid && found.payloadPid !== undefined && listensInside(found.payloadPid, i.port)) return { serving: found.pid };
    if (performance.now() > end) return { late: true };
    await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, every))]);
  }
}

/**
 * Starts `nsbox cms-isolate run --log` for the instance, detached. The server's output reaches
 * the log through the stage's supervisor, which caps it; this fd takes only what nsbox itself
 * says before and after the sandbox runs (its checks, the supervisor's own last words).
 */
function spawnRun(i: Instance, ctx: CommandContext, log: string): Bun.Subprocess {
  // O_NOFOLLOW: the log is the file at this name, never one a symlink leads to.
  const fd = openSync(log, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `--- ${new Date().toISOString()} up ${i.name}\n`);
    return Bun.spawn([...ctx.nsboxArgv, "cms-isolate", "run", ...instanceArgs(i)], {
      cwd: "/",
      // The run must find this very state (a --config-dir of the caller's included).
      env: { ...process.env, NSBOX_STATE_DIR: dirname(ctx.state.dir) },
      stdin: "ignore",
      stdout: fd,
      stderr: fd,
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
}

interface Started {
  /** Whether the instance had a record before (a restart), which stays when this start fails. */
  known: boolean;
  child: Bun.Subprocess;
  /** The child as the record names it (undefined: it was gone at once). */
  owner: Owner | undefined;
  log: string;
}

/**
 * Claims the planned instance for its run, under the instances lock: the run is spawned there and
 * recorded as the owner before the lock is released, so no other up or run can pass the checks
 * while this one is starting, however long its start takes.
 */
function start(planned: PlannedInstance, ctx: CommandContext): Started {
  const i = planned.instance;
  const known = readRecord(ctx.state, i.name) !== undefined;
  const log = logPath(ctx.state, i.name);
  const { owner, started: child } = claimInstance(planned, ctx, () => spawnRun(i, ctx, log));
  child.unref();
  return { known, child, owner, log };
}

/**
 * After a start that failed: a new instance leaves no record, log or ini dir, but only while the
 * record still names this up's run (now ended) as its owner. Otherwise it belongs to whoever
 * claimed it since (another up, a run), or `down` removed it already.
 */
function forgetFailedStart(planned: PlannedInstance, s: Started, ctx: CommandContext): void {
  if (s.known) return;
  const name = planned.instance.name;
  withInstancesLock(ctx, () => {
    const record = readRecord(ctx.state, name);
    if (!record || !sameOwner(record.owner, s.owner)) return;
    removeRecord(ctx.state, name);
    removeLog(ctx.state, name);
    if (planned.iniDir) removeIniDir(planned.iniDir);
  });
}

export async function upCommand(args: readonly string[], ctx: CommandContext): Promise<number> {
  const parsed = parseInstance(args, UP_USAGE);
  // The cap is decided here and handed to the run explicitly: the run reads the plugin's settings
  // where nsbox finds them by default, which a --config-dir given to up does not move.
  const i = { ...parsed, log: true, logMax: logMaxOf(parsed.logMax, ctx.config) };
  const planned = planInstance(i, ctx);
  const started = withInstancesLock(ctx, () => start(planned, ctx));
  const { child, log } = started;
  const outcome = await serving(i, child, ctx, UP_DEADLINE_MS);
  if ("serving" in outcome) {
    ctx.stdout(`${i.name} up: http://${i.listen}/ (pid ${outcome.serving}, sandbox ${sandboxName(i.name)})\n`);
    return 0;
  }
  if ("late" in outcome) {
    await stopSupervisor(child.pid, started.owner?.startTime);
    throw new PluginError("cms-isolate", `instance ${i.name}: the server did not listen on ${innerAddress(i.listen, i.port)} inside within ${UP_DEADLINE_MS / 1000}s; it was stopped`, 125, `see nsbox cms-isolate logs ${i.name}`);
  }
  // A signal that ended the run itself (a down while it started, a kill) says more than its log.
  const why = child.signalCode ? `its run was ended by ${child.signalCode}` : lastLogLine(log);
  forgetFailedStart(planned, started, ctx);
  const code = outcome.exited > 0 && outcome.exited < 256 ? outcome.exited : 125;
  throw new PluginError("cms-isolate", `instance ${i.name} did not start: ${why}`, code);
}
