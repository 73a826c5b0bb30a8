// `npm run bench:cms`: cms-isolate at scale. (1) 50 instances `nsbox cms-isolate up` in parallel
// batches, all serving, then `down`: total time (goal <= 10 s on 2 cores), side by side with 50
// bubblewrap sandboxes running the same server (bwrap has no forwarder: they share the network).
// (2) Objects left afterwards: processes, mounts, cgroups, network namespaces, records, listening
// sockets (goal: 0). (3) nsbox's own resident memory per instance: every process of an instance
// but the PHP server (goal <= 128 KB), against bwrap's. (4) Requests/s through the listen path
// against the same server reached directly in its namespace (goal >= 0.9x), with ab, for a page
// that does next to nothing and for DokuWiki's start page. (5) nsbox's memory per sandbox with the
// stage run from a memfd of its own (as every `nsbox run` does) against one installed stage file.
// Prints figures and ratios; never fails on them. Needs root, php-cli, dokuwiki, ab (apache2-utils) and a
// built dist/nsbox; re-execs itself under `unshare --net --mount` with a private tmpfs on /run
// (guard() refuses anything else): ports, records and sockets are the benchmark's own.
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { guard, sh, runInThrowawayWorld } from "../test/priv/net-fixtures/lib.ts";
import { commOf, descendantsOf, forgetRanges, waitFor } from "../test/priv/harness.ts";
import { stampPath } from "../src/core/state-directories.ts";
import { DEFAULT_STAGE_PATH } from "../src/core/stage-install.ts";
import { alive, filesNaming, nsboxCgroupDirs, rootCaller } from "../test/priv/cms/callers.ts";
import { buildCodeDir, buildDataDir, missingDokuwiki } from "../test/priv/cms/dokuwiki-site.ts";

const NSBOX = resolve(import.meta.dir, "../dist/nsbox");
const COUNT = Number(process.env.BENCH_CMS_INSTANCES ?? 50);
const BATCH = Number(process.env.BENCH_CMS_BATCH ?? 10);
const REQUESTS = Number(process.env.BENCH_CMS_REQUESTS ?? 3000);
/** Interleaved ab rounds (through --listen, then direct) whose medians are compared. */
const ROUNDS = Number(process.env.BENCH_CMS_ROUNDS ?? 5);
const TMPFS = "nsbox-bench-cms";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const BASE_PORT = 20000;
/** BENCH_CMS_DOWN=all: one `down --all` (it stops the instances in parallel) instead of a `down NAME` each. */
const DOWN_ALL = process.env.BENCH_CMS_DOWN === "all";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${n.toFixed(0)} KB`;

if (process.getuid!() !== 0) {
  console.log("bench-cms: run as root (50 instances, each with its own id range and cgroup)");
  process.exit(0);
}
for (const [tool, pkg] of [["php", "php-cli"], ["ab", "apache2-utils"], ["bwrap", "bubblewrap"]]) {
  if (!Bun.which(tool!, { PATH })) {
    console.log(`bench-cms: ${tool} not found; install it (Debian: apt-get install ${pkg})`);
    process.exit(0);
  }
}
const noWiki = missingDokuwiki();
if (noWiki) {
  console.log(`bench-cms: ${noWiki} (Debian: apt-get install php-cli php-fpm dokuwiki)`);
  process.exit(0);
}
if (process.argv[2] !== "--inside") process.exit(runInThrowawayWorld(import.meta.path, TMPFS));
guard(TMPFS, "bench-cms");
sh(["ip", "link", "set", "lo", "up"]);

// Under /srv: an instance's /tmp is its own, and /srv shows only what cms-isolate binds there.
const top = `/srv/nsbox-bench-cms-${process.pid}`;
const names = Array.from({ length: COUNT }, (_, i) => `bench${i}`);
const port = (i: number) => BASE_PORT + i;
const caller = rootCaller(NSBOX, join(top, "state"));
mkdirSync(top, { mode: 0o755 });
// The tests' DokuWiki code dir, plus a page that does next to nothing (where the listen path's
// own cost shows most); instance 0 also gets a wiki data dir, for the figures with a real page.
const code = buildCodeDir(join(top, "code"));
writeFileSync(join(code, "hello.php"), "<?php header('Content-Type: text/plain'); echo 'hello from ', getenv('CMS_NAME'), \"\\n\";\n", { mode: 0o644 });
mkdirSync(join(top, "data"), { mode: 0o755 });
buildDataDir(join(top, "data", names[0]!), names[0]!, { login: "bench", password: "bench" });
for (const n of names.slice(1)) mkdirSync(join(top, "data", n), { mode: 0o755 });

/** Runs `argvOf(i)` for every instance, BATCH processes at a time; the failures. */
async function inBatches(argvOf: (i: number) => string[]): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < COUNT) {
      const i = next++;
      const p = Bun.spawn(argvOf(i), { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { PATH } });
      const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
      if (code !== 0) failures.push(`${names[i]}: exit ${code}: ${err.trim()}`);
    }
  };
  await Promise.all(Array.from({ length: BATCH }, worker));
  return failures;
}

function downAll(): string[] {
  const r = caller.nsbox(["cms-isolate", "down", "--all"], 60_000);
  return r.code === 0 ? [] : [`down --all: exit ${r.code}: ${r.stderr.trim()}`];
}

const answers = async (p: number) => {
  try {
    return (await fetch(`http://127.0.0.1:${p}/hello.php`)).ok;
  } catch {
    return false;
  }
};
const allServe = async () => (await Promise.all(names.map((_, i) => answers(port(i))))).every(Boolean);

