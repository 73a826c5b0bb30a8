// Namespace ioctls (ioctl_ns(2)): which user namespace a namespace file's owner is. `nsbox exec`
// uses it to check that a user namespace it is about to join is a child of its own.
import { dlopen, FFIType } from "bun:ffi";
import { closeSync, fstatSync, statSync } from "node:fs";
import { failWithErrno } from "./last-errno.ts";

/** _IO(0xb7, 0x2): an fd on the parent of a user namespace (ioctl_ns(2)). */
const NS_GET_PARENT = 0xb702;

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", { ioctl: { args: [FFIType.i32, FFIType.u64], returns: FFIType.i32 } }).symbols;
}

/** Whether the user namespace open on `fd` is a direct child of this process's own. */
export function isChildUserNamespace(fd: number): boolean {
  const parent = (lib ??= openLibc()).ioctl(fd, NS_GET_PARENT);
  if (parent < 0) failWithErrno("ioctl NS_GET_PARENT", `fd ${fd}`);
  try {
    const p = fstatSync(parent);
    const own = statSync("/proc/self/ns/user");
    return p.dev === own.dev && p.ino === own.ino;
  } finally {
    closeSync(parent);
  }
}
