// `bun scripts/bench-zone-start.ts`: what a zone member's start costs, and what its own copy of
// the zone's egress policy (zone.ts mirrorTable) adds to it. (1) Applying the mirror table in a
// fresh network namespace, in process: the step itself. (2) `nsbox run --zone Z -- true` against
// the same build without a zone, bubblewrap with a network namespace, and, when NSBOX_BEFORE
// names an earlier build, that build's `run --zone` (the ratio "vs before"). (3) With NSBOX_TRACE,
// the table's step inside real starts, and the host preparation of both builds. Interleaved
// rounds, medians and pair-by-pair ratios. Prints figures; never fails on them. Needs root; touches only
// a throwaway world: the script re-execs itself under `unshare --net --mount` with a private
// tmpfs on /run and refuses to run anywhere else.
import { resolve } from "node:path";
import { guard, runInThrowawayWorld } from "../test/priv/net-fixtures/lib.ts";
import { nftClient } from "../src/core/net/nft.ts";
import { openLibnftables } from "../src/core/sys/libnftables.ts";
import { closeNetns, createNetns } from "../src/core/sys/netns-window.ts";
import { buildZone, mirrorTable } from "../src/core/zone/zone.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const NSBOX = resolve(import.meta.dir, "../dist/nsbox");
const BEFORE = process.env.NSBOX_BEFORE;
const TMPFS = "nsbox-bench-zone-start";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;
const median = (xs: number[]) => quantile(xs, 0.5);
const spread = (xs: number[]) => `[${quantile(xs, 0.25).toFixed(2)}-${quantile(xs, 0.75).toFixed(2)}]`;

function must(argv: string[]): void {
  const r = Bun.spawnSync(argv, { stdin: "ignore", env: { ...process.env, PATH } });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString().trim()}`);
}

function timeOnce(argv: string[]): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PATH } });
  const wall = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString().trim()}`);
  return wall;
}

if (process.getuid!() !== 0) {
  console.log("bench-zone-start: run as root (zones, veths and bridges need CAP_NET_ADMIN)");
  process.exit(0);
}
if (process.argv[2] !== "--inside") process.exit(runInThrowawayWorld(import.meta.path, TMPFS));
guard(TMPFS, "bench-zone-start");

// An uplink for the internet zone (the policy with the most rules): a veth pair, nothing behind it.
must(["ip", "link", "set", "lo", "up"]);
must(["ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1"]);
must(["ip", "addr", "add", "203.0.113.1/30", "dev", "up0"]);
for (const l of ["up0", "up1"]) must(["ip", "link", "set", l, "up"]);
must(["ip", "route", "add", "default", "via", "203.0.113.2"]);

// (1) The step alone: a fresh namespace, the mirror applied through libnftables in a setns window.
const zone = buildZone({ name: "bs", policy: "internet", dns: ["192.0.2.53"], allowHost: ["3128"] }, { addresses: ["203.0.113.1/30"], links: ["lo", "up0", "up1"], defaultRouteDev: "up0", zones: [] });
const lib = openLibnftables();
const step: number[] = [];
const bare: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const fd = createNetns();
  const t0 = performance.now();
  nftClient(lib, { nsFd: fd }).applyZoneTable(mirrorTable(zone));
  step.push(performance.now() - t0);
  closeNetns(fd);
  // The namespace alone, for scale: its creation is paid by every member.
  const t1 = performance.now();
  closeNetns(createNetns());
  bare.push(performance.now() - t1);
}
console.log(`the mirror table (internet zone, ${mirrorTable(zone).chains.reduce((n, c) => n + c.rules.length, 0)} rules) applied in a fresh network namespace, median of ${RUNS}:`);
console.log(`  apply ${median(step).toFixed(2)} ms ${spread(step)}; creating the namespace itself ${median(bare).toFixed(2)} ms ${spread(bare)}`);

// (2) Whole starts, interleaved.
must([NSBOX, "netzone", "create", "bs", "--policy", "internet", "--dns", "192.0.2.53", "--allow-host", "3128"]);
try {
  const variants: Record<string, string[]> = {
    "nsbox run --zone (this build)": [NSBOX, "run", "--zone", "bs", "--", "true"],
    ...(BEFORE ? { "nsbox run --zone (NSBOX_BEFORE)": [BEFORE, "run", "--zone", "bs", "--", "true"] } : {}),
    "nsbox run (no zone)": [NSBOX, "run", "--", "true"],
    ...(Bun.which("bwrap", { PATH }) ? { "bwrap --unshare-all (net ns, lo)": ["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "--tmpfs", "/tmp", "--dev", "/dev", "true"] } : {}),
  };
  const base = "nsbox run --zone (this build)";
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const argv of Object.values(variants)) timeOnce(argv); // warm caches (and the plan cache)
  for (let i = 0; i < RUNS; i++) for (const [name, argv] of Object.entries(variants)) samples[name]!.push(timeOnce(argv));
  console.log(`whole starts, ${RUNS} interleaved rounds; ratio to ${base}, pair by pair:`);
  for (const [name, xs] of Object.entries(samples)) {
    const ratios = xs.map((x, i) => x / samples[base]![i]!);
    console.log(`  ${name.padEnd(36)} ${median(xs).toFixed(2).padStart(7)} ms ${spread(xs).padEnd(14)} ${median(ratios).toFixed(2)}x ${spread(ratios)}`);
  }
  if (!BEFORE) console.log("  (set NSBOX_BEFORE=PATH to an earlier build for the ratio against it)");
  // (3) Inside real starts (NSBOX_TRACE): the table's own step, and the whole host preparation.
  const phases = (argv: string[]) => {
    const r = Bun.spawnSync(argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PATH, NSBOX_TRACE: "1" } });
    return new Map([...r.stderr.toString().matchAll(/^nsbox-trace:\s+([\d.]+) ms\s+(.+)$/gm)].map((m) => [m[2]!, Number(m[1])]));
  };
  const table: number[] = [];
  const prepared: Record<string, number[]> = { "this build": [], ...(BEFORE ? { NSBOX_BEFORE: [] } : {}) };
  for (let i = 0; i < RUNS; i++) {
    for (const [name, bin] of [["this build", NSBOX], ...(BEFORE ? [["NSBOX_BEFORE", BEFORE]] : [])] as const) {
      const p = phases([bin, "run", "--zone", "bs", "--", "true"]);
      prepared[name]!.push(p.get("host prepared")! - p.get("parsed and planned")!);
      if (name === "this build") table.push(p.get("zone: member's own table")! - p.get("zone: member's namespace and veth")!);
    }
  }
  console.log(`inside ${RUNS} starts each (NSBOX_TRACE=1, medians):`);
  console.log(`  the member's own table: ${median(table).toFixed(2)} ms ${spread(table)}`);
  for (const [name, xs] of Object.entries(prepared)) console.log(`  host preparation (planned -> prepared), ${name.padEnd(12)} ${median(xs).toFixed(2)} ms ${spread(xs)}`);
  if (BEFORE) console.log(`  ratio this build / NSBOX_BEFORE: ${(median(prepared["this build"]!) / median(prepared.NSBOX_BEFORE!)).toFixed(2)}x (host preparation)`);
} finally {
  must([NSBOX, "netzone", "rm", "bs", "--force"]);
}
