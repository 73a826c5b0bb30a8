// The plan cache of `nsbox run` on the real binary: a repeated line starts from its cached plan
// and builds the same sandbox; any change to what planning reads (environment, cwd) misses; lines
// whose planning reads more are never kept; an entry that was changed, or that others could have
// written, is not used (the run plans afresh). Root's entries are in /run/nsbox/plans, so the
// root tests give every line an environment of its own; nobody's run in a runtime dir of the test's.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stampPath } from "../../src/core/state-directories.ts";
import { describeRoot, forgetRanges, host, nsbox, NSBOX, tempDir } from "./harness.ts";

/** What a sandbox is, seen from inside: ids, capabilities, filter, mounts (without their ids), limits. */
const PROBE = [
  "grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters)' /proc/self/status",
  "cut -d' ' -f5- /proc/self/mountinfo",
  "hostname; id; ulimit -a; ls -A /; pwd; env | sort",
].join("; ");

const TRACE_LINES = /^nsbox-trace:\s+[\d.]+ ms\s+(plan cache hit|plan cache miss|plan cached)$/gm;

/** The plan cache's trace lines of one run, in order. */
const cacheEvents = (stderr: string) => [...stderr.matchAll(TRACE_LINES)].map((m) => m[1]);

const tags: string[] = [];
/** An environment no other run of nsbox has: its own cache key (its entries are removed after). */
const freshEnv = () => {
  tags.push(crypto.randomUUID());
  return { NSBOX_TRACE: "1", PLAN_CACHE_TEST: tags.at(-1)! };
};

/** Root's entries this file made: the ones whose key holds one of its environments. */
function removeOwnEntries(): void {
  const dir = "/run/nsbox/plans";
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return;
  }
  for (const f of files) {
    try {
      if (tags.some((t) => readFileSync(join(dir, f), "utf8").includes(t))) rmSync(join(dir, f));
    } catch {
      // Gone meanwhile (another run evicted it).
    }
  }
}

const dirs: string[] = [];
let nobodyHome = "";
let nobodyNsbox = "";
beforeAll(() => {
  if (process.getuid?.() !== 0) return;
  nobodyHome = tempDir("nsbox-plan-cache-");
  dirs.push(nobodyHome);
  chmodSync(nobodyHome, 0o755);
  // A copy nobody can read and execute, and a runtime dir of its own for its entries.
  host(`cp ${NSBOX} ${nobodyHome}/nsbox && chmod 755 ${nobodyHome}/nsbox`);
  nobodyNsbox = `${nobodyHome}/nsbox`;
  mkdirSync(join(nobodyHome, "run"), { mode: 0o700 });
  chownSync(join(nobodyHome, "run"), 65534, 65534);
});
const stateDirs: string[] = [];
const names: string[] = [];
afterAll(() => {
  removeOwnEntries();
  forgetRanges(names);
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  stateDirs.forEach((d) => rmSync(stampPath(d), { force: true }));
});

/** `nsbox run ARGS` as nobody (no subordinate ids), with the test's runtime dir and tracing on. */
function asNobody(args: string[], env: Record<string, string> = {}) {
  return nobodyRuns([nobodyNsbox, "run", ...args], env);
}

