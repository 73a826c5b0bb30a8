// fd-relative file system calls for work inside trees a sandbox can write (state directories):
// openat2 with RESOLVE_* (no glibc wrapper: syscall(2)), statx, fchownat, mkdirat, getdents64.
// Every path is resolved relative to an fd that was itself opened without following symlinks.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { SysError } from "../../base/errors.ts";
import { ERRNO } from "../../base/errno.ts";
import { failWithErrno as fail, lastErrno } from "./last-errno.ts";

/** fcntl.h open flags differ between x86-64 and arm64 (asm-generic vs arch headers). */
const ARCH: Record<string, { openat2: number; O_DIRECTORY: number; O_NOFOLLOW: number }> = {
  x64: { openat2: 437, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000 },
  arm64: { openat2: 437, O_DIRECTORY: 0o40000, O_NOFOLLOW: 0o100000 },
};
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
/** openat2(2): no symlink anywhere, never above the starting fd, never into another mount. */
const RESOLVE_NO_XDEV = 0x01;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;
const AT_EMPTY_PATH = 0x1000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_BASIC_STATS = 0x7ff;
const STATX_MNT_ID = 0x1000;
/** STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_UID | STATX_GID */
const STATX_TYPE_OWNER = 0x1f;
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFSOCK = 0o140000;
export const DT_DIR = 4;

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    syscall: { args: [FFIType.i64, FFIType.i64, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    statx: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.u32, FFIType.ptr], returns: FFIType.i32 },
    fchownat: { args: [FFIType.i32, FFIType.ptr, FFIType.u32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    fchmod: { args: [FFIType.i32, FFIType.u32], returns: FFIType.i32 },
    mkdirat: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    getdents64: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

function libc() {
  return (lib ??= openLibc());
}

function arch() {
  const a = ARCH[process.arch];
  if (!a) throw new SysError("openat2", ERRNO.ENOSYS, "ENOSYS", `no syscall numbers for ${process.arch}`);
  return a;
}

const EMPTY = Buffer.from("\0");
/** A name as a C string: file names are bytes, so a name read from a directory stays bytes. */
const cstr = (s: string | Uint8Array) => (typeof s === "string" ? Buffer.from(`${s}\0`, "utf8") : s);

/** An object's name for an error message, built only when there is an error. */
type Lazy = string | (() => string);
const named = (what: Lazy) => (typeof what === "string" ? what : what());

export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  ino: bigint;
  dev: number;
  mntId: bigint;
}

export type OpenKind = "path" | "dir";

/**
 * openat2(dirFd, name) without following any symlink and without leaving dirFd or its mount:
 * "path" gives an O_PATH fd (of a symlink itself when name is one), "dir" a readable directory.
 * Returns -errno instead of throwing for the errors a walk expects (ENOENT, EXDEV, ELOOP, ENOTDIR).
 */
export function openBeneath(dirFd: number, name: string | Uint8Array, kind: OpenKind, crossMounts = false): number {
  const a = arch();
  const fd = Number(libc().syscall(a.openat2, dirFd, ptr(cstr(name)), ptr(openHow(a, kind, crossMounts)), 24));
  return fd < 0 ? -lastErrno() : fd;
}

/** struct open_how for each way of opening, made once: the walk opens every inode of a tree. */
const hows = new Map<string, BigUint64Array>();
function openHow(a: (typeof ARCH)[string] & {}, kind: OpenKind, crossMounts: boolean): BigUint64Array {
  const key = `${kind}${crossMounts}`;
  let how = hows.get(key);
  if (!how) {
    const flags = O_CLOEXEC | a.O_NOFOLLOW | (kind === "path" ? O_PATH : a.O_DIRECTORY);
    how = new BigUint64Array([BigInt(flags), 0n, BigInt(RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH | (crossMounts ? 0 : RESOLVE_NO_XDEV))]);
    hows.set(key, how);
  }
  return how;
}

const statBuf = new Uint8Array(256);
const statView = new DataView(statBuf.buffer);

/** statx(2) of an fd itself (AT_EMPTY_PATH): a symlink's O_PATH fd describes the link. */
export function statFd(fd: number, what: string): FileStat {
  if (libc().statx(fd, ptr(EMPTY), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID, ptr(statBuf)) < 0) fail("statx", what);
  return {
    ...ownerOfStat(),
    ino: statView.getBigUint64(32, true),
    dev: statView.getUint32(136, true) * 2 ** 20 + statView.getUint32(140, true),
    mntId: statView.getBigUint64(144, true),
  };
}

export type FileOwner = Pick<FileStat, "mode" | "uid" | "gid" | "nlink">;

/** Type, owner and link count of an fd: what the ownership walk needs, read in one statx. */
export function ownerOfFd(fd: number, what: Lazy): FileOwner {
  if (libc().statx(fd, ptr(EMPTY), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE_OWNER, ptr(statBuf)) < 0) fail("statx", named(what));
  return ownerOfStat();
}

function ownerOfStat(): FileOwner {
  return {
    nlink: statView.getUint32(16, true),
    uid: statView.getUint32(20, true),
    gid: statView.getUint32(24, true),
    mode: statView.getUint16(28, true),
  };
}

/** fchownat(fd, "", AT_EMPTY_PATH): the inode the fd holds, never a name resolved again. */
export function chownFd(fd: number, uid: number, gid: number, what: Lazy): void {
  if (libc().fchownat(fd, ptr(EMPTY), uid, gid, AT_EMPTY_PATH) < 0) fail("fchownat", named(what));
}

export function chmodFd(fd: number, mode: number, what: string): void {
  if (libc().fchmod(fd, mode) < 0) fail("fchmod", what);
}

/** mkdirat(2); false when the name exists already. */
export function makeDirAt(dirFd: number, name: string, mode: number, what: string): boolean {
  if (libc().mkdirat(dirFd, ptr(cstr(name)), mode) === 0) return true;
  if (lastErrno() === ERRNO.EEXIST) return false;
  fail("mkdirat", what);
}

export function closeFd(fd: number): void {
  libc().close(fd);
}

/**
 * The entries of a directory fd (getdents64(2)), without `.` and `..`, in batches into `buf`:
 * `each` gets the name as NUL-terminated bytes (for openBeneath) and the d_type (DT_DIR...; 0
 * when the file system does not say).
 */
export function readDirFd(fd: number, buf: Uint8Array, what: string, each: (name: Uint8Array, type: number) => void): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const p = ptr(buf);
  for (;;) {
    const n = Number(libc().getdents64(fd, p, buf.byteLength));
    if (n < 0) fail("getdents64", what);
    if (n === 0) return;
    for (let off = 0; off < n; ) {
      const reclen = view.getUint16(off + 16, true);
      const type = buf[off + 18]!;
      let end = off + 19;
      while (buf[end] !== 0) end++;
      const len = end - off - 19;
      const dots = buf[off + 19] === 46 && (len === 1 || (len === 2 && buf[off + 20] === 46));
      if (!dots) each(buf.slice(off + 19, end + 1), type);
      off += reclen;
    }
  }
}
