// `nsbox stage install`: the static stage as a root-owned file, so saved plans (`nsbox plan
// --save`) can name it as their interpreter and start with no nsbox at all. The file and its
// directory must be root's alone (a user who could replace the stage could run anything as
// whoever runs a plan); the directories above may be sticky (like /tmp) but otherwise root's
// too. The same rules are checked by the stage itself before it runs a plan.
import { chmodSync, chownSync, closeSync, constants, copyFileSync, existsSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { NsboxError, UsageError } from "../base/errors.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { sha256Hex } from "../native/sha256.ts";
import { identityFields, type FileIdentity } from "./file-deps.ts";

export const DEFAULT_STAGE_PATH = "/usr/local/lib/nsbox/nsbox-stage";

const HINT = "install it with: nsbox stage install";

/**
 * Every directory from `dir` up to `/` is owned by root (or `owner`) and not writable by group or
 * others, except a sticky one (nobody may rename others' entries there), which `dir` itself may
 * not be when `strict`.
 */
export function assertGuardedDirs(dir: string, what: string, { owner = 0, strict = true } = {}): void {
  for (let d = dir, first = true; ; d = dirname(d), first = false) {
    let st;
    try {
      st = statSync(d);
    } catch (e) {
      throw new NsboxError(`${what}: directory ${d}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : (e as Error).message}`, 125, `create it first, owned by root${owner ? " or you" : ""} and not writable by others`);
    }
    const writable = (st.mode & 0o022) !== 0 && ((first && strict) || !(st.mode & 0o1000));
    if (!st.isDirectory() || (st.uid !== 0 && st.uid !== owner) || writable) {
      throw new NsboxError(`${what}: directory ${d} is ${st.uid !== 0 && st.uid !== owner ? `owned by uid ${st.uid}` : `writable by others (mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")})`}`, 125, `it must be owned by root${owner ? " or you" : ""} and not writable by others`);
    }
    if (d === "/") return;
  }
}

/** `bytes` (or a copy of the file `from`) at `path`, root-owned, mode 0755: written aside, synced, renamed over. */
function placeRootFile(path: string, from: { bytes: Uint8Array } | { file: string }): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    if ("file" in from) copyFileSync(from.file, tmp, 1 /* COPYFILE_EXCL */);
    const fd = openSync(tmp, "bytes" in from ? "wx" : "r+", 0o700);
    try {
      if ("bytes" in from) writeSync(fd, from.bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chownSync(tmp, 0, 0);
    chmodSync(tmp, 0o755);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function assertInstallPath(path: string, what: string): void {
  if (process.getuid!() !== 0) throw new UsageError(`${what}: needs root (the installed stage must be owned by root)`);
  if (!path.startsWith("/") || /\s/.test(path)) throw new UsageError(`${what}: ${path}: give an absolute path without spaces`);
}

/** Writes the stage at `path` (replacing one that is there), root-owned, mode 0755; returns its sha256. */
export function installStage(path: string, bytes: Uint8Array): string {
  assertInstallPath(path, "stage install");
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  assertGuardedDirs(dir, "stage install");
  placeRootFile(path, { bytes });
  return verifyInstalledStage(path, bytes);
}

/**
 * The front (src/native/FRONT.md): this nsbox copied beside the installed stage at `stage` (as
 * `nsbox`, unless it runs from there already), then `link`, the path users run, made a symlink to
 * the stage, atomically (a new link renamed over the old file). Returns where nsbox is now.
 */
export function installFront(link: string, stage: string): string {
  assertInstallPath(link, "stage install --front");
  const nsbox = join(dirname(stage), "nsbox");
  if (link === stage || link === nsbox) throw new UsageError(`stage install --front: ${link} is where the stage or nsbox itself goes`, "give the path users run, such as /usr/local/bin/nsbox");
  const linkDir = dirname(link);
  assertGuardedDirs(linkDir, "stage install --front");
  const self = readlinkSync("/proc/self/exe");
  if (self !== nsbox) placeRootFile(nsbox, { file: self });
  const st = lstatSync(link, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new UsageError(`stage install --front: ${link} is a directory`, "give the path users run, such as /usr/local/bin/nsbox");
  const tmp = `${link}.${process.pid}.tmp`;
  symlinkSync(stage, tmp);
  try {
    renameSync(tmp, link);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return nsbox;
}

/**
 * The installed stage at `path` is a file only root can change, in directories only root can
 * change: its bytes, and the identity of the file they were read from (checked on the open file,
 * before and after the read, so the bytes are that version's).
 */
function readGuardedStage(path: string): { bytes: Buffer; file: FileIdentity } {
  const loose = () => new NsboxError(`stage: ${path} must be a regular file owned by root and not writable by others`, 125, HINT);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NsboxError(`stage: no stage installed at ${path}`, 125, HINT);
    throw code === "ELOOP" ? loose() : e;
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    if (!before.isFile() || before.uid !== 0n || (before.mode & 0o022n) !== 0n) throw loose();
    assertGuardedDirs(dirname(path), "stage");
    const bytes = readFileSync(fd);
    const file = fstatSync(fd, { bigint: true });
    if (identityFields(file).join(" ") !== identityFields(before).join(" ")) throw new NsboxError(`stage: ${path} changed while it was read`, 125, "run the command again once nothing writes the stage");
    return { bytes, file };
  } finally {
    closeSync(fd);
  }
}

/** The installed stage at `path` is root's alone and byte for byte this nsbox's: returns its sha256 and the file it was read from. */
export function verifiedStageFile(path: string, bytes: Uint8Array): { sha256: string; file: FileIdentity } {
  const read = readGuardedStage(path);
  const sum = sha256Hex(read.bytes);
  if (sum !== sha256Hex(bytes)) throw new NsboxError(`stage: ${path} is not this nsbox's stage (sha256 ${sum.slice(0, 12)})`, 125, HINT);
  return { sha256: sum, file: read.file };
}

/** The installed stage at `path` is root's alone and byte for byte this nsbox's: returns its sha256. */
export function verifyInstalledStage(path: string, bytes: Uint8Array): string {
  return verifiedStageFile(path, bytes).sha256;
}

/** Whether a process of the sandbox may be host root: no user namespace, or one mapping host uid 0. */
function mayBeHostRoot(spec: NormalSpec): boolean {
  return spec.namespaces.user.mode !== "new" || spec.users.uidMap.some((r) => r.outside === 0);
}

/**
 * The installed stage, when a run may exec it instead of a sealed copy of its own: it is this
 * nsbox's stage, root's alone, and nothing in the sandbox can be host root. Sandboxes that exec
 * one file share its pages (each one costs ~100 KB less than with a memfd of its own). A
 * sandbox that may be host root keeps the sealed memfd: its init is the stage, and host root
 * could reopen /proc/1/exe for writing once nothing runs it (CVE-2019-5736). Undefined: use
 * the memfd (nothing installed, or anything about the file that does not check out).
 */
export function sharedStage(spec: NormalSpec, bytes: () => Uint8Array, path: string = DEFAULT_STAGE_PATH): string | undefined {
  if (mayBeHostRoot(spec) || !existsSync(path)) return undefined;
  try {
    // Compared byte for byte: the same proof as the sums, without hashing twice on every start.
    return readGuardedStage(path).bytes.equals(bytes()) ? path : undefined;
  } catch {
    return undefined;
  }
}
