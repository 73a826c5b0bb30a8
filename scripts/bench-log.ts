// `bun scripts/bench-log.ts`: what --log costs. (1) Throughput of a command's output: the same
// `dd` writing to stdout, redirected to a file under bubblewrap (the hand-built way, no cap), under
// `nsbox run` redirected to a file (what cms-isolate did before --log: the sandbox held the file),
// and under `nsbox run --log FILE --log-max 8M` (the supervisor splices a pipe into the file and
// rotates it). Large writes (64 KiB) and small ones (256 B, a log line's size). (2) Requests/s of
// `php -S` (a trivial page; each request logs three lines) through --publish, its output to a file
// by redirection against --log (ab, no keep-alive). (3) The supervisor's resident memory with and
// without --log, idle. Interleaved runs, medians, ratios. Prints figures; never fails on them.
// Needs root, bwrap, php-cli and ab; re-execs itself under `unshare --net --mount` with a private
// tmpfs on /run (guard() refuses anything else).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { guard, runInThrowawayWorld, sh } from "../test/priv/net-fixtures/lib.ts";
import { descendantsOf, waitFor } from "../test/priv/harness.ts";

const NSBOX = process.env.BENCH_LOG_NSBOX ?? resolve(import.meta.dir, "../dist/nsbox");
const RUNS = Number(process.env.BENCH_LOG_RUNS ?? 5);
const REQUESTS = Number(process.env.BENCH_LOG_REQUESTS ?? 3000);
const TMPFS = "nsbox-bench-log";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const PORT = 18190;

if (process.getuid!() !== 0) {
  console.log("bench-log: run as root");
  process.exit(0);
}
for (const [tool, pkg] of [["bwrap", "bubblewrap"], ["php", "php-cli"], ["ab", "apache2-utils"]]) {
  if (!Bun.which(tool!, { PATH })) {
    console.log(`bench-log: ${tool} not found; install it (Debian: apt-get install ${pkg})`);
    process.exit(0);
  }
}
if (process.argv[2] !== "--inside") process.exit(runInThrowawayWorld(import.meta.path, TMPFS));
guard(TMPFS, "bench-log");
sh(["ip", "link", "set", "lo", "up"]);

const dir = mkdtempSync("/var/tmp/nsbox-bench-log-");
chmodSync(dir, 0o755); // the sandbox's root reaches the docroot through it
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/** Seconds one shell command line takes (it must exit 0). */
function timed(line: string): number {
  const t = performance.now();
  const r = Bun.spawnSync(["sh", "-c", line], { stdio: ["ignore", "ignore", "pipe"], env: { PATH } });
  if (r.exitCode !== 0) throw new Error(`${line}: exit ${r.exitCode}: ${r.stderr}`);
  return (performance.now() - t) / 1000;
}

const BWRAP = "bwrap --unshare-all --die-with-parent --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --";

function throughput(label: string, dd: string, mib: number): void {
  const file = join(dir, "out.log");
  const ways: Record<string, () => string> = {
    "bwrap > file": () => `${BWRAP} ${dd} > ${file}`,
    "nsbox run > file": () => `"${NSBOX}" run -- ${dd} > ${file}`,
    "nsbox run --log": () => `"${NSBOX}" run --log ${file} --log-max 8M -- ${dd}`,
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [k, line] of Object.entries(ways)) {
      rmSync(file, { force: true });
      rmSync(`${file}.1`, { force: true });
      times[k]!.push(timed(line()));
    }
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(`(1) ${label}, ${mib} MiB to stdout, median of ${RUNS}:`);
  for (const [k, s] of Object.entries(m)) console.log(`  ${k.padEnd(18)} ${s.toFixed(3)} s  ${(mib / s).toFixed(0)} MiB/s`);
  console.log(`  --log / run > file: ${ratio(m["nsbox run --log"]!, m["nsbox run > file"]!)}; --log / bwrap > file: ${ratio(m["nsbox run --log"]!, m["bwrap > file"]!)}`);
  const onDisk = statSync(file).size + statSync(`${file}.1`).size;
  console.log(`  --log left ${onDisk} bytes on disk (cap 8388608); the others ${mib * 1024 * 1024}`);
}

