// One instance from its parsed description to the sandbox nsbox runs: the host checks, the
// sandbox from run options (the same pipeline as `nsbox run`), its host ids, and what is written
// before it starts (the php.ini additions, the record naming the process that starts it). Shared
// by `run` and `up`.
import { join } from "node:path";
import type { CommandContext, SandboxSpecInput } from "nsbox/plugin";
import type { Instance } from "./args.ts";
import { checkCodeDir, checkCommand, checkDataOwner, checkDataPath, checkLimits, checkNotRunning, checkPortFree, hostIdsOf, type HostIds } from "./checks.ts";
import { iniDirOf, removeIniDir, writeIniDir } from "./php-ini.ts";
import { ownerOf, type Owner } from "./owner.ts";
import { logPath, readRecord, sameConfig, writeRecord } from "./records.ts";
import { logMaxOf } from "./log-max.ts";
import { sandboxArgs, withSessionDir } from "./sandbox-args.ts";

export interface PlannedInstance {
  instance: Instance;
  spec: SandboxSpecInput;
  ids: HostIds;
  iniDir: string | undefined;
}

/**
 * Runs `f` holding the plugin's kernel lock (flock(2), released on any exit): the checks against
 * the other records and the writing of a record happen as one step, so two `up`s of one name,
 * or of one data dir, cannot both pass the checks. Held for milliseconds, never while a server
 * starts or stops.
 */
export function withInstancesLock<T>(ctx: CommandContext, f: () => T): T {
  const held = ctx.locks.hold(join(ctx.state.dir, "instances.lock"), { wait: true });
  if ("heldBy" in held) throw new Error("the instances lock was not taken"); // wait: true never gets here
  try {
    return f();
  } finally {
    held.release();
  }
}

/** Checks the instance against the host and plans its sandbox; makes nothing. */
export function planInstance(i: Instance, ctx: CommandContext): PlannedInstance {
  checkLimits(i, ctx.plan.uid);
  checkDataPath(i.data, i.code);
  const iniDir = i.phpIni.length ? iniDirOf(i.name, ctx.plan.uid, ctx.state.dir) : undefined;
  const log = i.log ? { path: logPath(ctx.state, i.name), max: logMaxOf(i.logMax, ctx.config) } : undefined;
  const spec = withSessionDir(ctx.sandbox(sandboxArgs(i, iniDir, log)).spec);
  // The ids the instance's root maps to on the host: its name's range (root), or the caller.
  const ids = hostIdsOf(ctx.normalize(spec));
  checkCodeDir(i.code, ids);
  checkCommand(i);
  // Before the port: a running instance holds its port, and its name is the clearer message.
  checkNotRunning(ctx, i.name);
  checkPortFree(i.listen);
  return { instance: i, spec, ids, iniDir };
}

/**
 * Under the instances lock: checks the instance against the other records and against anything
 * of it that is there (a running sandbox, or a start another process has claimed), writes its
 * php.ini additions, starts its owner (`start`: `up` spawns its run; a run is its own) and writes
 * the record naming that owner (owner.ts). From then on, until the owner ends, every other claim
 * of the name is refused: at most one start of an instance is in flight or running.
 */
export function claimInstance<T extends { pid: number }>(p: PlannedInstance, ctx: CommandContext, start: () => T): { owner: Owner | undefined; started: T } {
  checkDataOwner(ctx, p.instance);
  checkNotRunning(ctx, p.instance.name); // again: another up or run may have claimed it since

  if (p.iniDir) writeIniDir(p.iniDir, p.instance.phpIni, ctx.plan.uid === 0 ? p.ids.gids[0]?.start : undefined);
  const before = readRecord(ctx.state, p.instance.name);
  let started: T;
  try {
    started = start();
  } catch (e) {
    if (!before && p.iniDir) removeIniDir(p.iniDir);
    throw e;
  }
  if (before && !sameConfig(before, p.instance)) ctx.log.info(`instance ${p.instance.name}: its recorded settings are replaced by the ones given now`);
  // Right after the spawn; a child already gone (and reaped) is recorded as no owner: nothing is starting.
  const owner = ownerOf(started.pid);
  writeRecord(ctx.state, p.instance, owner);
  return { owner, started };
}
