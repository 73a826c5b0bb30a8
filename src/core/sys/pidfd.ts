// pidfds (pidfd_open(2), pidfd_send_signal(2)): a handle on one process that a reused pid can
// never redirect. `stop` opens one, checks the start time once, then signals through it only.
import { dlopen, FFIType } from "bun:ffi";
import { constants } from "node:os";
import { failWithErrno } from "./last-errno.ts";

// x86-64 and arm64 share these numbers (the generic syscall table, Linux 5.1 and 5.3).
const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

const libc = () => (lib ??= openLibc());

export function pidfdOpen(pid: number): number {
  const fd = Number(libc().syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0));
  if (fd < 0) failWithErrno("pidfd_open", `pid ${pid}`);
  return fd;
}

export function pidfdSignal(fd: number, signal: NodeJS.Signals): void {
  if (Number(libc().syscall(SYS_PIDFD_SEND_SIGNAL, fd, constants.signals[signal], 0, 0)) < 0) failWithErrno("pidfd_send_signal", signal);
}

export function pidfdClose(fd: number): void {
  libc().close(fd);
}
