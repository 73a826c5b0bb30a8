// `npm run bench`: nsbox start-up against its floors, side by side (issue #15). Interleaved runs,
// medians of wall time and of CPU time (user + system, steadier on a loaded machine) and ratios:
//  - `nsbox --version` against a compiled Bun hello world built with the same flags (the Bun floor);
//  - `nsbox run -- true` (planned afresh, and started from the plan cache as a repeated line is)
//    and a saved plan (`plan --save`, started by the installed stage alone) against bubblewrap
//    with the same isolation, its seccomp filter included;
//  - the default `os` root against the host root (`--root host`), pair by pair (issue #10);
//  - the per-phase table of `NSBOX_TRACE=1 nsbox run -- true` (medians);
//  - resident memory of the supervisor (and of the init) while a sandbox runs, anonymous apart;
//  - the front (src/native/FRONT.md: the installed stage run as `nsbox` serving a repeated line
//    from its entry, no Bun) beside them: installed by `nsbox stage install --front`, its
//    entries written by nsbox itself on the line's first start, as on a server. The bench runs
//    in a private mount namespace for it (a directory of its own on /usr/local/lib, a tmpfs on
//    /run/nsbox/plans), so the host's files stay as they are;
//  - the kernel's share: scripts/floor/sandbox-floor.c, only the system calls the same sandbox
//    needs (namespaces, id maps, a tmpfs root, pivot_root, an init and the payload), beside them;
//  - the goals of issue #15 in one table.
// BENCH_BEFORE_STAGE=PATH (an earlier build's dist/nsbox-stage) adds the same saved plan run by
// that stage, side by side, with its step table: before/after figures of a stage change.
// Each line: wall median [quartiles], CPU median, and the median [quartiles] of the ratios of
// the pairs run back to back (steadier than a ratio of medians on a shared machine); the load
// average is printed before and after. Prints figures; never fails on them. Needs root, bwrap and
// a built dist/nsbox. BENCH_RUNS sets the pairs (default 40; five times that for --version);
// BENCH_ONLY=run only does the `run` comparisons and the phase tables.
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { identityFields } from "../src/core/file-deps.ts";
import { readHostLayout } from "../src/core/host-layout.ts";
import { encodeSavedPlan } from "../src/native/saved-plan.ts";
import { DEFAULT_STAGE_PATH } from "../src/core/stage-install.ts";
import { JIT_POLICY } from "./build.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const BEFORE_STAGE = process.env.BENCH_BEFORE_STAGE;
const NSBOX = resolve(import.meta.dir, "../dist/nsbox");
const FILTER = resolve(import.meta.dir, "../dist/seccomp-default.bpf");
const BUILD_FLAGS = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", JIT_POLICY];
const ONLY_RUN = process.env.BENCH_ONLY === "run";

/** bubblewrap doing what `nsbox run` does by default; its filter comes on fd 3 (`--seccomp 3`). */
const BWRAP = [
  "bwrap", "--unshare-all", "--unshare-user", "--uid", "0", "--gid", "0", "--ro-bind", "/", "/", "--dev", "/dev",
  "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/var/tmp", "--new-session",
  "--die-with-parent", "--cap-drop", "ALL", "--seccomp", "3",
];

/** The `os` root as bubblewrap builds it: a tmpfs root, read-only at the end, with the OS bound
 * read-only and /bin, /sbin, /lib* as this host has them (links stay links), as nsbox plans it. */
const BWRAP_OS = [
  "bwrap", "--unshare-all", "--unshare-user", "--uid", "0", "--gid", "0", "--tmpfs", "/",
  "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
  ...readHostLayout().os.flatMap((e) => (e.symlink !== undefined ? ["--symlink", e.symlink, e.path] : ["--ro-bind", e.path, e.path])),
  "--dir", "/var/lib", "--dir", "/var/cache", "--dir", "/var/log", "--symlink", "../run", "/var/run",
  "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/var/tmp", "--new-session",
  "--die-with-parent", "--cap-drop", "ALL", "--seccomp", "3", "--remount-ro", "/",
];

/** `plan` bound to the stage installed at `stage` instead: same header and wire, its sha256. */
function rebindPlan(plan: string, stage: string, out: string): void {
  const bytes = readFileSync(plan);
  const text = bytes.toString("latin1");
  const sumAt = text.indexOf("\nsha256 ") + 1;
  const field = (key: string) => new RegExp(`^${key} (.*)$`, "m").exec(text.slice(0, sumAt))![1]!;
  const header = {
    stagePath: stage,
    nsboxVersion: field("nsbox"),
    stageSha256: new Bun.CryptoHasher("sha256").update(readFileSync(stage)).digest("hex"),
    stageFile: identityFields(statSync(stage, { bigint: true })),
    kernel: field("kernel"),
    appendArgs: field("args") === "append",
  };
  writeFileSync(out, encodeSavedPlan(header, bytes.subarray(text.indexOf("\n", sumAt) + 1)), { mode: 0o700 });
}

