// State directories (--state DIR), systemd's StateDirectory= under DynamicUser=: before the stage
// runs, DIR is created if missing (parents 0755, root's), and DIR with everything below it is
// given to the sandbox's root (its host range). The stage then binds it writable like any bind.
// They are data: nothing here is undone when a start fails, and stop and gc never touch them.
import { constants, existsSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NormalSpec } from "../model/normalize.ts";
import type { IdRange } from "../model/schema.ts";
import { NsboxError } from "../base/errors.ts";
import { logger } from "./log.ts";
import { chownTree, MAX_DEPTH } from "./owned-tree.ts";
import { runningRecords } from "./sandbox-record.ts";
import { persistentDir, persistentRoot } from "./state-dir.ts";
import { ERRNO, errnoName } from "../base/errno.ts";
import { chmodFd, closeFd, makeDirAt, openBeneath, S_IFLNK, S_IFMT, statFd, type FileStat } from "./sys/fs-at.ts";
import { permits } from "./bind-access.ts";

const log = logger("state");

/** What a completed walk leaves behind: the directory it gave to which ids. */
export interface Stamp {
  path: string;
  dev: number;
  ino: string;
  uid: number;
  gid: number;
}

const refuse = (dir: string, why: string, hint?: string, flag = "--state") => new NsboxError(`${flag} ${dir}: ${why}`, 125, hint);

/**
 * Opens DIR from / one component at a time without following any symlink, creating what is
 * missing (0755, owned by the caller). Returns a readable directory fd. `searchable`, when
 * given, must hold for every directory above DIR: the sandbox reaches DIR through them. `flag`
 * names the option that asked, in messages.
 */
export function openStateDir(dir: string, searchable?: (st: FileStat, at: string) => void, flag = "--state"): number {
  const parts = dir.split("/").filter(Boolean);
  let fd = openSync("/", constants.O_RDONLY | constants.O_DIRECTORY);
  let at = "";
  for (const part of parts) {
    at += `/${part}`;
    let next = openBeneath(fd, part, "dir", true);
    if (next === -ERRNO.ENOENT) {
      makeDirAt(fd, part, 0o755, at);
      next = openBeneath(fd, part, "dir", true);
      if (next >= 0) chmodFd(next, 0o755, at); // exactly 0755, whatever the umask
    }
    if (next === -ERRNO.ENOTDIR || next === -ERRNO.ELOOP) {
      // With O_NOFOLLOW a symlink is ENOTDIR (or ELOOP): say which of the two it is.
      const path = openBeneath(fd, part, "path", true);
      const link = path >= 0 && (statFd(path, at).mode & S_IFMT) === S_IFLNK;
      if (path >= 0) closeFd(path);
      closeFd(fd);
      throw refuse(dir, link ? (at === dir ? "is a symlink; give the directory itself" : `${at} is a symlink; give the real path`) : `${at} is not a directory`, undefined, flag);
    }
    try {
      if (next >= 0 && at !== dir) searchable?.(statFd(next, at), at);
    } catch (e) {
      closeFd(next);
      closeFd(fd);
      throw e;
    }
    closeFd(fd);
    if (next < 0) throw refuse(dir, `cannot open ${at}: ${errnoName(-next)}`, undefined, flag);
    fd = next;
  }
  return fd;
}

const hostOf = (map: readonly IdRange[]) => map.find((r) => r.inside === 0)?.outside;

/** The host uid:gid of the sandbox's root, or undefined when its ids are the host's own. */
function sandboxRoot(spec: NormalSpec): { uid: number; gid: number } | undefined {
  if (spec.namespaces.user.mode !== "new") return undefined;
  const uid = hostOf(spec.users.uidMap);
  const gid = hostOf(spec.users.gidMap);
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

const overlapping = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** A running sandbox with another range holding DIR (or a directory above or below it). */
function checkNotInUse(dir: string, root: { uid: number }): void {
  for (const r of runningRecords()) {
    const other = hostOf(r.spec.users.uidMap);
    const holds = r.spec.mounts.some((m) => m.kind === "bind" && m.state && overlapping(m.src, dir));
    if (holds && other !== root.uid) {
      throw refuse(dir, `in use by the running sandbox ${r.name}, whose root is host uid ${other ?? 0} (this one's is ${root.uid})`, `stop it first: nsbox stop ${r.name}`);
    }
  }
}

/** Where the stamp of DIR is kept (a hash of the path names it; the stamp holds the path itself). */
export function stampPath(dir: string, stamps: string = join(persistentRoot(), "state-stamps")): string {
  return join(stamps, `${Bun.hash(dir).toString(16)}.json`);
}

const stampFile = (dir: string) => stampPath(dir, persistentDir("state-stamps"));

export function readStamp(file: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Stamp;
  } catch {
    return undefined;
  }
}

