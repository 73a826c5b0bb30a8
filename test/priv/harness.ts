// Helpers for the privileged tests: they run the real dist/nsbox on the real kernel as root.
// Outside CI without root they are skipped with a reason; in CI (CI=true) missing root fails.
import { describe } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const NSBOX = resolve(import.meta.dir, "../../dist/nsbox");

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI) throw new Error("test/priv must run as root in CI");

/** `describe` for tests that need root: skipped, with the reason in its name, without it. */
export const describeRoot: typeof describe = isRoot ? describe : ((name: string, fn: () => void) => describe.skip(`${name} (skipped: needs root)`, fn)) as typeof describe;

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs dist/nsbox with `args`; never throws on a non-zero exit. */
export function nsbox(args: string[], opts: { env?: Record<string, string>; stdin?: string; timeout?: number } = {}): Result {
  const r = Bun.spawnSync([NSBOX, ...args], {
    env: { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
    timeout: opts.timeout ?? 20_000,
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** `nsbox run [opts] -- sh -c script`. */
export function inSandbox(script: string, opts: string[] = []): Result {
  return nsbox(["run", ...opts, "--", "sh", "-c", script]);
}

/** Runs a shell script on the host (for host-side setup and checks). */
export function host(script: string): Result {
  const r = Bun.spawnSync(["sh", "-c", script], { timeout: 20_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** A fresh temporary directory for one test. */
export function tempDir(prefix = "nsbox-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Mount points listed in this process's mountinfo (field 5). */
export function hostMountPoints(): string[] {
  return host("cut -d' ' -f5 /proc/self/mountinfo").stdout.trim().split("\n");
}

/** Processes running the stage (its argv is `nsbox --spec-fd N`): none may outlive a test. */
export function stagePids(): string[] {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("nsbox\0--spec-fd");
    } catch {
      return false;
    }
  });
}

/** Polls `cond` until it holds (a condition, not a time: the limit only ends a hung test). */
export async function waitUntil(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(20);
  }
}

const RANGES = "/var/lib/nsbox/id-ranges";

/**
 * Forgets the id ranges named runs of a test recorded (docs/ids.md): a name's range is meant to
 * outlive its sandbox, a test's is not. Only records that name these names are removed, and
 * nsbox's persistent directories only when nothing else is left in them.
 */
export function forgetRanges(names: readonly string[]): void {
  for (const n of names) {
    const file = `${RANGES}/name-${n}`;
    const slot = existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
    rmSync(file, { force: true });
    if (slot && existsSync(`${RANGES}/slot-${slot}`) && readFileSync(`${RANGES}/slot-${slot}`, "utf8") === n) rmSync(`${RANGES}/slot-${slot}`);
  }
  for (const d of [RANGES, "/var/lib/nsbox/state-stamps", "/var/lib/nsbox"]) {
    try {
      rmdirSync(d);
    } catch {}
  }
}
