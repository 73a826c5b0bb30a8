// errno after a libc call made through bun:ffi, and the SysError that names it: one place for
// every binding in sys/. errno is per thread and Bun runs our JS on one thread, so reading it
// right after the call (before any other libc call) gives that call's error.
import { dlopen, FFIType, read, type Pointer } from "bun:ffi";
import { SysError } from "../../base/errors.ts";
import { errnoName } from "../../base/errno.ts";

let errnoLocation: (() => unknown) | undefined;

export function lastErrno(): number {
  errnoLocation ??= dlopen("libc.so.6", { __errno_location: { args: [], returns: FFIType.ptr } }).symbols.__errno_location as () => unknown;
  return read.i32(errnoLocation() as Pointer, 0);
}

/** Throws the SysError for the last failed call: `syscall object: ENAME`. */
export function failWithErrno(syscall: string, object?: string, errno: number = lastErrno()): never {
  throw new SysError(syscall, errno, errnoName(errno), object);
}
