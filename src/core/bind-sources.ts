// Bind sources on a way others can write. The stage resolves a plain bind's SRC following
// symlinks, as the sandbox's ids (or host root's, with --map-host-root): whoever can rename an
// entry in a directory on that way (another sandbox's --state dir, an idmapped writable bind)
// could swap it for a link between two starts and choose what the next one binds (runc
// CVE-2021-30465 is the classic). Such binds get wire flag 16: the stage then refuses any link
// on the way with one line instead of following it. The front, which starts a kept line without
// asking again, checks the owners and modes this answer was read from (bindWayDeps).
import { lstatSync, type BigIntStats } from "node:fs";
import type { NormalSpec } from "../model/normalize.ts";
import { resolutionSteps, wayDep, type FileDep } from "./file-deps.ts";

type Owned = Pick<BigIntStats, "uid" | "mode">;

/** S_ISVTX: the sticky bit (inode(7)). */
const STICKY = 0o1000n;

/**
 * Whether someone besides root and `uid` could replace `entry` in `dir` (rename(2), unlink(2)):
 * the directory's owner, or anyone who may write it, unless it is sticky and the entry is root's
 * or the caller's (in a sticky directory only an entry's owner or the directory's may remove it).
 */
export function replaceable(dir: Owned, entry: Owned | undefined, uid: number): boolean {
  const trusted = (o: Owned) => o.uid === 0n || o.uid === BigInt(uid);
  if (!trusted(dir)) return true;
  if ((dir.mode & 0o022n) === 0n) return false;
  if ((dir.mode & STICKY) === 0n) return true;
  return !entry || !trusted(entry);
}

/**
 * Whether a name on the way to PATH (links followed, as the stage follows them) could be replaced
 * by others. `dirs`: directories already stat'ed, shared by the binds of one start; `deps`, when
 * given, gets every name the answer was read from (wayDep).
 */
export function exposedPath(path: string, uid: number, dirs = new Map<string, BigIntStats>(), deps?: FileDep[]): boolean {
  const dirStat = (p: string) => {
    const known = dirs.get(p) ?? lstatSync(p, { bigint: true });
    dirs.set(p, known);
    return known;
  };
  try {
    for (const step of resolutionSteps(path)) {
      const dir = dirStat(step.dir);
      deps?.push(wayDep(step.dir, dir), wayDep(step.path, step.st));
      if (replaceable(dir, step.st, uid)) return true;
      if (step.st?.isDirectory()) dirs.set(step.path, step.st);
    }
    return false;
  } catch {
    return true; // a link or directory changed while it was read: someone is at work on the way
  }
}

/** The binds whose way is asked about: state directories have the flag already; an idmapped bind's source the supervisor opens without following links itself (stage/idmap.c). */
const askedBinds = (spec: NormalSpec) => spec.mounts.flatMap((m, i) => (m.kind === "bind" && !m.state && !m.idmap ? [{ src: m.src, i }] : []));

/**
 * The indexes in spec.mounts of plain binds whose SRC is exposed, for HostWire.noSymlinkBinds.
 * A few lstat(2)s per bind, at each start.
 */
export function exposedBinds(spec: NormalSpec, uid: number, exposed = exposedPath): number[] {
  const dirs = new Map<string, BigIntStats>();
  return askedBinds(spec).flatMap(({ src, i }) => (exposed(src, uid, dirs) ? [i] : []));
}

/**
 * What the front checks instead of asking exposedBinds again (src/native/FRONT.md): the owner
 * and mode of every directory and name on each asked bind's way, each link by identity. While
 * they lstat the same, no bind is exposed and none needs the flag. Undefined when one is exposed
 * now (such a line is nsbox's at every start).
 */
export function bindWayDeps(spec: NormalSpec, uid: number): FileDep[] | undefined {
  const dirs = new Map<string, BigIntStats>();
  const deps: FileDep[] = [];
  return askedBinds(spec).some(({ src }) => exposedPath(src, uid, dirs, deps)) ? undefined : deps;
}
