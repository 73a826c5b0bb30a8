// Helpers for the privileged tests: they run the real dist/nsbox on the real kernel as root.
// Outside CI without root they are skipped with a reason; in CI (CI=true) missing root fails.
import { describe } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export { childrenOf, descendantsOf } from "./proc-tree.ts";

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

export interface NsboxResult extends Result {
  /** nsbox's pid, which is also the id of the session it led (see sessionPids). */
  pid: number;
}

/**
 * Runs dist/nsbox with `args`; never throws on a non-zero exit. It leads a session of its own
 * (setsid), so what it left running can be found by that session alone (sessionPids).
 */
export function nsbox(args: string[], opts: { env?: Record<string, string>; stdin?: string; timeout?: number } = {}): NsboxResult {
  const r = Bun.spawnSync([NSBOX, ...args], {
    env: { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", ...opts.env },
    stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
    timeout: opts.timeout ?? 20_000,
    detached: true,
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString(), pid: r.pid };
}

/** `nsbox run [opts] -- sh -c script`. */
export function inSandbox(script: string, opts: string[] = []): NsboxResult {
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

/**
 * Mount points that appeared on the host since `before` where a sandbox's mounts would show if
 * they leaked: where the stage stages its root (/tmp, /run, /mnt, with newroot and oldroot under
 * them) and the sandbox's destinations `dsts`. Other new mounts are other tests' (they run side
 * by side on this machine), not this one's to judge.
 */
export function leakedMounts(before: readonly string[], dsts: readonly string[] = []): string[] {
  const places = ["/tmp", "/run", "/mnt", ...dsts];
  const staged = (m: string) => /^\/(?:(?:tmp|run|mnt)\/)?(?:newroot|oldroot)(?:\/|$)/.test(m);
  return hostMountPoints().filter((m) => !before.includes(m) && (places.includes(m) || staged(m)));
}

/** The fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...). */
function statFields(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * Processes still in the session `sid`: one a test started with `detached: true` (or through
 * nsbox() above), so only what that test made. The stage's supervisor and the sandbox's init
 * stay in it; the payload (setsid) does not, but dies with the init's PID namespace.
 */
export function sessionPids(sid: number): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && statFields(p)?.[3] === String(sid))
    .map(Number);
}


/** The command name (comm) of pid, or undefined once it is gone. */
export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Polls `cond` (sync or async) until it holds; fails, saying what was awaited, after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await Bun.sleep(10);
  }
}

/** Reads a process's output until `marker` appears (the payload says it got that far). */
export async function readUntil(stream: ReadableStream<Uint8Array>, marker: string): Promise<void> {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the output ended before ${marker}: ${text}`);
    text += Buffer.from(value).toString();
  }
  reader.releaseLock();
}

const RANGES = "/var/lib/nsbox/id-ranges";

/**
 * Forgets the id ranges named runs of a test recorded (docs/ids.md): a name's range is meant to
 * outlive its sandbox, a test's is not. Only records that name these names are removed, and
 * nsbox's persistent directories only when nothing else is left in them.
 */
export function forgetRanges(names: readonly string[]): void {
  // A state dir stamped for one of these ranges would be owned by whichever name takes the slot
  // next (another file's test): the test that made it must remove its stamp first.
  const listed = names.length ? nsbox(["ranges", "--json"]) : undefined;
  const owning = listed?.code === 0 ? (JSON.parse(listed.stdout) as { name: string; stateDirs: string[] }[]).filter((r) => names.includes(r.name) && r.stateDirs.length) : [];
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
  if (owning.length) throw new Error(`forgetRanges: stamps left for ${owning.map((r) => `${r.name} (${r.stateDirs.join(", ")})`).join("; ")}: remove them (stampPath) before the ranges`);
}
