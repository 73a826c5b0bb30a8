// ioctl_ns(2) on namespace fds: the user namespace that owns a namespace (NS_GET_USERNS) and the
// parent of a user namespace (NS_GET_PARENT), each returned as a new fd. They answer "whose
// namespace is this?" from the fd alone, with no access to any other process's /proc files.
import { dlopen, FFIType } from "bun:ffi";
import { failWithErrno } from "./last-errno.ts";

// _IO(0xb7, 1) and _IO(0xb7, 2) (linux/nsfs.h): the same on every architecture.
const NS_GET_USERNS = 0xb701;
const NS_GET_PARENT = 0xb702;

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", { ioctl: { args: [FFIType.i32, FFIType.u64], returns: FFIType.i32 } }).symbols;
}

function nsIoctl(fd: number, request: number, what: string): number {
  const r = (lib ??= openLibc()).ioctl(fd, request);
  if (r < 0) failWithErrno("ioctl", what);
  return r;
}

/** A new fd on the user namespace that owns the namespace `fd`. */
export const nsOwnerFd = (fd: number) => nsIoctl(fd, NS_GET_USERNS, "NS_GET_USERNS");

/** A new fd on the parent of the user namespace `fd`. */
export const nsParentFd = (fd: number) => nsIoctl(fd, NS_GET_PARENT, "NS_GET_PARENT");
