// The ownership walk of a state directory: everything below an opened directory fd is given to
// one uid:gid, working on fds only (systemd's chown_recursive does the same for StateDirectory=
// under DynamicUser=). No symlink is ever followed, no other mount is entered, and a regular file
// with more than one link is left alone: it may be a hard link to a host file such as
// /etc/shadow, which chown would hand to the sandbox (systemd refuses those too).
import { chownFd, closeFd, DT_DIR, openBeneath, ownerOfFd, readDirFd, S_IFDIR, S_IFMT, S_IFREG, type FileOwner } from "./sys/fs-at.ts";
import { ERRNO, errnoName } from "../base/errno.ts";
import { SysError } from "../base/errors.ts";

export interface WalkReport {
  /** Inodes whose owner changed. */
  changed: number;
  /** Inodes already owned right. */
  kept: number;
  /** Regular files with st_nlink > 1 not owned as asked, left as they are (paths relative to the top). */
  hardLinks: string[];
  /** Mount points below the top, not entered. */
  mounts: string[];
  /** Directories MAX_DEPTH levels below the top, left as they are with all they hold. */
  tooDeep: string[];
}

/**
 * How deep the walk goes. It holds one fd per level and recurses, and the sandbox decides how
 * deep its tree is: tens of thousands of nested directories overflowed the stack and failed
 * every later start. Deeper directories keep their owners, like hard links and mount points.
 */
export const MAX_DEPTH = 512;

const DIRENT_BUFFER = 32 * 1024;

function give(fd: number, st: FileOwner, uid: number, gid: number, rel: string | (() => string), report: WalkReport): void {
  if (st.uid === uid && st.gid === gid) report.kept++;
  else {
    chownFd(fd, uid, gid, rel);
    report.changed++;
  }
}

/** A name from getdents (NUL-terminated bytes) as text for the report. */
const show = (name: Uint8Array) => Buffer.from(name.subarray(0, name.length - 1)).toString("utf8");

function walkDir(dirFd: number, rel: string, uid: number, gid: number, report: WalkReport, depth: number): void {
  const buf = new Uint8Array(DIRENT_BUFFER);
  readDirFd(dirFd, buf, rel, (name, type) => {
    // Built only when needed: for a tree of 100k files, 100k strings are measurable.
    const path = () => `${rel}/${show(name)}`;
    // A directory is opened readable (to list it), anything else as O_PATH: a symlink then gives
    // an fd on the link itself, and chown on it changes the link, never its target.
    let fd = openBeneath(dirFd, name, type === DT_DIR ? "dir" : "path");
    if (fd === -ERRNO.ENOTDIR) fd = openBeneath(dirFd, name, "path"); // replaced meanwhile
    if (fd === -ERRNO.EXDEV) return void report.mounts.push(path());
    if (fd === -ERRNO.ENOENT) return; // removed while we walk
    if (fd < 0) throw new SysError("openat2", -fd, errnoName(-fd), path());
    try {
      const st = ownerOfFd(fd, path);
      const kind = st.mode & S_IFMT;
      if (kind === S_IFREG && st.nlink > 1) {
        if (st.uid === uid && st.gid === gid) report.kept++;
        else report.hardLinks.push(path());
        return;
      }
      if (kind === S_IFDIR && depth === MAX_DEPTH) return void report.tooDeep.push(path());
      if (kind === S_IFDIR && type !== DT_DIR) {
        // d_type said "not a directory" (or nothing): reopen it readable to descend.
        const dfd = openBeneath(dirFd, name, "dir");
        if (dfd < 0) throw new SysError("openat2", -dfd, errnoName(-dfd), path());
        closeFd(fd);
        fd = dfd;
      }
      if (kind === S_IFDIR) walkDir(fd, path(), uid, gid, report, depth + 1);
      give(fd, st, uid, gid, path, report);
    } finally {
      closeFd(fd);
    }
  });
}

/**
 * Gives the directory `topFd` (opened readable, O_DIRECTORY) and everything below it on the same
 * mount to uid:gid. The top is changed last, so a top that is owned right means the walk once
 * completed (an interrupted walk is redone on the next start).
 */
export function chownTree(topFd: number, uid: number, gid: number, what: string): WalkReport {
  const report: WalkReport = { changed: 0, kept: 0, hardLinks: [], mounts: [], tooDeep: [] };
  walkDir(topFd, what, uid, gid, report, 1);
  give(topFd, ownerOfFd(topFd, what), uid, gid, what, report);
  return report;
}
