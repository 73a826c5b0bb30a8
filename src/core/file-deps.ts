// What a decision read from the file system, recorded so a later start can tell by lstat alone
// whether it would read the same (the front, src/native/FRONT.md): a file whose contents mattered
// by its identity (device, inode, mode, size, modify and change times), one whose owner and mode
// mattered (who may replace names in it: core/bind-sources.ts) by those, anything else by its
// type. A symlink is always kept by identity: its target cannot change without a new inode or
// change time.
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, type BigIntStats } from "node:fs";
import { dirname } from "node:path";

export type FileType = "missing" | "dir" | "file" | "symlink" | "other";

export type FileDep =
  | { path: string; type: FileType }
  | { path: string; uid: bigint; mode: bigint }
  | { path: string; dev: bigint; ino: bigint; mode: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint };

/** What names one version of a file: a new file has another inode, a write another change time. */
export type FileIdentity = Pick<BigIntStats, "dev" | "ino" | "size" | "mtimeNs" | "ctimeNs">;

/** DEV INO SIZE MTIME_NS CTIME_NS, as decimal text: how an entry or a saved plan names a file. */
export const identityFields = (st: FileIdentity): string[] => [st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].map(String);

/** DEV INO MODE SIZE MTIME_NS CTIME_NS: a front entry's `dep` after its path (front.c same_stat with its mode). */
export const depIdentityFields = (st: FileIdentity & Pick<BigIntStats, "mode">): string[] => [st.dev, st.ino, st.mode, st.size, st.mtimeNs, st.ctimeNs].map(String);

function typeOf(st: BigIntStats): FileType {
  return st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "symlink" : "other";
}

function identity(path: string, st: BigIntStats): FileDep {
  return { path, dev: st.dev, ino: st.ino, mode: st.mode, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

function lstatQuietly(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

/** PATH itself (not followed): by identity when `contents` matter or it is a symlink, else by type. */
export function pathDep(path: string, contents = false): FileDep {
  const st = lstatQuietly(path);
  if (!st) return { path, type: "missing" };
  return contents || st.isSymbolicLink() ? identity(path, st) : { path, type: typeOf(st) };
}

/**
 * A regular file's contents and, from the very fd they were read from, its identity: a later lstat
 * that gives the same identity names the same contents. Undefined when PATH is missing, a symlink
 * (O_NOFOLLOW) or not a regular file.
 */
export function readWithDep(path: string): { text: string; dep: FileDep } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW); // Bun opens O_CLOEXEC itself
  } catch {
    return undefined;
  }
  try {
    const text = readFileSync(fd, "utf8"); // EISDIR for a directory
    // After the read: a write during it changed the modify time this records.
    const st = fstatSync(fd, { bigint: true });
    return st.isFile() ? { text, dep: identity(path, st) } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Symlinks followed before giving up (path_resolution(7): Linux's own limit is 40). */
const MAX_LINKS = 40;

/** One name the kernel looks up resolving a path: in directory `dir`, as `path`; its lstat, undefined when missing. */
export interface ResolutionStep {
  dir: string;
  path: string;
  st: BigIntStats | undefined;
  /** PATH's own last name, not a directory or link on the way. */
  last: boolean;
}

/**
 * Every name the kernel visits resolving PATH (path_resolution(7)), in order, following each
 * symlink to its target; ends at a missing name, a file on the way (ENOTDIR) or past 40 links.
 */
export function* resolutionSteps(path: string): Generator<ResolutionStep> {
  let pending = path.split("/").filter((c) => c && c !== ".");
  let at = "/";
  for (let links = 0; pending.length; ) {
    const name = pending.shift()!;
    if (name === "..") {
      at = dirname(at);
      continue;
    }
    const next = at === "/" ? `/${name}` : `${at}/${name}`;
    const st = lstatQuietly(next);
    yield { dir: at, path: next, st, last: pending.length === 0 && !st?.isSymbolicLink() };
    if (!st) return;
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return;
      const target = readlinkSync(next);
      if (target.startsWith("/")) at = "/";
      pending = [...target.split("/").filter((c) => c && c !== "."), ...pending];
      continue;
    }
    if (!st.isDirectory()) return; // a file on the way: resolution stops here (ENOTDIR)
    at = next;
  }
}

/**
 * Every name the kernel visits resolving PATH: each directory on the way by type, each symlink
 * by identity (then its target, resolved in turn), and the last name by identity when its
 * `contents` matter. Reading PATH (readFileSync, realpath, exists) gives the same answer as long
 * as all of these lstat the same.
 */
export function resolutionDeps(path: string, contents: boolean): FileDep[] {
  return [...resolutionSteps(path)].map(({ path: p, st, last }) => {
    if (!st) return { path: p, type: "missing" };
    return st.isSymbolicLink() || (last && contents) ? identity(p, st) : { path: p, type: typeOf(st) };
  });
}

/**
 * A name on a way whose owners matter (core/bind-sources.ts): a directory or the last name by
 * owner and whole st_mode (its type included), a symlink by identity (its target), a missing
 * name as missing. While all of a way's names lstat the same, the kernel walks the same names,
 * and no one but their owners could have renamed any.
 */
export function wayDep(path: string, st: BigIntStats | undefined): FileDep {
  if (!st) return { path, type: "missing" };
  return st.isSymbolicLink() ? identity(path, st) : { path, uid: st.uid, mode: st.mode };
}

/** How much of a file a dep pins: its type < its owner and mode < its identity (which a chown or chmod changes too). */
const strength = (d: FileDep) => ("type" in d ? 0 : "uid" in d ? 1 : 2);

/** One entry per path, the strongest any reading of it wanted. */
export function uniqueDeps(deps: readonly FileDep[]): FileDep[] {
  const seen = new Map<string, FileDep>();
  for (const d of deps) {
    const had = seen.get(d.path);
    if (!had || strength(had) < strength(d)) seen.set(d.path, d);
  }
  return [...seen.values()];
}
