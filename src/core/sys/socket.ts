// Stream sockets over libc (socket(2), setsockopt(2), bind(2), listen(2), getsockname(2),
// connect(2)), for the listening sockets nsbox opens in its own network namespace and hands to a
// sandbox. Addresses arrive as struct sockaddr bytes (model/sockaddr.ts builds them).
import { dlopen, FFIType, ptr } from "bun:ffi";
import { failWithErrno as fail, lastErrno as errno } from "./last-errno.ts";
import { ERRNO } from "../../base/errno.ts";

const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    fchmod: { args: [FFIType.i32, FFIType.u32], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

function libc() {
  return (lib ??= openLibc());
}



/** The socket calls core/ makes; a seam so tests can fake them. */
export interface SocketSys {
  /** A close-on-exec stream socket of `family` (AF_INET, AF_INET6, AF_UNIX); `what` names it in errors. */
  streamSocket(family: number, what: string, opts?: { nonblock?: boolean }): number;
  setIntOption(fd: number, level: number, option: number, value: number, what: string): void;
  /** fchmod(2) on the socket itself: a unix socket's file gets this mode (less the umask) at bind. */
  chmodSocket(fd: number, mode: number, what: string): void;
  bind(fd: number, sockaddr: Uint8Array, what: string): void;
  listen(fd: number, backlog: number, what: string): void;
  /** The bound address, as sockaddr bytes of the returned length. */
  sockname(fd: number, what: string): Uint8Array;
  /** connect(2) without throwing: 0, or the errno (a non-blocking socket gives EAGAIN/EINPROGRESS). */
  tryConnect(fd: number, sockaddr: Uint8Array): number;
  close(fd: number): void;
}

export const ffiSocketSys: SocketSys = {
  streamSocket(family, what, opts = {}) {
    const fd = libc().socket(family, SOCK_STREAM | SOCK_CLOEXEC | (opts.nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) fail("socket", what);
    return fd;
  },
  setIntOption(fd, level, option, value, what) {
    const v = new Int32Array([value]);
    if (libc().setsockopt(fd, level, option, ptr(v), 4) < 0) fail("setsockopt", what);
  },
  chmodSocket(fd, mode, what) {
    if (libc().fchmod(fd, mode) < 0) fail("fchmod", what);
  },
  bind(fd, sockaddr, what) {
    if (libc().bind(fd, ptr(sockaddr), sockaddr.length) < 0) fail("bind", what);
  },
  listen(fd, backlog, what) {
    if (libc().listen(fd, backlog) < 0) fail("listen", what);
  },
  sockname(fd, what) {
    const buf = new Uint8Array(128); // sockaddr_storage
    const len = new Uint32Array([buf.length]);
    if (libc().getsockname(fd, ptr(buf), ptr(len)) < 0) fail("getsockname", what);
    return buf.slice(0, Math.min(len[0]!, buf.length));
  },
  tryConnect(fd, sockaddr) {
    for (;;) {
      if (libc().connect(fd, ptr(sockaddr), sockaddr.length) === 0) return 0;
      const e = errno();
      if (e !== ERRNO.EINTR) return e;
    }
  },
  close(fd) {
    libc().close(fd);
  },
};
