// A kernel file lock (flock(2)) for plugins (the `locks` service): held by this process's open
// file, so it is released on any exit or death, SIGKILL included; no stale lock to clean up.
// The holder writes "PID START" into the file so a refused caller can say who holds it.
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { HeldLock, LockHolder } from "../plugin/services.ts";
import { ffiSys } from "./sys/ffi.ts";

function holderOf(path: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const m = /^(\d+) (\S+)/.exec(text);
  return m ? { pid: Number(m[1]), since: m[2]! } : undefined;
}

/**
 * Takes the exclusive lock on `path` (created mode 0600, its folder 0700). `wait`: blocks until it
 * is free; otherwise returns who holds it. The fd is close-on-exec (Bun opens with O_CLOEXEC), so
 * a child started after this does not keep the lock alive.
 */
export function holdFileLock(path: string, wait: boolean): HeldLock | { heldBy: LockHolder | undefined } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // O_NOFOLLOW: the lock is the file at this path, never one a symlink leads to.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  let locked = false;
  try {
    locked = ffiSys.lockExclusive(fd, wait);
  } finally {
    if (!locked) closeSync(fd);
  }
  if (!locked) return { heldBy: holderOf(path) };
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid} ${new Date().toISOString()}\n`, 0);
  let open = true;
  return {
    release() {
      if (!open) return;
      open = false;
      ftruncateSync(fd, 0);
      closeSync(fd);
    },
  };
}

/** Linux's dev_t as /proc/locks prints it: major and minor in hex (new_encode_dev). */
function deviceText(dev: number): string {
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}`;
}

/**
 * Who holds the lock on `path` now. Read from /proc/locks (proc(5)), never by taking the lock:
 * a check that took it for an instant could make a run starting then be refused.
 */
export function lockHolder(path: string): LockHolder | undefined | "free" {
  let st: { dev: number; ino: number };
  try {
    st = statSync(path);
  } catch {
    return "free";
  }
  const where = `${deviceText(st.dev)}:${st.ino}`;
  // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; a waiter's line has "->" after the number.
  const held = readFileSync("/proc/locks", "utf8").split("\n").some((line) => {
    const f = line.trim().split(/\s+/);
    return f[1] === "FLOCK" && f[5] === where;
  });
  return held ? holderOf(path) : "free";
}
