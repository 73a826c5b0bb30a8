// The Sys seam: the few system calls the TypeScript side makes before it execs into the stage.
// core/ talks to this interface; sys/ffi.ts implements it over libc, tests can record calls.

export interface Sys {
  /** memfd_create(2) holding `bytes`, sealed against change; returns the fd. */
  sealedMemfd(name: string, bytes: Uint8Array, opts: { exec: boolean; cloexec: boolean }): number;
  /** Clears FD_CLOEXEC so the fd survives execve (Bun marks inherited fds close-on-exec). */
  keepAcrossExec(fd: number): void;
  /** True when fd is open in this process. */
  isOpen(fd: number): boolean;
  /** mount(2), for the few host-side mounts nsbox owns (the private directory of persisted namespaces). */
  mount(source: string, target: string, fstype: string | null, flags: number): void;
  /** umount2(2). */
  umount(target: string, flags: number): void;
  /** execve(2); returns only by throwing a SysError. */
  execve(path: string, argv: readonly string[], env: readonly string[]): never;
  /** flock(2) LOCK_EX on fd (blocking when `wait`); false when another open file holds it. */
  lockExclusive(fd: number, wait: boolean): boolean;
}
