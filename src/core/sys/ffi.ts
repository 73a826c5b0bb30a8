// The libc binding: the only file that imports bun:ffi. Each call checks its result and turns
// -1 into a SysError naming the call, the errno and the object.
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import { failWithErrno as fail, lastErrno as errno } from "./last-errno.ts";
import type { Sys } from "./sys.ts";
import { ERRNO } from "../../base/errno.ts";
import { nodeFs } from "./node-fs.ts";

const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const MFD_NOEXEC_SEAL = 0x8;
const MFD_EXEC = 0x10;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const F_ADD_SEALS = 1033;
const LOCK_EX = 2;
const LOCK_NB = 4;
// F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE: nobody can change the content after.
const ALL_SEALS = 0x1 | 0x2 | 0x4 | 0x8;

let lib: ReturnType<typeof openLibc> | undefined;
let mountLock: ReturnType<typeof openMountAndLock> | undefined;

// Bun compiles a trampoline for every symbol it binds (~0.15 ms each): a start binds only the
// calls it makes; mount, umount2 and flock are bound when a command first needs them.
function openLibc() {
  return dlopen("libc.so.6", {
    memfd_create: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 },
    write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    lseek: { args: [FFIType.i32, FFIType.i64, FFIType.i32], returns: FFIType.i64 },
    execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  }).symbols;
}

function openMountAndLock() {
  return dlopen("libc.so.6", {
    mount: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
    umount2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

function libc() {
  return (lib ??= openLibc());
}

function mountAndLock() {
  return (mountLock ??= openMountAndLock());
}

function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, "utf8");
}

/** A NULL-terminated char*[] for execve; `keep` holds the buffers alive until the call. */
function cstrArray(items: readonly string[], keep: Buffer[]): Pointer {
  const ptrs = new BigUint64Array(items.length + 1);
  items.forEach((s, i) => {
    const b = cstr(s);
    keep.push(b);
    ptrs[i] = BigInt(ptr(b));
  });
  keep.push(Buffer.from(ptrs.buffer));
  return ptr(ptrs);
}

function writeAll(fd: number, bytes: Uint8Array, what: string): void {
  let off = 0;
  while (off < bytes.length) {
    const n = Number(libc().write(fd, ptr(bytes.subarray(off)), bytes.length - off));
    if (n < 0) fail("write", what);
    off += n;
  }
}

export const ffiSys: Sys = {
  sealedMemfd(name, bytes, opts) {
    const base = MFD_ALLOW_SEALING | (opts.cloexec ? MFD_CLOEXEC : 0);
    // Ask explicitly for exec or no-exec (vm.memfd_noexec, Linux 6.3); older kernels reject the
    // flags with EINVAL and then give the old behaviour (executable) without them.
    let fd = libc().memfd_create(cstr(name), base | (opts.exec ? MFD_EXEC : MFD_NOEXEC_SEAL));
    if (fd < 0 && errno() === ERRNO.EINVAL) fd = libc().memfd_create(cstr(name), base);
    if (fd < 0) fail("memfd_create", name);
    if (bytes.length > 0) writeAll(fd, bytes, name);
    // The reader (the stage, or execve) starts at the offset the fd has now: rewind.
    if (Number(libc().lseek(fd, 0, 0)) < 0) fail("lseek", name);
    if (libc().fcntl(fd, F_ADD_SEALS, ALL_SEALS) < 0) fail("fcntl(F_ADD_SEALS)", name);
    return fd;
  },
  keepAcrossExec(fd) {
    const flags = libc().fcntl(fd, F_GETFD, 0);
    if (flags < 0) fail("fcntl(F_GETFD)", `fd ${fd}`);
    if (libc().fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) fail("fcntl(F_SETFD)", `fd ${fd}`);
  },
  isOpen(fd) {
    return libc().fcntl(fd, F_GETFD, 0) >= 0;
  },
  mount(source, target, fstype, flags) {
    const src = cstr(source);
    const dst = cstr(target);
    const type = fstype === null ? null : cstr(fstype);
    if (mountAndLock().mount(ptr(src), ptr(dst), type ? ptr(type) : null, flags, null) < 0) fail("mount", target);
  },
  umount(target, flags) {
    const dst = cstr(target);
    if (mountAndLock().umount2(ptr(dst), flags) < 0) fail("umount2", target);
  },
  execve(path, argv, env) {
    const keep: Buffer[] = [];
    const file = cstr(path);
    libc().execve(ptr(file), cstrArray(argv, keep), cstrArray(env, keep));
    fail("execve", path);
  },
  uid: () => process.getuid!(),
  fs: nodeFs,
  lockExclusive(fd, wait) {
    for (;;) {
      if (mountAndLock().flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) === 0) return true;
      const e = errno();
      if (e === ERRNO.EAGAIN && !wait) return false;
      if (e !== ERRNO.EINTR) fail("flock", `fd ${fd}`);
    }
  },
};
