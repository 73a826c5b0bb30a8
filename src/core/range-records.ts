// The recorded id ranges of named sandboxes, for the operator: which names hold which range, which
// state directories each range owns, and giving a range back. A range is released only when
// nothing would change hands by it: a later name could be given the same slot, and whatever
// files the old range still owns on disk would then be that name's (systemd's DynamicUser= has
// the same hazard, and chowns StateDirectory= again at every start for it).
import { existsSync, lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { PlanContext } from "../model/context.ts";
import { EXIT, NsboxError } from "../base/errors.ts";
import { rangeOf, rangePool, slotRecord, type RangePool } from "./id-ranges.ts";
import { chownTree, MAX_DEPTH } from "./owned-tree.ts";
import { runningRecords } from "./sandbox-record.ts";
import { persistentRoot } from "./state-dir.ts";
import { openStateDir, readStamp } from "./state-directories.ts";
import { chownFd, closeFd } from "./sys/fs-at.ts";

export interface RangeRecord {
  name: string;
  slot: number;
  uid: { start: number; count: number };
  gid: { start: number; count: number };
  /** The pid of the running sandbox of that name, if one runs. */
  runningPid: number | null;
  /** State directories still owned by the range's root (their stamps, checked against the disk). */
  stateDirs: string[];
}

export interface RangeDirs {
  ranges: string;
  stamps: string;
}

export const rangeDirs = (root: string = persistentRoot()): RangeDirs => ({ ranges: join(root, "id-ranges"), stamps: join(root, "state-stamps") });

/** State directories a stamp gives to host uid `uid` and that are still that directory on disk. */
function ownedStateDirs(uid: number, stamps: string): { path: string; stamp: string }[] {
  if (!existsSync(stamps)) return [];
  return readdirSync(stamps)
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => {
      const stamp = readStamp(join(stamps, f));
      if (!stamp || stamp.uid !== uid) return [];
      try {
        const st = lstatSync(stamp.path, { bigint: true });
        return st.isDirectory() && st.ino.toString() === stamp.ino && Number(st.uid) === uid ? [{ path: stamp.path, stamp: join(stamps, f) }] : [];
      } catch {
        return [];
      }
    });
}

function recordOf(name: string, slot: number, pool: RangePool, dirs: RangeDirs, running: Map<string, number>): RangeRecord {
  const { uid, gid } = rangeOf(name, slot, pool, dirs.ranges);
  return {
    name,
    slot,
    uid: { start: uid.start, count: uid.count },
    gid: { start: gid.start, count: gid.count },
    runningPid: running.get(name) ?? null,
    stateDirs: ownedStateDirs(uid.start, dirs.stamps).map((d) => d.path),
  };
}

/** Every name with a recorded range, sorted by name. A record that does not check out is left out. */
export function listRanges(ctx: Pick<PlanContext, "subuid" | "subgid">, dirs: RangeDirs = rangeDirs()): RangeRecord[] {
  if (!existsSync(dirs.ranges)) return [];
  const pool = rangePool(ctx);
  const running = new Map(runningRecords().map((r) => [r.name, r.pid]));
  return readdirSync(dirs.ranges)
    .filter((f) => f.startsWith("name-") && !f.endsWith(".tmp"))
    .flatMap((f) => {
      const name = f.slice("name-".length);
      const record = slotRecord(name, pool, dirs.ranges);
      return record?.valid ? [recordOf(name, record.slot, pool, dirs, running)] : [];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Gives NAME's range back. Refused while a sandbox of that name runs, and while state
 * directories are owned by the range, unless `reownToRoot` gives them to root first (the same
 * symlink-safe walk as --state; the next sandbox that is given one makes it its own again).
 */
export function releaseRange(name: string, ctx: Pick<PlanContext, "subuid" | "subgid">, reownToRoot: boolean, dirs: RangeDirs = rangeDirs()): { reowned: string[] } {
  const record = listRanges(ctx, dirs).find((r) => r.name === name);
  if (!record) throw new NsboxError(`no id range is recorded for ${name}`, EXIT.failed, "see nsbox ranges");
  if (record.runningPid !== null) throw new NsboxError(`sandbox ${name} is running (pid ${record.runningPid}): its range stays`, EXIT.failed, `stop it first: nsbox stop ${name}`);
  const owned = ownedStateDirs(record.uid.start, dirs.stamps);
  if (owned.length && !reownToRoot) {
    throw new NsboxError(
      `${name}'s range still owns ${owned.map((d) => d.path).join(", ")}: another name given the range later would own them`,
      EXIT.failed,
      "give them to root with --reown-root (the data stays), or remove them",
    );
  }
  for (const d of owned) {
    const fd = openStateDir(d.path);
    let left: string[];
    try {
      const report = chownTree(fd, 0, 0, d.path);
      left = [...report.hardLinks, ...report.mounts, ...report.tooDeep];
      // What the walk does not touch may still be the range's: released, the slot could go to
      // another name, which would then own it. DIR goes back to the range, so that it still
      // counts as the range's (ownedStateDirs) until a walk leaves nothing.
      if (left.length) chownFd(fd, record.uid.start, record.gid.start, d.path);
    } finally {
      closeFd(fd);
    }
    if (left.length)
      throw new NsboxError(
        `${d.path}: ${left.length} entr${left.length === 1 ? "y" : "ies"} the walk leaves alone (a file with several hard links, a mount point, or a directory ${MAX_DEPTH} levels down) may still be ${name}'s, e.g. ${left[0]}; the range stays`,
        EXIT.failed,
        "give them to root yourself (chown -h root:root) or remove them, then run it again",
      );
    rmSync(d.stamp, { force: true });
  }
  // The name first: a slot file without a name is only unused, a name without its slot's claim
  // is an error the next start reports (id-ranges.ts slotRecord).
  rmSync(join(dirs.ranges, `name-${name}`), { force: true });
  rmSync(join(dirs.ranges, `slot-${record.slot}`), { force: true });
  return { reowned: owned.map((d) => d.path) };
}
