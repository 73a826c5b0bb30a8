// `npm run bench`: nsbox against bubblewrap with the same isolation. Start latency of `true`
// (interleaved runs, medians and their ratio) and resident memory of the processes that stay
// while a sandbox runs. Prints figures; never fails on them. Needs root and a built dist/nsbox.
import { readFileSync, writeFileSync } from "node:fs";

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const NSBOX = `${import.meta.dir}/../dist/nsbox`;
const STAGE = `${import.meta.dir}/../dist/nsbox-stage`;
const WIRE = "/tmp/nsbox-bench.wire";

// bubblewrap doing what `nsbox run` does by default.
const BWRAP = [
  "bwrap", "--unshare-all", "--unshare-user", "--uid", "0", "--gid", "0", "--ro-bind", "/", "/", "--dev", "/dev",
  "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/var/tmp", "--new-session",
  "--die-with-parent", "--cap-drop", "ALL",
];

const variants: Record<string, (cmd: string[]) => string[]> = {
  "nsbox run": (cmd) => [NSBOX, "run", "--", ...cmd],
  "stage alone (saved plan)": (cmd) => ["sh", "-c", `exec ${STAGE} --spec-fd 3 3<${WIRE}`, ...cmd.slice(0, 0)],
  bwrap: (cmd) => [...BWRAP, ...cmd],
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeOnce(argv: string[]): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "pipe" });
  const dt = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
  return dt;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** RSS of the processes that are not the payload: the supervisor chain down to the payload. */
async function residentKb(argv: string[], depth: number): Promise<number> {
  const p = Bun.spawn([...argv], { stdout: "ignore", stderr: "ignore" });
  await Bun.sleep(400);
  let total = 0;
  let pids = [p.pid];
  for (let level = 0; level < depth && pids.length; level++) {
    total += pids.reduce((sum, pid) => sum + rssKb(pid), 0);
    pids = pids.flatMap(childrenOf);
  }
  p.kill("SIGKILL");
  await p.exited;
  return total;
}

if (process.getuid!() !== 0) {
  console.log("bench: run as root (nsbox and bwrap both map root to build the same sandbox)");
  process.exit(0);
}
const plan = Bun.spawnSync([NSBOX, "plan", "--wire", "--", "true"]);
writeFileSync(WIRE, plan.stdout);

const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) for (const [name, make] of Object.entries(variants)) times[name]!.push(timeOnce(make(["true"])));
const base = median(times.bwrap!);
console.log(`start latency of \`true\`, median of ${RUNS} interleaved runs:`);
for (const [name, xs] of Object.entries(times)) {
  console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(2).padStart(7)} ms   ${(median(xs) / base).toFixed(2)}x bwrap`);
}

// nsbox: the supervisor (the caller's pid after exec) and the init; bwrap: its two processes.
const nsboxKb = await residentKb([NSBOX, "run", "--", "sleep", "30"], 2);
const bwrapKb = await residentKb([...BWRAP, "sleep", "30"], 2);
console.log("resident memory while a sandbox runs (supervisor + init, payload excluded):");
console.log(`  nsbox ${nsboxKb} KB   bwrap ${bwrapKb} KB   ratio ${(nsboxKb / bwrapKb).toFixed(2)}`);