/** Resident (VmRSS) and proportional (Pss) memory of a process, in KB. */
function memoryOf(pid: number): { rss: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return { rss: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0), pss: Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) };
}

interface Listed {
  name: string;
  pid: number;
  state?: string;
}
const STAGE_SANDBOXES = 20;

/** nsbox's own Pss per sandbox (median, KB) over STAGE_SANDBOXES `sleep` sandboxes `argv` starts. */
async function stagePss(argv: string[]): Promise<number> {
  const runs = Array.from({ length: STAGE_SANDBOXES }, () => Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: { PATH } }));
  const trees = () => runs.map((r) => [r.pid, ...descendantsOf(r.pid)]);
  await waitFor(() => trees().every((t) => t.some((p) => commOf(p) === "sleep")), "every sandbox runs sleep", 30_000);
  const pss = trees().map((t) => t.filter((p) => commOf(p) !== "sleep").reduce((sum, p) => sum + memoryOf(p).pss, 0));
  const all = trees().flat();
  // SIGTERM to the supervisor: forwarded to sleep, and each sandbox ends whole.
  for (const r of runs) r.kill("SIGTERM");
  await Promise.all(runs.map((r) => r.exited));
  await waitFor(() => all.every((p) => !alive(p)), "every sleep sandbox is gone", 30_000);
  return median(pss);
}

const listed = (): Listed[] => JSON.parse(caller.nsbox(["cms-isolate", "ls", "--json"]).stdout || "[]") as Listed[];

const mountsBefore = new Set(readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]));
const listening = () => sh(["ss", "-Hltn"]).stdout.trim().split("\n").filter(Boolean).length;

