// The Sys seam: the few system calls the TypeScript side makes before it execs into the stage,
// and the file operations of host preparation (records, cgroups, state dirs). core/ talks to
// this interface; sys/ffi.ts implements it over libc and node:fs, test/core/fake-sys.ts records.

/**
 * The file operations host preparation makes. Failures throw errors carrying node's `code`
 * (ENOENT, EEXIST, ...), as node:fs does.
 */
export interface HostFs {
  readFile(path: string): string;
  /** Creates or replaces the file; `exclusive` fails with EEXIST when it exists (O_EXCL). */
  writeFile(path: string, data: string | Uint8Array, opts?: { mode?: number; exclusive?: boolean }): void;
  rename(from: string, to: string): void;
  /** Removes a file; nothing happens when it is missing. */
  remove(path: string): void;
  /** mkdir; `recursive` makes the missing parents too and accepts an existing directory. */
  mkdir(path: string, opts?: { mode?: number; recursive?: boolean }): void;
  rmdir(path: string): void;
  exists(path: string): boolean;
  readdir(path: string): string[];
  /** lstat(2): what `path` itself is, never what a symlink there points to. */
  lstat(path: string): { isDirectory: boolean; isFile: boolean; uid: number; mode: number };
}

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
  /** getuid(2). */
  uid(): number;
  fs: HostFs;
  /** flock(2) LOCK_EX on fd (blocking when `wait`); false when another open file holds it. */
  lockExclusive(fd: number, wait: boolean): boolean;
}
