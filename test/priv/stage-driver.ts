// Drives dist/nsbox-stage (or a test build of it) directly with hand-built wire specs (WIRE.md)
// on fd 3, for tests of the stage's ops that the TypeScript side does not expose.
import { chmodSync, closeSync, openSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "./harness.ts";
import { removeAtRunEnd } from "../run-temp.ts";

export const STAGE = resolve(import.meta.dir, "../../dist/nsbox-stage");
export const PATH = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
export const ALL = 0x7e020000; // USER|NS|PID|UTS|IPC|NET|CGROUP
export const NET = 0x40000000, UTS = 0x04000000, USER = 0x10000000, NS = 0x00020000;
/** A sandbox like `nsbox run --root host`: read-only host root, own /proc, /dev, /tmp. */
export const BASE = [
  "clone", ALL, "setgroups", "allow", "uidmap", 0, 1879048192, 65536, "gidmap", 0, 1879048192, 65536,
  "bind", "/", "/", 1, "dev", "/dev", "proc", "/proc", "tmpfs", "/tmp", "1777", 0, "hostname", "box", "lo-up", "env", PATH,
];

/** A temporary directory that root inside a sandbox (an unprivileged host uid) can enter. */
export function temp(): string {
  const d = removeAtRunEnd(tempDir("nsbox-stage-ops-"));
  chmodSync(d, 0o755);
  return d;
}

/** The bytes of a wire spec: magic, version, the records, `end`. */
export function spec(...tokens: (string | number)[]): Uint8Array {
  return new TextEncoder().encode(["nsbox-wire", "1", ...tokens.map(String), "end"].map((t) => `${t}\0`).join(""));
}

/** Writes a spec to a file (for scripts that hand it to the stage themselves). */
export function specFile(dir: string, name: string, ...tokens: (string | number)[]): string {
  const f = join(dir, name);
  writeFileSync(f, spec(...tokens));
  return f;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the stage with the spec on fd 3 and `fds` on 4, 5, ... */
export function stage(tokens: (string | number)[], fds: number[] = [], env: Record<string, string> = {}, binary = STAGE): Run {
  const dir = temp();
  const fd = openSync(specFile(dir, "spec.wire", ...tokens), "r");
  try {
    const r = Bun.spawnSync([binary, "--spec-fd", "3"], { stdio: ["ignore", "pipe", "pipe", fd, ...fds], env: { PATH: PATH.slice(5), ...env }, timeout: 30_000 });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  } finally {
    closeSync(fd);
  }
}

/** argv records for `sh -c script`. */
export const sh = (script: string) => ["argv", "sh", "argv", "-c", "argv", script];
/** Lines of stderr, for "exactly one line" checks. */
export const lines = (s: string) => s.split("\n").filter(Boolean);