/** Requests/s of ab against the published port, one connection per request. */
function abRate(): number {
  const r = sh(["ab", "-q", "-n", String(REQUESTS), "-c", "8", `http://127.0.0.1:${PORT}/index.php`], 120_000);
  const m = r.stdout.match(/Requests per second:\s+([0-9.]+)/);
  if (!m) throw new Error(`ab: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

const serving = async (p: Bun.Subprocess, log: string) =>
  waitFor(async () => {
    if (p.exitCode !== null) throw new Error(`the server exited ${p.exitCode}: ${existsSync(log) ? readFileSync(log, "utf8") : ""}`);
    return fetch(`http://127.0.0.1:${PORT}/index.php`).then((x) => x.ok, () => false);
  }, "the server answers");

async function phpRate(): Promise<void> {
  const docroot = join(dir, "www");
  sh(["mkdir", "-p", docroot]);
  writeFileSync(join(docroot, "index.php"), "<?php echo 'ok';\n");
  const file = join(dir, "php.log");
  const server = ["php", "-S", `127.0.0.1:${PORT}`, "-t", docroot];
  const ways: Record<string, () => Bun.Subprocess> = {
    "output > file": () => Bun.spawn(["sh", "-c", `exec "${NSBOX}" run --publish 127.0.0.1:${PORT} --ro-bind ${docroot} ${docroot} -- ${server.join(" ")} >> ${file} 2>&1`], { env: { PATH } }),
    "--log": () => Bun.spawn([NSBOX, "run", "--publish", `127.0.0.1:${PORT}`, "--ro-bind", docroot, docroot, "--log", file, "--", ...server], { env: { PATH } }),
  };
  const rates: Record<string, number[]> = { "output > file": [], "--log": [] };
  for (let i = 0; i < RUNS; i++) {
    for (const [k, start] of Object.entries(ways)) {
      rmSync(file, { force: true });
      const p = start();
      await serving(p, file);
      rates[k]!.push(abRate());
      p.kill("SIGTERM");
      await p.exited;
    }
  }
  const [direct, logged] = [median(rates["output > file"]!), median(rates["--log"]!)];
  console.log(`(2) php -S through --publish, ${REQUESTS} requests (-c 8), median of ${RUNS}:`);
  console.log(`  output > file ${direct.toFixed(0)} req/s; --log ${logged.toFixed(0)} req/s: ${ratio(logged, direct)}`);
}

const rssKb = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m)?.[1] ?? NaN);
const pssKb = (pid: number) => Number(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+)/m)?.[1] ?? NaN);

async function memory(): Promise<void> {
  const file = join(dir, "idle.log");
  const out: string[] = [];
  for (const [k, opts] of [["without --log", []], ["with --log", ["--log", file]]] as const) {
    const p = Bun.spawn([NSBOX, "run", ...opts, "--", "sh", "-c", "echo ready; exec sleep 100"], { stdout: "pipe", env: { PATH } });
    // Ready: the payload runs (its line went out), and the supervisor is past its setup.
    await waitFor(() => descendantsOf(p.pid).some((c) => readFileSync(`/proc/${c}/comm`, "utf8").trim() === "sleep"), "the payload runs");
    await Bun.sleep(200); // the supervisor gives its setup pages back after a fixed grace (drop-spec.c)
    out.push(`${k}: VmRSS ${rssKb(p.pid)} KB, Pss ${pssKb(p.pid)} KB`);
    p.kill("SIGTERM");
    await p.exited;
  }
  console.log(`(3) the supervisor, idle: ${out.join("; ")}`);
}

try {
  console.log(`bench-log: ${NSBOX}`);
  if (!process.env.BENCH_LOG_SKIP_THROUGHPUT) {
    throughput("64 KiB writes", "dd if=/dev/zero bs=64k count=4096 status=none", 256);
    throughput("256 B writes", "dd if=/dev/zero bs=256 count=131072 status=none", 32);
  }
  await phpRate();
  await memory();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