/** argv as nobody, with the test's runtime dir and tracing on. */
function nobodyRuns(argv: string[], env: Record<string, string> = {}) {
  const envArgs = Object.entries({ XDG_RUNTIME_DIR: join(nobodyHome, "run"), PATH: "/usr/bin:/bin", NSBOX_TRACE: "1", ...env }).map(([k, v]) => `${k}=${v}`);
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", ...envArgs, ...argv], { cwd: "/", timeout: 20_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const nobodyPlans = () => join(nobodyHome, "run", "nsbox", "plans");
const nobodyEntries = () => readdirSync(nobodyPlans()).map((n) => join(nobodyPlans(), n));

describeRoot("plan cache (root)", () => {
  test("a repeated line is planned once and then started from its cached plan: the same sandbox", () => {
    const env = freshEnv();
    const line = ["run", "--tmpfs", "/scratch", "--setenv", "A", "1", "--", "sh", "-c", PROBE];
    const first = nsbox(line, { env });
    const second = nsbox(line, { env });
    const third = nsbox(line, { env });
    expect([first.code, second.code, third.code]).toEqual([0, 0, 0]);
    expect(cacheEvents(first.stderr)).toEqual(["plan cache miss", "plan cached"]);
    expect(cacheEvents(second.stderr)).toEqual(["plan cache hit"]);
    expect(cacheEvents(third.stderr)).toEqual(["plan cache hit"]);
    expect(second.stdout).toBe(first.stdout);
    expect(third.stdout).toBe(first.stdout);
    expect(first.stdout).toContain("Seccomp:\t2");
    expect(first.stdout).toContain("/scratch");
  });
  test("a start from the cache warns as a planned one does, at the log level its flags chose", () => {
    const env = freshEnv();
    const line = ["run", "--map-host-root", "--", "true"];
    const [first, second] = [nsbox(line, { env }), nsbox(line, { env })];
    expect(cacheEvents(second.stderr)).toEqual(["plan cache hit"]);
    for (const r of [first, second]) expect(r.stderr).toContain("warning: run: --map-host-root");
    const quiet = ["run", "--quiet", "--map-host-root", "--", "true"];
    const [q1, q2] = [nsbox(quiet, { env }), nsbox(quiet, { env })];
    expect(cacheEvents(q2.stderr)).toEqual(["plan cache hit"]);
    for (const r of [q1, q2]) expect(r.stderr).not.toContain("warning");
  });
  test("what a start prepares is prepared at every start: a state directory removed after the first run is made again", () => {
    const env = freshEnv();
    const parent = tempDir("nsbox-plan-cache-state-");
    chmodSync(parent, 0o755); // the sandbox's root is an unprivileged host uid: it must reach the directory
    dirs.push(parent);
    const dir = join(parent, "app");
    stateDirs.push(dir);
    const line = ["run", "--state", dir, "--", "sh", "-c", `touch ${dir}/x && stat -c %U ${dir}/x`];
    const first = nsbox(line, { env });
    expect(cacheEvents(first.stderr)).toEqual(["plan cache miss", "plan cached"]);
    rmSync(dir, { recursive: true });
    const second = nsbox(line, { env });
    expect(cacheEvents(second.stderr)).toEqual(["plan cache hit"]);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout).toBe("root\n");
  });
  test("a named line keeps its name's range: a hit claims the range again and is used only when it is the same", () => {
    const env = freshEnv();
    const name = `pc-${crypto.randomUUID().slice(0, 8)}`;
    const other = `${name}-other`;
    names.push(name, other);
    const ranges = "/var/lib/nsbox/id-ranges";
    const slotOf = (n: string) => readFileSync(join(ranges, `name-${n}`), "utf8").trim();
    const line = ["run", "--name", name, "--", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; hostname"];
    const first = nsbox(line, { env });
    expect(first.code).toBe(0);
    expect(cacheEvents(first.stderr)).toEqual(["plan cache miss", "plan cached"]);
    const slot = slotOf(name);
    expect(cacheEvents(nsbox(line, { env }).stderr)).toEqual(["plan cache hit"]);
    // Given back (nsbox ranges rm): the hit claims the name's range again, as planning would.
    forgetRanges([name]);
    const again = nsbox(line, { env });
    expect(cacheEvents(again.stderr)).toEqual(["plan cache hit"]);
    expect(again.stdout).toBe(first.stdout);
    expect(slotOf(name)).toBe(slot);
    // Given back, and its slot taken by another name meanwhile: the entry's range is not the
    // name's any more, so the run plans afresh, in the range it gets now, and keeps that plan.
    forgetRanges([name]);
    mkdirSync(ranges, { recursive: true, mode: 0o700 });
    writeFileSync(join(ranges, `slot-${slot}`), other, { mode: 0o600 });
    writeFileSync(join(ranges, `name-${other}`), slot, { mode: 0o600 });
    const moved = nsbox(line, { env });
    expect(moved.code).toBe(0);
    expect(cacheEvents(moved.stderr)).toEqual(["plan cache miss", "plan cached"]);
    expect(slotOf(name)).not.toBe(slot);
    expect(moved.stdout).not.toBe(first.stdout);
    expect(moved.stdout.endsWith(`${name}\n`)).toBe(true);
    const after = nsbox(line, { env });
    expect(cacheEvents(after.stderr)).toEqual(["plan cache hit"]);
    expect(after.stdout).toBe(moved.stdout);
  });
  test("another environment or working directory is another plan", () => {
    const env = freshEnv();
    const line = ["run", "--", "sh", "-c", "pwd; echo $B"];
    expect(cacheEvents(nsbox(line, { env }).stderr)).toEqual(["plan cache miss", "plan cached"]);
    const changed = nsbox(line, { env: { ...env, B: "2" } });
    expect(cacheEvents(changed.stderr)).toEqual(["plan cache miss", "plan cached"]);
    expect(changed.stdout).toBe("/\n2\n");
    const elsewhere = Bun.spawnSync([NSBOX, "run", "--", "sh", "-c", "echo $PWD"], { env, cwd: "/tmp" });
    expect(cacheEvents(elsewhere.stderr.toString())).toEqual(["plan cache miss", "plan cached"]);
  });
  test("lines whose planning reads more than argv and the context are never kept", () => {
    const env = freshEnv();
    for (const line of [["--seccomp-deny", "ptrace"], ["--join", "net=/proc/self/ns/net"]]) {
      for (let i = 0; i < 2; i++) {
        const r = nsbox(["run", ...line, "--", "true"], { env });
        expect(r.code).toBe(0);
        expect(cacheEvents(r.stderr)).toEqual(["plan cache miss"]);
      }
    }
  });
  test("NSBOX_PLAN_CACHE=0 plans afresh and keeps nothing", () => {
    const env = { ...freshEnv(), NSBOX_PLAN_CACHE: "0" };
    for (let i = 0; i < 2; i++) expect(cacheEvents(nsbox(["run", "--", "true"], { env }).stderr)).toEqual([]);
  });
  test("bad input is still one line, and nothing is kept for it", () => {
    const env = { PLAN_CACHE_TEST: `${process.pid}-bad` };
    for (let i = 0; i < 2; i++) {
      const r = nsbox(["run", "--tmpfs", "relative", "--", "true"], { env });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describeRoot("plan cache (nobody, in its own runtime dir)", () => {
  test("a rootless line is kept in the caller's private directory and used again", () => {
    const first = asNobody(["--", "id", "-u"]);
    expect(first.code).toBe(0);
    expect(cacheEvents(first.stderr)).toEqual(["plan cache miss", "plan cached"]);
    expect(host(`stat -c '%u %a' ${nobodyPlans()} ${nobodyEntries()[0]}`).stdout).toBe("65534 700\n65534 600\n");
    const again = asNobody(["--", "id", "-u"]);
    expect(cacheEvents(again.stderr)).toEqual(["plan cache hit"]);
    expect(again.stdout).toBe(first.stdout);
  });
  test("a changed entry is not used: the run plans afresh and replaces it", () => {
    const line = ["--setenv", "T", "tampered", "--", "sh", "-c", "echo $T"];
    expect(cacheEvents(asNobody(line).stderr)).toEqual(["plan cache miss", "plan cached"]);
    const file = nobodyEntries().find((f) => readFileSync(f, "utf8").includes("tampered"))!;
    // One byte of the spec: the command would print something else.
    writeFileSync(file, readFileSync(file, "utf8").replace('"tampered"', '"tamperex"'));
    const r = asNobody(line);
    expect(cacheEvents(r.stderr)).toEqual(["plan cache miss", "plan cached"]);
    expect(r.stdout).toBe("tampered\n");
    expect(cacheEvents(asNobody(line).stderr)).toEqual(["plan cache hit"]);
  });
  test("an entry or directory others could read or write is not used, and nothing is kept in such a directory", () => {
    const line = ["--setenv", "T", "loose", "--", "true"];
    expect(cacheEvents(asNobody(line).stderr)).toEqual(["plan cache miss", "plan cached"]);
    const file = nobodyEntries().find((f) => readFileSync(f, "utf8").includes('"loose"'))!;
    chmodSync(file, 0o644);
    expect(cacheEvents(asNobody(line).stderr)).toEqual(["plan cache miss", "plan cached"]);
    chmodSync(nobodyPlans(), 0o755);
    try {
      for (let i = 0; i < 2; i++) expect(cacheEvents(asNobody(line).stderr)).toEqual(["plan cache miss"]);
    } finally {
      chmodSync(nobodyPlans(), 0o700);
    }
    expect(cacheEvents(asNobody(line).stderr)).toEqual(["plan cache hit"]);
  });
  test("nsbox gc removes the entries that can never be used again (an nsbox that is gone, another format) and keeps the rest", () => {
    const line = ["--setenv", "T", "gc-kept", "--", "true"];
    expect(cacheEvents(asNobody(line).stderr)).toEqual(["plan cache miss", "plan cached"]);
    // Another nsbox, since removed: its entry's key names a binary that is not there any more.
    const other = join(nobodyHome, "nsbox-other");
    host(`cp ${nobodyNsbox} ${other} && chmod 755 ${other}`);
    const otherLine = ["run", "--setenv", "T", "gc-gone", "--", "true"];
    expect(cacheEvents(nobodyRuns([other, ...otherLine]).stderr)).toEqual(["plan cache miss", "plan cached"]);
    rmSync(other);
    const gone = nobodyEntries().find((f) => readFileSync(f, "utf8").includes('"gc-gone"'))!;
    // An entry of the format before this one (its key named the binary without its path).
    const kept = nobodyEntries().find((f) => readFileSync(f, "utf8").includes('"gc-kept"'))!;
    const old = join(nobodyPlans(), "e".repeat(64));
    writeFileSync(old, readFileSync(kept, "utf8").replace(/^nsbox-plan-cache 2 /, "nsbox-plan-cache 1 "), { mode: 0o600 });
    chownSync(old, 65534, 65534);
    // The plan cache alone: gc's other collectors see host-wide leftovers (nsbox's cgroup
    // parents) that nobody cannot remove and other runs on this host change.
    const r = nobodyRuns([nobodyNsbox, "gc", "--only", "plan-cache"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter((l) => l.includes(nobodyPlans())).sort()).toEqual(
      [`removed plan-cache entry ${gone} (its nsbox ${other} is gone)`, `removed plan-cache entry ${old} (another format, or its sum fails)`].sort(),
    );
    expect(nobodyEntries()).toContain(kept);
    expect(nobodyEntries()).not.toContain(gone);
    expect(cacheEvents(asNobody(line).stderr)).toEqual(["plan cache hit"]);
  });
});