interface Sample {
  wall: number;
  cpu: number;
}

interface Variant {
  argv: string[];
  /** Needs the filter on fd 3 (bubblewrap). */
  filter?: boolean;
  /** Added to the environment. */
  env?: Record<string, string>;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) * q)]!;
}

const median = (xs: number[]) => quantile(xs, 0.5);
const spread = (xs: number[]) => `[${quantile(xs, 0.25).toFixed(2)}-${quantile(xs, 0.75).toFixed(2)}]`;

function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

function timeOnce(v: Variant): Sample {
  const fd = v.filter ? openSync(FILTER, "r") : undefined;
  try {
    const t0 = performance.now();
    const r = Bun.spawnSync(v.argv, { env: { ...process.env, ...v.env }, stdio: ["ignore", "ignore", "pipe", ...(fd === undefined ? [] : [fd])] });
    const wall = performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`${v.argv.join(" ")} failed: ${r.stderr.toString()}`);
    return { wall, cpu: Number(r.resourceUsage.cpuTime.total) / 1000 };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Interleaved runs of each variant; prints medians, quartiles and ratios against `base`, and
 * returns the median pair ratio of each variant. */
function compare(title: string, variants: Record<string, Variant>, base: string, rounds = RUNS): Record<string, number> {
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const load = loadAverage();
  for (const v of Object.values(variants)) timeOnce(v); // warm the page cache (and the plan cache)
  for (let i = 0; i < rounds; i++) for (const [name, v] of Object.entries(variants)) samples[name]!.push(timeOnce(v));
  const b = samples[base]!;
  const bc = median(b.map((s) => s.cpu));
  console.log(`${title} (${rounds} interleaved rounds; ratio to ${base}, pair by pair; load ${load} -> ${loadAverage()})`);
  const out: Record<string, number> = {};
  for (const [name, xs] of Object.entries(samples)) {
    const walls = xs.map((s) => s.wall);
    const ratios = xs.map((s, i) => s.wall / b[i]!.wall);
    const c = median(xs.map((s) => s.cpu));
    out[name] = median(ratios);
    console.log(`  ${name.padEnd(34)} wall ${median(walls).toFixed(2).padStart(7)} ms ${spread(walls).padEnd(13)} ${median(ratios).toFixed(2).padStart(5)}x ${spread(ratios).padEnd(11)}  cpu ${c.toFixed(2).padStart(7)} ms ${(c / bc).toFixed(2).padStart(5)}x`);
  }
  return out;
}

/** Medians of each NSBOX_TRACE phase of `argv`, in ms on nsbox's clock, with the step from the one before. */
function phaseTable(argv: string[], env: Record<string, string> = {}): void {
  const at = new Map<string, number[]>();
  // One start first, not counted: the page cache is warm and the line's plan is cached (its key
  // holds NSBOX_TRACE too), as for every start after it.
  for (let i = -1; i < Math.min(RUNS, 20); i++) {
    const r = Bun.spawnSync(argv, { env: { ...process.env, ...env, NSBOX_TRACE: "1" }, stdio: ["ignore", "ignore", "pipe"] });
    if (i < 0) continue;
    for (const m of r.stderr.toString().matchAll(/^nsbox-trace:\s+([\d.]+) ms\s+(.+)$/gm)) {
      if (!at.has(m[2]!)) at.set(m[2]!, []);
      at.get(m[2]!)!.push(Number(m[1]));
    }
  }
  const clock = argv[0] === NSBOX ? "Bun's clock, which starts after exec and mapping the binary" : "the stage's clock, from its main()";
  const envText = Object.entries(env).map(([k, v]) => `${k}=${v} `).join("");
  console.log(`phases of \`${envText}${[basename(argv[0]!), ...argv.slice(1)].join(" ")}\` (NSBOX_TRACE=1, medians; ms on ${clock})`);
  let before = 0;
  for (const [phase, xs] of at) {
    const t = median(xs);
    console.log(`  ${phase.padEnd(34)} at ${t.toFixed(2).padStart(7)} ms   +${(t - before).toFixed(2).padStart(6)} ms`);
    before = t;
  }
}

/** VmRSS, or with `field` another line of /proc/PID/status (RssAnon: the pages this process alone holds). */
function rssKb(pid: number, field = "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** RSS of the first `depth` levels of the process tree: [supervisor, init] for nsbox and bwrap. */
async function residentKb(v: Variant, depth: number, field = "VmRSS"): Promise<number[]> {
  const fd = v.filter ? openSync(FILTER, "r") : undefined;
  const p = Bun.spawn(v.argv, { stdio: ["ignore", "ignore", "ignore", ...(fd === undefined ? [] : [fd])] });
  if (fd !== undefined) closeSync(fd);
  // Wait for the payload (`sleep`) to be there: the levels above it are then complete.
  let pids = [p.pid];
  const levels: number[][] = [];
  for (let tries = 0; tries < 500; tries++) {
    levels.length = 0;
    pids = [p.pid];
    for (let level = 0; level <= depth && pids.length; level++) {
      levels.push(pids);
      pids = pids.flatMap(childrenOf);
    }
    if (levels.length > depth && levels[depth]!.some((pid) => readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "sleep")) break;
    await Bun.sleep(10);
  }
  // The stage's supervisor and init give setup's pages back once the sandbox has run
  // STAGE_DROP_GRACE_MS (20 ms, src/native/stage/stage.h): a sandbox that runs on is measured
  // after that, as it then stays.
  await Bun.sleep(100);
  const kb = levels.slice(0, depth).map((ps) => ps.reduce((sum, pid) => sum + rssKb(pid, field), 0));
  p.kill("SIGKILL");
  await p.exited;
  return kb;
}

/**
 * The front as install.sh makes it, with `link` (the path users run) a symlink to the stage
 * installed at its default path and nsbox copied beside it. /usr/local/lib is `lib`, bound there
 * in this mount namespace: a directory on disk, as on a server (a copy of nsbox on a tmpfs starts
 * ~35% slower here: its pages are not the disk's large folios).
 */
function installFront(link: string, lib: string): void {
  mkdirSync(lib, { mode: 0o755 });
  for (const argv of [
    ["mount", "--bind", lib, "/usr/local/lib"],
    ["mkdir", "-p", "/run/nsbox/plans"],
    ["mount", "-t", "tmpfs", "-o", "mode=0700", "nsbox-bench", "/run/nsbox/plans"],
    [NSBOX, "stage", "install", "--front", link],
  ]) {
    const r = Bun.spawnSync(argv, { stdio: ["ignore", "ignore", "pipe"] });
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  }
}

/**
 * One start of `argv` through the front, ended once it has exec'd the stage: nsbox keeps the
 * line's entry before that exec, so every start after it is the front's (a hit).
 */
async function keepForFront(argv: string[]): Promise<void> {
  const p = Bun.spawn(argv, { stdio: ["ignore", "ignore", "ignore"] });
  for (let tries = 0; tries < 500; tries++) {
    let exe = "";
    try {
      exe = readlinkSync(`/proc/${p.pid}/exe`);
    } catch {
      break; // already gone
    }
    // The stage, exec'd by nsbox (`nsbox --spec-fd N`) or the front's own hit (argv scrubbed).
    if (exe === DEFAULT_STAGE_PATH && readFileSync(`/proc/${p.pid}/cmdline`, "utf8").startsWith("nsbox\0")) break;
    await Bun.sleep(5);
  }
  p.kill("SIGKILL");
  await p.exited;
}

if (process.getuid!() !== 0) {
  console.log("bench: run as root (nsbox and bwrap both map root to build the same sandbox)");
  process.exit(0);
}
if (!process.env.BENCH_PRIVATE_MOUNTS) {
  // Again in a mount namespace of its own, where the front can be installed (installFront).
  const r = Bun.spawnSync(["unshare", "-m", "--propagation", "private", process.execPath, ...process.argv.slice(1)], { env: { ...process.env, BENCH_PRIVATE_MOUNTS: "1" }, stdio: ["inherit", "inherit", "inherit"] });
  process.exit(r.exitCode ?? 1);
}
/** The named line's name (its id range is recorded under /var/lib/nsbox/id-ranges). */
const BENCH_NAME = "nsbox-bench";
const hadBenchRange = existsSync(`/var/lib/nsbox/id-ranges/name-${BENCH_NAME}`);
const work = mkdtempSync("/tmp/nsbox-bench-");
try {
  // The Bun floor: a hello world compiled with nsbox's own flags.
  writeFileSync(join(work, "hello.ts"), 'console.log("hello");\n');
  const hello = join(work, "hello");
  const built = Bun.spawnSync([process.execPath, "build", join(work, "hello.ts"), ...BUILD_FLAGS, "--outfile", hello], { stdio: ["ignore", "ignore", "pipe"] });
  if (built.exitCode !== 0) throw new Error(`building the hello world failed: ${built.stderr}`);
  // Five times the rounds: the two differ by ~2 ms in ~20, less than a busy machine moves either
  // from one round to the next (40 rounds gave 1.09x to 1.22x for the same build).
  const bunFloor = ONLY_RUN ? undefined : compare("start of a compiled Bun program", { "bun hello world": { argv: [hello] }, "nsbox --version": { argv: [NSBOX, "--version"] } }, "bun hello world", RUNS * 5);

  // A saved plan, run by the installed stage alone.
  mkdirSync(join(work, "lib"), { mode: 0o755 });
  const stage = join(work, "lib", "nsbox-stage");
  const plan = join(work, "true.plan");
  const hostPlan = join(work, "true-host-root.plan");
  for (const argv of [
    [NSBOX, "stage", "install", stage],
    [NSBOX, "plan", "--save", plan, "--stage", stage, "--", "true"],
    [NSBOX, "plan", "--save", hostPlan, "--stage", stage, "--root", "host", "--", "true"],
  ]) {
    const r = Bun.spawnSync(argv, { stdio: ["ignore", "ignore", "pipe"] });
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  }
  // A repeated line (cron, units) starts from the plan cache; NSBOX_PLAN_CACHE=0 is a first start.
  const FRESH = { NSBOX_PLAN_CACHE: "0" };
  const before: Record<string, Variant> = {};
  const beforePlan = join(work, "true-before.plan");
  if (BEFORE_STAGE) {
    mkdirSync(join(work, "lib-before"), { mode: 0o755 });
    copyFileSync(BEFORE_STAGE, join(work, "lib-before", "nsbox-stage"));
    chmodSync(join(work, "lib-before", "nsbox-stage"), 0o755);
    rebindPlan(plan, join(work, "lib-before", "nsbox-stage"), beforePlan);
    before["saved plan, BENCH_BEFORE_STAGE"] = { argv: [beforePlan] };
  }
  const floor = join(work, "sandbox-floor");
  const floorSource = resolve(import.meta.dir, "floor/sandbox-floor.c");
  const cc = Bun.spawnSync(["musl-gcc", "-static", "-O2", "-o", floor, floorSource], { stdio: ["ignore", "ignore", "pipe"] });
  if (cc.exitCode !== 0) throw new Error(`building the kernel floor failed: ${cc.stderr}`);
  // The state root exists once nsbox ran; the front's entries go in its plans directory.
  Bun.spawnSync([NSBOX, "run", "--", "true"]);
  // NSBOX_TRACE is part of the key: the phase table's line has an entry of its own.
  const front = { link: join(work, "bin", "nsbox") };
  mkdirSync(join(work, "bin"), { mode: 0o755 });
  installFront(front.link, join(work, "usr-local-lib"));
  const start = compare("start latency of `true` in a sandbox (nsbox's default root is os)", {
    bwrap: { argv: [...BWRAP, "true"], filter: true },
    "bwrap, os root": { argv: [...BWRAP_OS, "true"], filter: true },
    "nsbox run (cached plan)": { argv: [NSBOX, "run", "--", "true"] },
    "nsbox run (planned afresh)": { argv: [NSBOX, "run", "--", "true"], env: FRESH },
    "saved plan (stage alone)": { argv: [plan] },
    "front hit (stage as nsbox)": { argv: [front.link, "run", "--", "true"] },
    "front hit, named (--name)": { argv: [front.link, "run", "--name", BENCH_NAME, "--", "true"] },
    "nsbox run --name (cached plan)": { argv: [NSBOX, "run", "--name", BENCH_NAME, "--", "true"] },
    ...before,
    "kernel floor (sandbox-floor.c)": { argv: [floor] },
    "bun hello world": { argv: [hello] },
  }, "bwrap");
  phaseTable([NSBOX, "run", "--", "true"]);
  phaseTable([NSBOX, "run", "--", "true"], FRESH);
  // What the front adds to a line it does not serve: its checks up to "no entry", one execve.
  compare("a miss: the front execs nsbox beside it", { "nsbox --version": { argv: [NSBOX, "--version"] }, "the front, then nsbox --version": { argv: [front.link, "--version"] } }, "nsbox --version");
  if (!ONLY_RUN) {
    // What the os root costs against the whole host root, each pair measured side by side.
    compare("os root against host root: nsbox run", {
      "nsbox run --root host": { argv: [NSBOX, "run", "--root", "host", "--", "true"] },
      "nsbox run (os)": { argv: [NSBOX, "run", "--", "true"] },
    }, "nsbox run --root host");
    compare("os root against host root: saved plan (stage alone)", { "saved plan, host root": { argv: [hostPlan] }, "saved plan, os root": { argv: [plan] } }, "saved plan, host root");
    compare("os root against host root: bubblewrap", { "bwrap, host root": { argv: [...BWRAP, "true"], filter: true }, "bwrap, os root": { argv: [...BWRAP_OS, "true"], filter: true } }, "bwrap, host root");
    phaseTable([plan]);
    if (BEFORE_STAGE) phaseTable([beforePlan]);
    compare("the front against a saved plan (both the installed stage alone)", { "saved plan": { argv: [plan] }, "front hit": { argv: [front.link, "run", "--", "true"] } }, "saved plan");
    phaseTable([front.link, "run", "--", "true"]);

    console.log("resident memory while a sandbox runs, payload excluded (KB)");
    const sleepPlan = join(work, "sleep.plan");
    Bun.spawnSync([NSBOX, "plan", "--save", sleepPlan, "--stage", stage, "--", "sleep", "30"]);
    await keepForFront([front.link, "run", "--", "sleep", "30"]);
    const resident: [string, Variant][] = [
      ["nsbox run", { argv: [NSBOX, "run", "--", "sleep", "30"] }],
      ["saved plan", { argv: [sleepPlan] }],
      ["front hit", { argv: [front.link, "run", "--", "sleep", "30"] }],
      ["bwrap", { argv: [...BWRAP, "sleep", "30"], filter: true }],
    ];
    // RssAnon apart: the rest of VmRSS is the stage's own file pages (fault-around maps them
    // 64 KiB at a time), one copy in the page cache for every sandbox on the host.
    const supervisorKb: Record<string, string> = {};
    for (const [name, v] of resident) {
      const [supervisor = 0, init = 0] = await residentKb(v, 2);
      const [anon = 0, initAnon = 0] = await residentKb(v, 2, "RssAnon");
      supervisorKb[name] = `${supervisor} KB (${anon} KB anon)`;
      console.log(`  ${name.padEnd(12)} supervisor ${String(supervisor).padStart(6)} (anon ${String(anon).padStart(4)})   init ${String(init).padStart(6)} (anon ${String(initAnon).padStart(4)})   together ${String(supervisor + init).padStart(6)}`);
    }
    const againstOs = (name: string) => (start[name]! / start["bwrap, os root"]!).toFixed(2);
    console.log("goals of issue #15 (median pair ratios against bwrap; against bwrap with the os root)");
    console.log(`  1. nsbox --version                  ${bunFloor!["nsbox --version"]!.toFixed(2)}x a compiled Bun hello world   target <= 1.15x`);
    console.log(`  2. nsbox run -- true, as installed: a repeated line (the front) ${start["front hit (stage as nsbox)"]!.toFixed(2)}x; ${againstOs("front hit (stage as nsbox)")}x   target <= 2.0x`);
    console.log(`     the same line through Bun (cached plan)              ${start["nsbox run (cached plan)"]!.toFixed(2)}x; ${againstOs("nsbox run (cached plan)")}x`);
    console.log(`     nsbox run --name ${BENCH_NAME} -- true: the front ${start["front hit, named (--name)"]!.toFixed(2)}x; ${againstOs("front hit, named (--name)")}x; through Bun ${start["nsbox run --name (cached plan)"]!.toFixed(2)}x`);
    console.log(`     a line's first start (planned afresh)               ${start["nsbox run (planned afresh)"]!.toFixed(2)}x; ${againstOs("nsbox run (planned afresh)")}x`);
    console.log(`  3. saved plan                       ${start["saved plan (stage alone)"]!.toFixed(2)}x; ${againstOs("saved plan (stage alone)")}x   target <= 0.5x (the kernel's share alone: ${start["kernel floor (sandbox-floor.c)"]!.toFixed(2)}x)`);
    console.log(`  4. supervisor resident              ${supervisorKb["saved plan"]} saved plan, ${supervisorKb["front hit"]} front, ${supervisorKb["nsbox run"]} run   target <= 128 KB`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  // The named line's id range, recorded on the host by its first start: given back, unless it was there before.
  if (!hadBenchRange) Bun.spawnSync([NSBOX, "ranges", "rm", BENCH_NAME], { stdio: ["ignore", "ignore", "inherit"] });
}
