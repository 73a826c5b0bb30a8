// SysV shared memory (shmget(2), shmctl(2)) for `nsbox selftest`: a host segment open to every
// uid, so that only the IPC namespace stands between it and a sandbox.
import { dlopen, FFIType } from "bun:ffi";
import { failWithErrno as fail } from "./last-errno.ts";

const IPC_PRIVATE = 0;
const IPC_CREAT = 0o1000;
const IPC_RMID = 0;

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    shmget: { args: [FFIType.i32, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    shmctl: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  }).symbols;
}

function libc() {
  return (lib ??= openLibc());
}


/** A new private segment of `size` bytes with permission bits `mode`; returns its id. */
export function createShmSegment(size: number, mode: number): number {
  const id = libc().shmget(IPC_PRIVATE, size, IPC_CREAT | mode);
  if (id < 0) fail("shmget", `${size} bytes`);
  return id;
}

/** Marks the segment for removal (it goes when the last attach does). */
export function removeShmSegment(id: number): void {
  if (libc().shmctl(id, IPC_RMID, null) < 0) fail("shmctl(IPC_RMID)", `segment ${id}`);
}
