// A kernel file lock (flock(2)) for plugins (the `locks` service): held by this process's open
// file, so it is released on any exit or death, SIGKILL included; no stale lock to clean up.
// The holder writes "PID START" into the file so a refused caller can say who holds it.
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
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
 * is free; otherwise returns who holds it. The fd is close-on-exec (Node opens with O_CLOEXEC), so
 * a child started after this does not keep the lock alive.
 */
export function holdFileLock(path: string, wait: boolean): HeldLock | { heldBy: LockHolder | undefined } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, "a+", 0o600);
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

/** Who holds the lock on `path` now, without taking it for longer than the check. */
export function lockHolder(path: string): LockHolder | undefined | "free" {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "free";
  }
  try {
    if (ffiSys.lockExclusive(fd, false)) return "free";
    return holderOf(path);
  } finally {
    closeSync(fd); // closing drops the lock if this check took it
  }
}
