// The synchronous setns window (DESIGN.md §2): Bun's main thread steps into another network
// namespace, does one synchronous thing there (open a socket), and steps back before any other
// JS can run. setns(2) and unshare(2) move only the calling thread, and a socket stays in the
// namespace it was created in (network_namespaces(7)), so the socket outlives the window.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { failWithErrno as fail, lastErrno } from "./last-errno.ts";
import { NsboxError } from "../../base/errors.ts";
import { errnoName } from "../../base/errno.ts";

const CLONE_NEWNET = 0x40000000;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
/** The calling thread's own namespace: /proc/self would name the main thread's, /proc/thread-self this one's. */
const THREAD_NETNS = "/proc/thread-self/ns/net";

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    setns: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    unshare: { args: [FFIType.i32], returns: FFIType.i32 },
    open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

function libc() {
  return (lib ??= openLibc());
}


/** open(2) of this thread's network namespace, close-on-exec. */
function openThreadNetns(): number {
  const path = Buffer.from(`${THREAD_NETNS}\0`);
  const fd = libc().open(ptr(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", THREAD_NETNS);
  return fd;
}

/**
 * Going back failed: this thread is now in the wrong namespace and every later socket would be
 * too. Nothing can be trusted after that; stop the process rather than act on the wrong network.
 */
function stranded(back: number): never {
  const e = lastErrno();
  process.stderr.write(`nsbox: setns back to the original network namespace failed (fd ${back}: ${errnoName(e)}); stopping\n`);
  process.exit(125);
}

/**
 * Runs `fn` with the calling thread in the network namespace of `nsFd`, then returns to the
 * namespace it came from. `fn` must be synchronous: an await would let other JS run while the
 * thread is elsewhere, so a returned promise is refused (after stepping back).
 */
export function withNetns<T>(nsFd: number, fn: () => T): T {
  const back = openThreadNetns();
  try {
    if (libc().setns(nsFd, CLONE_NEWNET) < 0) fail("setns(CLONE_NEWNET)", `network namespace fd ${nsFd}`);
    let result: T;
    try {
      result = fn();
    } finally {
      if (libc().setns(back, CLONE_NEWNET) < 0) stranded(back);
    }
    if (result instanceof Promise) throw new NsboxError("internal: the setns window must be synchronous (fn returned a promise)");
    return result;
  } finally {
    libc().close(back);
  }
}

/**
 * A new, empty network namespace, returned as an fd (close-on-exec) that keeps it alive:
 * unshare(CLONE_NEWNET), open /proc/thread-self/ns/net, setns back, all in one window.
 */
export function createNetns(): number {
  const back = openThreadNetns();
  try {
    if (libc().unshare(CLONE_NEWNET) < 0) fail("unshare(CLONE_NEWNET)", "a new network namespace");
    let fd = -1;
    try {
      fd = openThreadNetns();
    } finally {
      if (libc().setns(back, CLONE_NEWNET) < 0) stranded(back);
    }
    return fd;
  } finally {
    libc().close(back);
  }
}

/** Opens a network namespace file (/proc/PID/ns/net, a bind mount of one) as an fd, close-on-exec. */
export function openNetns(path: string): number {
  const p = Buffer.from(`${path}\0`);
  const fd = libc().open(ptr(p), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", path);
  return fd;
}

/** close(2) for fds from createNetns/openNetns. */
export function closeNetns(fd: number): void {
  libc().close(fd);
}
