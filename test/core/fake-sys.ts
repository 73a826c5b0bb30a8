// A recording Sys for unit tests of host preparation: an in-memory file tree, fds that are open
// or not, and a log of every effect (what changes the host) in the order it happened. `failAt`
// makes the N-th effect fail instead of happening, to test that what came before is undone.
// Reads are not effects. After execve nothing happens any more, as after the real one: the
// process that would have acted is gone. cgroupfs is modelled where it matters: a directory made under a
// cgroup mount comes with its kernel files, which neither count against rmdir nor are "made".
import { dirname } from "node:path";
import { SysError } from "../../src/base/errors.ts";
import type { HostFs, Sys } from "../../src/core/sys/sys.ts";

interface Node {
  dir: boolean;
  data: string;
  mode: number;
  /** A file the kernel provides (cgroupfs): written, never created or removed by us. */
  kernel?: boolean;
}

/** Thrown by the fake's execve once recorded: where the real one would have left Bun for good. */
export class Execed extends Error {
  constructor(readonly path: string, readonly argv: readonly string[]) {
    super(`execve ${path}`);
  }
}

const fsError = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: ${syscall} ${path}`), { code, syscall, path });

export interface FakeSysOptions {
  /** Directories and files that exist at the start (parents are implied). */
  dirs?: readonly string[];
  files?: Record<string, string>;
  /** Where cgroupfs is mounted: directories made below it get these kernel files. */
  cgroupRoot?: string;
  kernelFiles?: readonly string[];
  openFds?: readonly number[];
  uid?: number;
}

export class FakeSys implements Sys {
  /** Every effect, in order: "mkdir PATH", "write PATH", "rename A B", "remove PATH", "rmdir PATH", ... */
  readonly effects: string[] = [];
  /** The index (in `effects`) of the effect that fails instead of happening; -1: none. */
  failAt = -1;
  private readonly nodes = new Map<string, Node>([["/", { dir: true, data: "", mode: 0o755 }]]);
  private readonly open: Set<number>;
  private nextFd = 100;

  constructor(private readonly opts: FakeSysOptions = {}) {
    for (const d of opts.dirs ?? []) this.makeDirs(d, 0o755);
    for (const [path, data] of Object.entries(opts.files ?? {})) {
      this.makeDirs(dirname(path), 0o755);
      this.nodes.set(path, { dir: false, data, mode: 0o644, kernel: path.startsWith(`${opts.cgroupRoot}/`) });
    }
    this.open = new Set([0, 1, 2, ...(opts.openFds ?? [])]);
  }

  /** Every path that exists, except kernel files: what a run may leave behind. */
  paths(): string[] {
    return [...this.nodes.entries()].filter(([, n]) => !n.kernel).map(([p]) => p).sort();
  }

  /** Set by execve: the caller's image is gone, so nothing it does afterwards happens. */
  execed = false;

  /** Records an effect, or fails it when it is the one chosen to fail; false after execve. */
  private effect(what: string): boolean {
    if (this.execed) return false;
    if (this.effects.length === this.failAt) {
      this.effects.push(`FAILED ${what}`);
      throw fsError("EIO", what.split(" ")[0]!, what.split(" ")[1] ?? "");
    }
    this.effects.push(what);
    return true;
  }

  private makeDirs(path: string, mode: number): void {
    if (this.nodes.has(path)) return;
    this.makeDirs(dirname(path), mode);
    this.nodes.set(path, { dir: true, data: "", mode });
  }

  private children(path: string): string[] {
    return [...this.nodes.keys()].filter((p) => p !== path && dirname(p) === path);
  }

  readonly fs: HostFs = {
    readFile: (path) => {
      const n = this.nodes.get(path);
      if (!n) throw fsError("ENOENT", "open", path);
      if (n.dir) throw fsError("EISDIR", "read", path);
      return n.data;
    },
    writeFile: (path, data, { mode = 0o644, exclusive = false } = {}) => {
      const n = this.nodes.get(path);
      if (n && exclusive) throw fsError("EEXIST", "open", path);
      if (!this.nodes.get(dirname(path))?.dir) throw fsError("ENOENT", "open", path);
      if (n?.dir) throw fsError("EISDIR", "open", path);
      if (!this.effect(`${n ? "write" : "create"} ${path}`)) return;
      const text = typeof data === "string" ? data : new TextDecoder().decode(data);
      this.nodes.set(path, { dir: false, data: text, mode: n?.mode ?? mode, kernel: n?.kernel });
    },
    rename: (from, to) => {
      const n = this.nodes.get(from);
      if (!n) throw fsError("ENOENT", "rename", from);
      if (!this.effect(`rename ${from} ${to}`)) return;
      this.nodes.delete(from);
      this.nodes.set(to, n);
    },
    remove: (path) => {
      const n = this.nodes.get(path);
      if (!n) return;
      if (n.dir) throw fsError("EISDIR", "unlink", path);
      if (!this.effect(`remove ${path}`)) return;
      this.nodes.delete(path);
    },
    mkdir: (path, { mode = 0o755, recursive = false } = {}) => {
      const missing: string[] = [];
      for (let p = path; !this.nodes.has(p); p = dirname(p)) missing.unshift(p);
      if (missing.length === 0) {
        if (recursive && this.nodes.get(path)!.dir) return;
        throw fsError("EEXIST", "mkdir", path);
      }
      if (!recursive && missing.length > 1) throw fsError("ENOENT", "mkdir", path);
      for (const p of missing) {
        if (!this.effect(`mkdir ${p}`)) return;
        this.nodes.set(p, { dir: true, data: "", mode });
        if (this.opts.cgroupRoot && p.startsWith(`${this.opts.cgroupRoot}/`)) {
          for (const f of this.opts.kernelFiles ?? []) this.nodes.set(`${p}/${f}`, { dir: false, data: "", mode: 0o644, kernel: true });
        }
      }
    },
    rmdir: (path) => {
      const n = this.nodes.get(path);
      if (!n) throw fsError("ENOENT", "rmdir", path);
      if (!n.dir) throw fsError("ENOTDIR", "rmdir", path);
      const inside = this.children(path);
      if (inside.some((c) => !this.nodes.get(c)!.kernel)) throw fsError("ENOTEMPTY", "rmdir", path);
      if (!this.effect(`rmdir ${path}`)) return;
      for (const c of inside) this.nodes.delete(c);
      this.nodes.delete(path);
    },
    exists: (path) => this.nodes.has(path),
    readdir: (path) => {
      if (!this.nodes.get(path)?.dir) throw fsError("ENOENT", "scandir", path);
      return this.children(path).map((c) => c.slice(path === "/" ? 1 : path.length + 1));
    },
    lstat: (path) => {
      const n = this.nodes.get(path);
      if (!n) throw fsError("ENOENT", "lstat", path);
      // Everything here is ours: what nsbox makes, it owns.
      return { isDirectory: n.dir, isFile: !n.dir, uid: process.getuid!(), mode: n.mode };
    },
  };

  /** The contents of the memfds made, by fd. */
  readonly memfds = new Map<number, { name: string; bytes: Uint8Array }>();

  sealedMemfd(name: string, bytes: Uint8Array): number {
    this.effect(`memfd ${name}`);
    const fd = this.nextFd++;
    this.open.add(fd);
    this.memfds.set(fd, { name, bytes });
    return fd;
  }

  keepAcrossExec(fd: number): void {
    if (!this.open.has(fd)) throw new SysError("fcntl(F_GETFD)", 9, "EBADF", `fd ${fd}`);
    this.effect(`keep-fd ${fd}`);
  }

  isOpen(fd: number): boolean {
    return this.open.has(fd);
  }

  mount(_source: string, target: string): void {
    this.effect(`mount ${target}`);
  }

  umount(target: string): void {
    this.effect(`umount ${target}`);
  }

  execve(path: string, argv: readonly string[]): never {
    this.effect(`execve ${path}`);
    this.execed = true;
    throw new Execed(path, argv);
  }

  uid(): number {
    return this.opts.uid ?? process.getuid!();
  }

  /** Fds holding the one exclusive lock of their file, as flock(2) would: here, by fd alone. */
  readonly locked = new Set<number>();

  lockExclusive(fd: number): boolean {
    if (!this.open.has(fd)) throw new SysError("flock", 9, "EBADF", `fd ${fd}`);
    this.effect(`flock ${fd}`);
    this.locked.add(fd);
    return true;
  }
}