try {
  // (1) up, all serving, then down.
  const t0 = performance.now();
  const upFailures = await inBatches((i) => [...caller.argv, "cms-isolate", "up", names[i]!, "--code", code, "--data", join(top, "data", names[i]!), "--listen", `127.0.0.1:${port(i)}`]);
  const tUp = performance.now() - t0;
  if (upFailures.length) throw new Error(`up failed:\n${upFailures.slice(0, 5).join("\n")}`);
  await waitFor(allServe, `all ${COUNT} instances answer`, 60_000);
  const tServing = performance.now() - t0;

  // What each instance is on the host, while all run.
  const instances = listed().filter((e) => names.includes(e.name));
  const trees = instances.map((e) => [e.pid, ...descendantsOf(e.pid)]);
  const nsboxMem = trees.map((tree) => tree.filter((p) => !commOf(p)?.startsWith("php")).map(memoryOf).reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 }));
  const nsboxProcs = trees.map((tree) => tree.filter((p) => !commOf(p)?.startsWith("php")).map((p) => commOf(p)).join("+"));
  const phpPids = trees.map((tree) => tree.find((p) => commOf(p)?.startsWith("php"))!);
  const cgroups = phpPids.flatMap(nsboxCgroupDirs);
  const netns = phpPids.map((p) => readlinkSync(`/proc/${p}/ns/net`));

  // (4) Requests/s: through the listen path, and directly in the instance's network namespace.
  const ab = (prefix: string[], path: string, n: number) => {
    const r = sh([...prefix, "ab", "-q", "-n", String(n), "-c", "4", `http://127.0.0.1:${port(0)}${path}`], 120_000);
    const rps = Number(/Requests per second:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
    const failed = Number(/Failed requests:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
    return { rps, failed };
  };
  const inside = ["nsenter", `--net=/proc/${phpPids[0]}/ns/net`, "--"];
  const rates = (path: string, n: number) => {
    const viaListen: number[] = [];
    const direct: number[] = [];
    let failed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const a = ab([], path, n);
      const d = ab(inside, path, n);
      viaListen.push(a.rps);
      direct.push(d.rps);
      failed += a.failed + d.failed;
    }
    return { viaListen: median(viaListen), direct: median(direct), failed };
  };
  const hello = rates("/hello.php", REQUESTS);
  const wiki = rates("/doku.php?id=start", Math.ceil(REQUESTS / 10));

  const t1 = performance.now();
  const downFailures = DOWN_ALL ? downAll() : await inBatches((i) => [...caller.argv, "cms-isolate", "down", names[i]!]);
  const allPids = trees.flat();
  await waitFor(() => allPids.every((p) => !alive(p)), "every instance process is gone", 60_000);
  const tDown = performance.now() - t1;

  // (2) What is left.
  const left = {
    processes: allPids.filter(alive).length,
    mounts: readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]).filter((m) => !mountsBefore.has(m)).length,
    cgroups: cgroups.filter((d) => existsSync(d)).length,
    // A network namespace outlives its processes only when bound somewhere (an nsfs mount).
    netns: netns.filter((ns) => readFileSync("/proc/self/mountinfo", "utf8").includes(ns)).length,
    // The core's records of the sandboxes, and the plugin's of the instances (records, logs, ini
    // files; its one lock file names none).
    records: names.flatMap((n) => [...filesNaming("/run/nsbox", `cms-${n}`), ...filesNaming(caller.pluginStateRoot, n)]).length,
    listening: listening(),
    listed: listed().length,
  };

  // Side by side: 50 bubblewrap sandboxes with the same server, in parallel batches, then killed.
  const b0 = performance.now();
  const bwraps = names.map((n, i) =>
    Bun.spawn(["bwrap", "--unshare-all", "--share-net", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--setenv", "CMS_NAME", n, "php", "-S", `127.0.0.1:${port(i)}`, "-t", code], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }),
  );
  await waitFor(allServe, `all ${COUNT} bwrap sandboxes answer`, 60_000);
  const bServing = performance.now() - b0;
  const bwrapMem = bwraps.map((b) => [b.pid, ...descendantsOf(b.pid)].filter((p) => commOf(p) === "bwrap").map(memoryOf).reduce((a, m) => ({ rss: a.rss + m.rss, pss: a.pss + m.pss }), { rss: 0, pss: 0 }));
  const bk = performance.now();
  for (const b of bwraps) b.kill("SIGTERM");
  await Promise.all(bwraps.map((b) => b.exited));
  const bDown = performance.now() - bk;

  // Where the stage's text lives: without an installed stage each `nsbox run` (and so each
  // instance) executes it from a memfd of its own; with one (nsbox stage install) every sandbox
  // that cannot be host root execs that one file, as a saved plan does, and all share its pages.
  const stageDir = join(top, "stage");
  mkdirSync(stageDir, { mode: 0o755 });
  sh([NSBOX, "stage", "install", join(stageDir, "nsbox-stage")]);
  sh([NSBOX, "plan", "--save", join(stageDir, "sleep.plan"), "--stage", join(stageDir, "nsbox-stage"), "--", "sleep", "120"]);
  const pssMemfd = await stagePss([NSBOX, "run", "--", "sleep", "120"]);
  const pssFile = await stagePss([join(stageDir, "sleep.plan")]);

  const total = tServing + tDown;
  const bTotal = bServing + bDown;
  console.log(`cms-isolate, ${COUNT} instances, ${BATCH} commands at a time (${navigator.hardwareConcurrency} cores):`);
  const row = (label: string, ms: number, rest = "") => console.log(`  ${label.padEnd(32)}${ms.toFixed(0).padStart(6)} ms${rest}`);
  row("up (all commands returned)", tUp);
  row("up until all serve", tServing, `   bwrap ${bServing.toFixed(0)} ms (${(tServing / bServing).toFixed(2)}x)`);
  row(`${DOWN_ALL ? "down --all" : "down (one each)"} until all gone`, tDown, `   bwrap ${bDown.toFixed(0)} ms (kill)${downFailures.length ? `; ${downFailures.length} downs failed: ${downFailures[0]}` : ""}`);
  row("total", total, `   (goal <= 10000; bwrap ${bTotal.toFixed(0)} ms, ${(total / bTotal).toFixed(2)}x)`);
  console.log(`  left afterwards: ${JSON.stringify(left)} (goal: all 0; ${cgroups.length} cgroup dirs were made)`);
  console.log(`  nsbox per instance (${nsboxProcs[0]}), median: VmRSS ${kb(median(nsboxMem.map((m) => m.rss)))}, Pss ${kb(median(nsboxMem.map((m) => m.pss)))} (goal <= 128 KB)`);
  console.log(`  bwrap per sandbox (2 bwrap processes), median: VmRSS ${kb(median(bwrapMem.map((m) => m.rss)))}, Pss ${kb(median(bwrapMem.map((m) => m.pss)))}; nsbox/bwrap Pss ${(median(nsboxMem.map((m) => m.pss)) / median(bwrapMem.map((m) => m.pss))).toFixed(2)}x`);
  console.log(`  nsbox per sandbox, ${STAGE_SANDBOXES} \`sleep\` sandboxes, median Pss: \`nsbox run\` here (${existsSync(DEFAULT_STAGE_PATH) ? "installed stage" : "no installed stage: a memfd of its own"}) ${kb(pssMemfd)}, from one installed file (a saved plan) ${kb(pssFile)}`);
  for (const [what, r] of [["hello.php", hello], ["DokuWiki start page", wiki]] as const) {
    console.log(`  requests/s, ${what} (ab -c 4, median of ${ROUNDS} interleaved): through --listen ${r.viaListen.toFixed(0)}, direct in the instance's netns ${r.direct.toFixed(0)}: ${(r.viaListen / r.direct).toFixed(2)}x (goal >= 0.9); failed ${r.failed}`);
  }
} finally {
  caller.nsbox(["cms-isolate", "down", "--all"], 60_000);
  rmSync(top, { recursive: true, force: true });
  for (const n of names) rmSync(stampPath(join(top, "data", n)), { force: true });
  // The instances' id ranges are recorded by name (docs/ids.md): the benchmark's are forgotten.
  forgetRanges(names.map((n) => `cms-${n}`));
}
