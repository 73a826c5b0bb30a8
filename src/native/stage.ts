// The driver of the native stage: finds the stage executable embedded in this binary and makes
// it executable from a place nobody else can write (a sealed memfd, or a verified root-only cache
// file where memfd exec is off), so the sandbox can never replace it (CVE-2019-5736).
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import stagePath from "../../dist/nsbox-stage" with { type: "file" };
import { NsboxError, SysError } from "../core/errors.ts";
import { stateRoot } from "../core/state-dir.ts";
import type { Sys } from "../core/sys/sys.ts";
import { sha256Hex } from "./sha256.ts";

export function stageBytes(): Uint8Array {
  return readFileSync(stagePath);
}

/** Where the cache file lives when memfds cannot be executed (vm.memfd_noexec = 2). */
export function stageCacheDir(uid: number, env: Readonly<Record<string, string | undefined>>): string {
  return join(stateRoot(uid, env), "stage");
}

/** Refuses a directory chain another user could write into (they could swap the file). */
function assertPrivateDir(dir: string, uid: number): void {
  for (let d = dir; ; d = dirname(d)) {
    const st = lstatSync(d);
    const writableByOthers = (st.mode & 0o022) !== 0 && !(st.mode & 0o1000);
    if (!st.isDirectory() || (st.uid !== uid && st.uid !== 0) || writableByOthers) {
      throw new NsboxError(`stage cache: ${d} is not a private directory`, 125, "it must be owned by you or root and not writable by others");
    }
    if (d === "/") return;
  }
}

function cachedStage(bytes: Uint8Array, uid: number, env: Readonly<Record<string, string | undefined>>): string {
  const dir = stageCacheDir(uid, env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  assertPrivateDir(dir, uid);
  const digest = sha256Hex(bytes);
  const file = join(dir, `nsbox-stage-${digest.slice(0, 32)}`);
  const current = (() => {
    try {
      return sha256Hex(readFileSync(file));
    } catch {
      return undefined;
    }
  })();
  if (current !== digest) {
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, bytes, { mode: 0o500, flag: "wx" });
    renameSync(tmp, file);
  }
  const st = lstatSync(file);
  if (!st.isFile() || st.uid !== uid || (st.mode & 0o222) !== 0) {
    throw new NsboxError(`stage cache: ${file} has the wrong owner or mode`, 125, "remove it and run again");
  }
  // Opened once to make sure it is readable; execve re-reads the same inode in a private dir.
  closeSync(openSync(file, "r"));
  return file;
}

/**
 * A path the stage can be exec'ed from: /proc/self/fd/N of a sealed, close-on-exec memfd
 * (execve opens it before closing CLOEXEC fds), or the verified cache file as a fallback.
 * A child spawned to run the stage is given `/proc/<our pid>` instead: it reads our fd.
 */
export function stageExecutable(sys: Sys, uid: number, env: Readonly<Record<string, string | undefined>>, proc = "/proc/self"): string {
  const bytes = stageBytes();
  try {
    return `${proc}/fd/${sys.sealedMemfd("nsbox-stage", bytes, { exec: true, cloexec: true })}`;
  } catch (e) {
    // EACCES/EPERM: the memfd_noexec policy refuses executable memfds here.
    if (!(e instanceof SysError) || (e.errnoName !== "EACCES" && e.errnoName !== "EPERM")) throw e;
    return cachedStage(bytes, uid, env);
  }
}
