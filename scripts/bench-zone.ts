// `npm run bench` (after scripts/bench.ts): TCP throughput through a netzone against the same
// topology built by hand. A LAN peer (10.232.0.2) sits behind a veth on the host; iperf3 runs from
// (1) `nsbox run --zone bz` in a lan zone on 10.231.0.0/24, and (2) a plain namespace with the
// same address (10.231.0.2) on a veth to a bridge with the gateway's address (10.231.0.1) on the
// host: the same hop, no nft tables, no sandbox. Interleaved runs, medians and their ratio.
// Prints figures; never fails on them. Needs root and iperf3; touches only a throwaway world:
// the script re-execs itself under `unshare --net --mount` with a private tmpfs on /run and
// refuses to run anywhere else. The zone is created and removed around each of its runs: while it
// exists, nsbox's forward guard (rightly) drops the hand-built namespace's forwarded traffic.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { guard, spawnNetns, runInThrowawayWorld, type Netns } from "../test/priv/net-fixtures/lib.ts";

const RUNS = Number(process.env.BENCH_ZONE_RUNS ?? 3);
const SECONDS = "3";
const NSBOX = resolve(import.meta.dir, "../dist/nsbox");
const TMPFS = "nsbox-bench-zone";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const ZONE = "bz";
const SUBNET = "10.231.0.0/24";
const GATEWAY = "10.231.0.1";
const MEMBER = "10.231.0.2";
const HOST_LAN = "10.232.0.1";
const PEER = "10.232.0.2";
const PORT = "5201";
const FORWARD = "/proc/sys/net/ipv4/ip_forward";