const stampMatches = (s: Stamp | undefined, dir: string, st: FileStat, root: { uid: number; gid: number }) =>
  s !== undefined && s.path === dir && s.dev === st.dev && s.ino === String(st.ino) && s.uid === root.uid && s.gid === root.gid && st.uid === root.uid && st.gid === root.gid;

/**
 * Gives DIR's tree to the sandbox's root, unless a stamp says an earlier walk did and DIR is
 * unchanged. The stamp also answers "in use by another range?": a sandbox of another range
 * would have stamped DIR for itself when it started, so only a mismatch needs the records read.
 */
function giveToRoot(dir: string, fd: number, root: { uid: number; gid: number }): void {
  const st = statFd(fd, dir);
  const file = stampFile(dir);
  if (stampMatches(readStamp(file), dir, st, root)) return;
  checkNotInUse(dir, root);
  if (st.uid !== 0 && st.uid !== root.uid) log.info(`--state ${dir}: owned by host uid ${st.uid}; giving it to this sandbox's root (host uid ${root.uid})`);
  const report = chownTree(fd, root.uid, root.gid, dir);
  log.debug(`--state ${dir}: ${report.changed} owners changed, ${report.kept} kept`);
  if (report.hardLinks.length)
    log.warn(`--state ${dir}: ${report.hardLinks.length} file(s) with several hard links kept their owner (a link to a host file must not change hands), e.g. ${report.hardLinks[0]}`);
  if (report.mounts.length) log.warn(`--state ${dir}: mount points below it were not entered, e.g. ${report.mounts[0]}`);
  if (report.tooDeep.length) {
    const first = report.tooDeep[0]!.slice(dir.length + 1).split("/");
    log.warn(`--state ${dir}: directories ${MAX_DEPTH} levels below it and deeper kept their owners, with all they hold, e.g. ${dir}/${first.slice(0, 2).join("/")}/.../${first.at(-1)}`);
  }
  const stamp: Stamp = { path: dir, dev: st.dev, ino: String(st.ino), uid: root.uid, gid: root.gid };
  writeFileSync(`${file}.tmp`, JSON.stringify(stamp), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Stamps whose directory is gone or was replaced (another inode): they can never match again. */
export function staleStamps(): { what: string; remove(): void }[] {
  const dir = join(persistentRoot(), "state-stamps");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => {
      const file = join(dir, f);
      const stamp = readStamp(file);
      let ino: string | undefined;
      try {
        ino = stamp ? lstatSync(stamp.path, { bigint: true }).ino.toString() : undefined;
      } catch {}
      if (stamp && ino === stamp.ino) return [];
      return [{ what: `stamp of state directory ${stamp?.path ?? file} (gone; the directory's data is not touched)`, remove: () => rmSync(file, { force: true }) }];
    });
}

/** Prepares every state directory of the spec: the single call prepare-host makes. */
export function prepareStateDirs(spec: NormalSpec, callerUid: number = process.getuid!()): void {
  for (const m of spec.mounts) {
    if (m.kind !== "bind" || !m.state) continue;
    const root = callerUid === 0 ? sandboxRoot(spec) : undefined;
    const fd = openStateDir(m.src, (st, at) => {
      if (root && !permits(st, root.uid, root.gid, 1))
        throw refuse(m.src, `the sandbox's root (host uid ${root.uid}) cannot reach it: ${at} is mode 0${(st.mode & 0o777).toString(8)}, owned by uid ${st.uid}`, "choose a directory under world-searchable parents (0755), such as /srv or /var/lib");
    });
    try {
      if (callerUid !== 0) {
        // Without root nothing changes hands: the sandbox maps the caller, who must own DIR.
        const st = statFd(fd, m.src);
        if (st.uid !== callerUid) throw refuse(m.src, `owned by uid ${st.uid}, not by you (uid ${callerUid}); without root nsbox changes no owner`, "give a directory you own");
        continue;
      }
      if (!root || root.uid === 0) continue; // the sandbox's root is host root: it can write DIR as it is
      giveToRoot(m.src, fd, root);
    } finally {
      closeFd(fd);
    }
  }
}
