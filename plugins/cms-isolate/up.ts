// `nsbox cms-isolate up NAME ...`: the instance, detached and managed. Everything is checked
// here first (so bad input is one line and nothing is made); then `nsbox cms-isolate run` is
// started in a session of its own (setsid) with its output in the instance's log. It execs into
// the stage, whose small supervisor is what stays resident: no Bun process per instance. `up`
// returns once the server listens inside the instance, or reports the run's last log line.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { PluginError, type CommandContext } from "nsbox/plugin";
import { INSTANCE_USAGE, innerAddress, instanceArgs, parseInstance, sandboxName, type Instance } from "./args.ts";
import { claimInstance, planInstance, withInstancesLock, type PlannedInstance } from "./instance.ts";
import { removeIniDir } from "./php-ini.ts";
import { listensInside } from "./proc-facts.ts";
import { findInstance, logKey, logPath, readRecord, removeRecord } from "./records.ts";
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
    if (found?.pid === child.pid && listensInside(found.payloadPid, i.port)) return { serving: found.pid };
    if (performance.now() > end) return { late: true };
    await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, every))]);
  }
}

/** The run's last words: its log's last line, without nsbox's own prefix. */
function lastLine(path: string): string {
  const lines = (existsSync(path) ? readFileSync(path, "utf8") : "").split("\n").filter((l) => l.trim() && !l.startsWith("--- "));
  return (lines.at(-1) ?? "it ended without a word").replace(/^nsbox: (plugin cms-isolate: )?/, "");
}

/** Claims the planned instance and starts its run (under the instances lock). */
function start(planned: PlannedInstance, ctx: CommandContext): { known: boolean; child: Bun.Subprocess; log: string } {
  const i = planned.instance;
  const known = readRecord(ctx.state, i.name) !== undefined;
  claimInstance(planned, ctx);
  const log = logPath(ctx.state, i.name);
  const fd = openSync(log, "a", 0o600);
  writeSync(fd, `--- ${new Date().toISOString()} up ${i.name}\n`);
  let child: Bun.Subprocess;
  try {
    child = Bun.spawn([...ctx.nsboxArgv, "cms-isolate", "run", ...instanceArgs(i)], {
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
  child.unref();
  return { known, child, log };
}

export async function upCommand(args: readonly string[], ctx: CommandContext): Promise<number> {
  const i = parseInstance(args, UP_USAGE);
  const planned = planInstance(i, ctx);
  const { known, child, log } = withInstancesLock(ctx, () => start(planned, ctx));
  const outcome = await serving(i, child, ctx, UP_DEADLINE_MS);
  if ("serving" in outcome) {
    ctx.stdout(`${i.name} up: http://${i.listen}/ (pid ${outcome.serving}, sandbox ${sandboxName(i.name)})\n`);
    return 0;
  }
  if ("late" in outcome) {
    await stopSupervisor(child.pid);
    throw new PluginError("cms-isolate", `instance ${i.name}: the server did not listen on ${innerAddress(i.listen, i.port)} inside within ${UP_DEADLINE_MS / 1000}s; it was stopped`, 125, `see nsbox cms-isolate logs ${i.name}`);
  }
  const why = lastLine(log);
  // Nothing half-made: a new instance that never came up leaves no record, log or ini dir.
  if (!known) {
    withInstancesLock(ctx, () => {
      // Another up of the same name won the start: the record is that instance's now.
      if (findInstance(ctx.sandboxes, i.name)) return;
      removeRecord(ctx.state, i.name);
      ctx.state.remove(logKey(i.name));
      if (planned.iniDir) removeIniDir(planned.iniDir);
    });
  }
  const code = outcome.exited > 0 && outcome.exited < 256 ? outcome.exited : 125;
  throw new PluginError("cms-isolate", `instance ${i.name} did not start: ${why}`, code);
}