interface Sh {
  code: number | null;
  stdout: string;
  stderr: string;
}
function sh(argv: string[], timeout = 20_000): Sh {
  const r = Bun.spawnSync(argv, { stdin: "ignore", timeout, env: { ...process.env, PATH } });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
function must(argv: string[], timeout?: number): string {
  const r = sh(argv, timeout);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
const gbit = (bps: number) => (bps / 1e9).toFixed(2);

if (process.getuid!() !== 0) {
  console.log("bench-zone: run as root (zones, veths and bridges need CAP_NET_ADMIN)");
  process.exit(0);
}
if (!Bun.which("iperf3", { PATH })) {
  console.log("bench-zone: iperf3 not found; install it (Debian: apt-get install iperf3) for the zone throughput figures");
  process.exit(0);
}
if (process.argv[2] !== "--inside") process.exit(runInThrowawayWorld(import.meta.path, TMPFS));

// Inside: refuse to go on in the parent's network namespace or with a /run that is not ours.
guard(TMPFS, "bench-zone");

/** A one-off iperf3 server on the LAN peer's address; returns a stopper (kills it by pid if still there). */
async function server(peer: Netns): Promise<() => Promise<void>> {
  const p = Bun.spawn([...peer.enter, "iperf3", "-s", "-1", "-B", PEER, "-p", PORT], { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: { ...process.env, PATH } });
  const stop = async () => {
    const done = await Promise.race([p.exited.then(() => true), Bun.sleep(2000).then(() => false)]);
    if (!done) {
      p.kill("SIGKILL");
      await p.exited;
    }
  };
  const end = Date.now() + 5000;
  while (!sh([...peer.enter, "ss", "-Hltn", `sport = :${PORT}`]).stdout.trim()) {
    if (Date.now() > end || p.exitCode !== null) {
      await stop();
      throw new Error("bench-zone: the iperf3 server did not start listening");
    }
    await Bun.sleep(20);
  }
  return stop;
}

/** Runs an iperf3 client (argv ends in it) against a fresh server; receiver bits/s and the client's address. */
async function measure(peer: Netns, prefix: string[]): Promise<{ bps: number; from: string } | { error: string }> {
  const stop = await server(peer);
  try {
    const r = sh([...prefix, "iperf3", "-c", PEER, "-p", PORT, "-t", SECONDS, "-J"], 60_000);
    try {
      const j = JSON.parse(r.stdout);
      if (j.error) return { error: j.error };
      return { bps: j.end.sum_received.bits_per_second, from: j.start.connected[0].local_host };
    } catch {
      return { error: `exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}` };
    }
  } finally {
    await stop();
  }
}

async function zoneRun(peer: Netns) {
  must([NSBOX, "netzone", "create", ZONE, "--policy", "lan", "--subnet", SUBNET]);
  try {
    return await measure(peer, [NSBOX, "run", "--zone", ZONE, "--"]);
  } finally {
    must([NSBOX, "netzone", "rm", ZONE]);
  }
}

async function handRun(peer: Netns, box: Netns, forwardOrig: string) {
  try {
    must(["ip", "link", "add", "hb0", "type", "bridge"]);
    must(["ip", "addr", "add", `${GATEWAY}/24`, "dev", "hb0"]);
    must(["ip", "link", "add", "hbv0", "type", "veth", "peer", "name", "eth0", "netns", box.path]);
    must(["ip", "link", "set", "hbv0", "master", "hb0", "up"]);
    must(["ip", "link", "set", "hb0", "up"]);
    must([...box.enter, "ip", "addr", "add", `${MEMBER}/24`, "dev", "eth0"]);
    must([...box.enter, "ip", "link", "set", "eth0", "up"]);
    must([...box.enter, "ip", "route", "add", "default", "via", GATEWAY]);
    writeFileSync(FORWARD, "1");
    return await measure(peer, box.enter);
  } finally {
    writeFileSync(FORWARD, forwardOrig);
    sh(["ip", "link", "del", "hbv0"]);
    sh(["ip", "link", "del", "hb0"]);
  }
}

must(["ip", "link", "set", "lo", "up"]);
const forwardOrig = readFileSync(FORWARD, "utf8").trim();
const peer = await spawnNetns(600);
const box = await spawnNetns(600);
const results: Record<string, number[]> = { zone: [], hand: [] };
const seen: Record<string, string> = {};
try {
  must(["ip", "link", "add", "lan0", "type", "veth", "peer", "name", "l0", "netns", peer.path]);
  must(["ip", "addr", "add", `${HOST_LAN}/24`, "dev", "lan0"]);
  must(["ip", "link", "set", "lan0", "up"]);
  must([...peer.enter, "ip", "link", "set", "lo", "up"]);
  must([...peer.enter, "ip", "addr", "add", `${PEER}/24`, "dev", "l0"]);
  must([...peer.enter, "ip", "link", "set", "l0", "up"]);
  // The way back for the hand-built namespace (the lan zone masquerades, so it needs none).
  must([...peer.enter, "ip", "route", "add", SUBNET, "via", HOST_LAN]);
  must([...box.enter, "ip", "link", "set", "lo", "up"]);

  for (let i = 0; i < RUNS; i++) {
    for (const [name, go] of [["zone", () => zoneRun(peer)], ["hand", () => handRun(peer, box, forwardOrig)]] as const) {
      const r = await go();
      if ("error" in r) console.log(`  ${name} run ${i + 1}: iperf3 failed: ${r.error}`);
      else {
        results[name]!.push(r.bps);
        seen[name] = r.from;
      }
    }
  }
} finally {
  peer.kill();
  box.kill();
}
const left = [sh(["nft", "list", "tables"]).stdout.trim(), sh(["ls", "-A", "/run/nsbox/zones"]).stdout.trim()].filter(Boolean);
if (left.length) console.log(`  (left behind in the throwaway namespace, which dies now: ${left.join("; ")})`);

console.log(`TCP throughput to a LAN peer (${PEER}), iperf3 -t ${SECONDS}, median of ${RUNS} interleaved runs:`);
const label = { zone: `nsbox run --zone (lan, from ${seen.zone ?? "?"})`, hand: `hand-built veth+bridge (from ${seen.hand ?? "?"})` };
for (const name of ["zone", "hand"] as const) {
  const xs = results[name]!;
  const runs = xs.map(gbit).join(", ");
  console.log(`  ${label[name].padEnd(44)} ${xs.length ? gbit(median(xs)).padStart(7) : "    n/a"} Gbit/s   (${runs || "no runs"})`);
}
if (results.zone!.length && results.hand!.length) {
  console.log(`  ratio nsbox/hand-built ${(median(results.zone!) / median(results.hand!)).toFixed(2)}`);
}
