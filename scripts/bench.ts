// `npm run bench`: nsbox against bubblewrap with the same isolation. Start latency of `true`
// (interleaved runs, medians and their ratio) and resident memory of the processes that stay
// while a sandbox runs. Prints figures; never fails on them. Needs root and a built dist/nsbox.
import { readFileSync, writeFileSync } from "node:fs";
import { readHostLayout } from "../src/core/host-layout.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const NSBOX = `${import.meta.dir}/../dist/nsbox`;
const STAGE = `${import.meta.dir}/../dist/nsbox-stage`;
const WIRE = "/tmp/nsbox-bench.wire";
const WIRE_HOST = "/tmp/nsbox-bench-host.wire";

// bubblewrap doing what `nsbox run --root host` does.
const BWRAP_COMMON = [
  "bwrap", "--unshare-all", "--unshare-user", "--uid", "0", "--gid", "0", "--dev", "/dev",
  "--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/var/tmp", "--new-session",
  "--die-with-parent", "--cap-drop", "ALL",
];
const BWRAP = [...BWRAP_COMMON.slice(0, 7), "--ro-bind", "/", "/", ...BWRAP_COMMON.slice(7)];
// ... and what the default `--root os` does: the host's OS as it is laid out here, on a read-only tmpfs root.
const layout = readHostLayout();
const BWRAP_OS = [
  ...BWRAP_COMMON.slice(0, 7), "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
  ...layout.os.flatMap((e) => (e.symlink !== undefined ? ["--symlink", e.symlink, e.path] : ["--ro-bind", e.path, e.path])),
  "--dir", "/var/lib", "--dir", "/var/cache", "--dir", "/var/log", "--symlink", "../run", "/var/run",
  ...BWRAP_COMMON.slice(7), "--remount-ro", "/",
];

const variants: Record<string, (cmd: string[]) => string[]> = {
  "nsbox run (os)": (cmd) => [NSBOX, "run", "--", ...cmd],
  "nsbox run --root host": (cmd) => [NSBOX, "run", "--root", "host", "--", ...cmd],
  "stage alone, os plan": () => ["sh", "-c", `exec ${STAGE} --spec-fd 3 3<${WIRE}`],
  "stage alone, host plan": () => ["sh", "-c", `exec ${STAGE} --spec-fd 3 3<${WIRE_HOST}`],
  "bwrap, os view": (cmd) => [...BWRAP_OS, ...cmd],
  bwrap: (cmd) => [...BWRAP, ...cmd],
};

/** Pairs measured side by side: the os root against today's host root. */
const OS_VS_HOST = [["nsbox run (os)", "nsbox run --root host"], ["stage alone, os plan", "stage alone, host plan"], ["bwrap, os view", "bwrap"]] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** CPU time (user + system, ms) of the last timeOnce's process and the children it waited for:
 * steadier than wall time on a loaded machine. */
const cpu: Record<string, number[]> = {};

function timeOnce(argv: string[], name?: string): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, { stdout: "ignore", stderr: "pipe" });
  const dt = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString()}`);
  const used = r.resourceUsage?.cpuTime;
  if (name && used) (cpu[name] ??= []).push(Number(used.user + used.system) / 1000);
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
writeFileSync(WIRE, Bun.spawnSync([NSBOX, "plan", "--wire", "--", "true"]).stdout);
writeFileSync(WIRE_HOST, Bun.spawnSync([NSBOX, "plan", "--wire", "--root", "host", "--", "true"]).stdout);

const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
// Interleaved, and the order rotated every round: no variant always runs right after another.
const entries = Object.entries(variants);
for (let i = 0; i < RUNS; i++) {
  for (let j = 0; j < entries.length; j++) {
    const [name, make] = entries[(i + j) % entries.length]!;
    times[name]!.push(timeOnce(make(["true"]), name));
  }
}
const base = median(times.bwrap!);
console.log(`start latency of \`true\`, median of ${RUNS} interleaved runs:`);
for (const [name, xs] of Object.entries(times)) {
  console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(2).padStart(7)} ms   ${(median(xs) / base).toFixed(2)}x bwrap`);
}
const versus = (a: number, b: number) => `${a - b >= 0 ? "+" : ""}${(a - b).toFixed(2)} ms, ${(a / b).toFixed(2)}x`;
console.log("the os root against the host root (same run; wall time, then CPU time user+sys):");
for (const [os, host] of OS_VS_HOST) {
  const [a, b] = [median(times[os]!), median(times[host]!)];
  const [ca, cb] = [median(cpu[os] ?? [0]), median(cpu[host] ?? [0])];
  console.log(`  ${os.padEnd(24)} ${a.toFixed(2).padStart(7)} ms  vs ${host.padEnd(24)} ${b.toFixed(2).padStart(7)} ms  ${versus(a, b)}   CPU ${ca.toFixed(2)} vs ${cb.toFixed(2)} ms  ${versus(ca, cb)}`);
}

// nsbox: the supervisor (the caller's pid after exec) and the init; bwrap: its two processes.
const nsboxKb = await residentKb([NSBOX, "run", "--", "sleep", "30"], 2);
const bwrapKb = await residentKb([...BWRAP, "sleep", "30"], 2);
console.log("resident memory while a sandbox runs (supervisor + init, payload excluded):");
console.log(`  nsbox ${nsboxKb} KB   bwrap ${bwrapKb} KB   ratio ${(nsboxKb / bwrapKb).toFixed(2)}`);
