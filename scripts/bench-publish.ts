// `bun scripts/bench-publish.ts`: requests/s through --publish against the same server reached
// directly, and the supervisor's resident memory. A server runs in `nsbox run --net none
// --publish 127.0.0.1:18180:8080`; ab (Debian apache2-utils; no keep-alive: one connection per
// request, the forward's worst case) loads it (1) through the host port, relayed by the stage's
// supervisor, (2) directly on the sandbox's loopback, from inside its network namespace
// (nsenter), and (3) through the hand-built equivalent: systemd-socket-proxyd run in the
// sandbox's network namespace on a listener systemd-socket-activate made on the host. Interleaved
// runs, medians, ratios. Three servers: Bun.serve (fast, so the forward's own cost shows),
// `php -S` with a trivial page and with a page that works ~1 ms (closer to a CMS page). Then the
// supervisor's VmRSS: without --publish, with it idle, with N idle connections, and during M
// concurrent requests; and systemd-socket-proxyd's for comparison.
// Prints figures; never fails on them. Needs root; re-execs itself under `unshare --net --mount`
// with a private tmpfs on /run and refuses to run anywhere else.
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { guard } from "../test/priv/net-fixtures/lib.ts";

const RUNS = Number(process.env.BENCH_PUBLISH_RUNS ?? 3);
const REQUESTS = Number(process.env.BENCH_PUBLISH_REQUESTS ?? 10000);
const CONCURRENCY = 16;
const IDLE = 100;
const NSBOX = resolve(import.meta.dir, "../dist/nsbox");
const TMPFS = "nsbox-bench-publish";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const HOST_PORT = 18180;
const PROXYD_PORT = 18181;
const PROXYD = ["/lib/systemd/systemd-socket-proxyd", "/usr/lib/systemd/systemd-socket-proxyd"].find((p) => Bun.file(p).size > 0);
const INNER_PORT = 8080;

function sh(argv: string[], timeout = 120_000) {
  const r = Bun.spawnSync(argv, { stdin: "ignore", timeout, env: { ...process.env, PATH } });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (process.getuid!() !== 0) {
  console.log("bench-publish: run as root (it makes a throwaway network namespace)");
  process.exit(0);
}
if (!Bun.which("ab", { PATH })) {
  console.log("bench-publish: ab not found; install it (Debian: apt-get install apache2-utils)");
  process.exit(0);
}
if (process.argv[2] !== "--inside") {
  const r = Bun.spawnSync(
    ["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c", `mount -t tmpfs ${TMPFS} /run && ip link set lo up && exec "$@"`, "sh", process.execPath, import.meta.path, "--inside"],
    { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, PATH } },
  );
  process.exit(r.exitCode ?? 1);
}
guard(TMPFS, "bench-publish");

const dir = mkdtempSync("/tmp/nsbox-bench-publish-");
chmodSync(dir, 0o755);
copyFileSync(process.execPath, join(dir, "bun"));
writeFileSync(join(dir, "server.ts"), `Bun.serve({ hostname: "127.0.0.1", port: ${INNER_PORT}, fetch: () => new Response("hello from the sandbox\\n") });\n`);
writeFileSync(join(dir, "index.php"), "<?php echo \"hello from the sandbox\\n\";\n");
writeFileSync(join(dir, "work.php"), "<?php $h = ''; for ($i = 0; $i < 3000; $i++) $h = md5($h . $i); echo $h, \"\\n\";\n");
const VIEW = ["--ro-bind", dir, "/srv/bench"];

const PHP = ["php", "-S", `127.0.0.1:${INNER_PORT}`, "-t", "/srv/bench"];
const SERVERS: Record<string, { argv: string[]; path: string }> = {
  "Bun.serve": { argv: ["/srv/bench/bun", "/srv/bench/server.ts"], path: "/" },
  "php -S, trivial page": { argv: PHP, path: "/index.php" },
  "php -S, ~1 ms page": { argv: PHP, path: "/work.php" },
};

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}
const descendantsOf = (pid: number): number[] => childrenOf(pid).flatMap((c) => [c, ...descendantsOf(c)]);
const rssKb = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m)?.[1] ?? NaN);

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`bench-publish: timed out waiting until ${what}`);
    await Bun.sleep(20);
  }
}

/** ab's requests per second (keep-alive off: a connection per request), or NaN with its error. */
function ab(prefix: string[], port: number, path = "/", n = REQUESTS, c = CONCURRENCY): number {
  const r = sh([...prefix, "ab", "-q", "-n", String(n), "-c", String(c), `http://127.0.0.1:${port}${path}`]);
  const rps = Number(r.stdout.match(/Requests per second:\s+([\d.]+)/)?.[1]);
  const failed = Number(r.stdout.match(/Failed requests:\s+(\d+)/)?.[1] ?? 0);
  if (!rps || failed) console.error(`bench-publish: ab ${port}: ${failed} failed; ${r.stderr.trim().split("\n").at(-1)}`);
  return rps || NaN;
}

const running = new Set<Bun.Subprocess>();
/** A sandbox (--net none with --publish, else the default loopback) running argv; its output is dropped. */
async function start(extra: string[], argv: string[]) {
  const net = extra.length ? ["--net", "none"] : [];
  const p = Bun.spawn([NSBOX, "run", ...net, ...extra, ...VIEW, "--", ...argv], { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: { PATH } });
  running.add(p);
  await waitFor(() => descendantsOf(p.pid).length >= 2, "the sandbox runs");
  const server = descendantsOf(p.pid).at(-1)!;
  const inside = ["nsenter", `--net=/proc/${server}/ns/net`, "--"];
  await waitFor(() => sh([...inside, "ab", "-q", "-n", "1", `http://127.0.0.1:${INNER_PORT}/`]).stdout.includes("Complete requests:      1"), "the server answers");
  return { p, server, inside, stop: async () => (p.kill("SIGTERM"), await p.exited, running.delete(p)) };
}

/** systemd-socket-proxyd in the sandbox's network namespace, on a host listener it inherits. */
async function proxyd(server: number) {
  if (!PROXYD) return undefined;
  const argv = ["systemd-socket-activate", "-l", `127.0.0.1:${PROXYD_PORT}`, "nsenter", `--net=/proc/${server}/ns/net`, "--", PROXYD, `127.0.0.1:${INNER_PORT}`];
  const p = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore", env: { PATH } });
  running.add(p);
  await waitFor(() => sh(["ab", "-q", "-n", "1", `http://127.0.0.1:${PROXYD_PORT}/`]).stdout.includes("Complete requests:      1"), "systemd-socket-proxyd answers");
  return { p, stop: async () => (p.kill("SIGTERM"), await p.exited, running.delete(p)) };
}

try {
  console.log(`bench-publish: ab -n ${REQUESTS} -c ${CONCURRENCY} (no keep-alive), ${RUNS} interleaved runs, medians; load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  for (const [name, { argv, path }] of Object.entries(SERVERS)) {
    if (argv[0] === "php" && !Bun.which("php", { PATH })) {
      console.log(`  ${name}: php not found (Debian: php-cli)`);
      continue;
    }
    const s = await start(["--publish", `127.0.0.1:${HOST_PORT}:${INNER_PORT}`], argv);
    const px = await proxyd(s.server);
    const direct: number[] = [];
    const published: number[] = [];
    const proxied: number[] = [];
    ab(s.inside, INNER_PORT, path, 500);
    ab([], HOST_PORT, path, 500);
    for (let i = 0; i < RUNS; i++) {
      direct.push(ab(s.inside, INNER_PORT, path));
      published.push(ab([], HOST_PORT, path));
      if (px) proxied.push(ab([], PROXYD_PORT, path));
    }
    const d = median(direct);
    const q = median(published);
    const x = px ? ` | systemd-socket-proxyd ${median(proxied).toFixed(0)} req/s, ${(median(proxied) / d).toFixed(2)}x` : "";
    console.log(`  ${name}: direct ${d.toFixed(0)} req/s | --publish ${q.toFixed(0)} req/s, ${(q / d).toFixed(2)}x${x}`);
    await px?.stop();
    await s.stop();
  }

  // Resident memory of the supervisor (nsbox's pid after the exec), with the Bun server.
  const plain = await start([], SERVERS["Bun.serve"]!.argv);
  const without = rssKb(plain.p.pid);
  await plain.stop();
  const s = await start(["--publish", `127.0.0.1:${HOST_PORT}:${INNER_PORT}`], SERVERS["Bun.serve"]!.argv);
  const idle = rssKb(s.p.pid);
  const sockets: Socket[] = await Promise.all(
    Array.from({ length: IDLE }, () => new Promise<Socket>((ok, fail) => {
      const c = connect({ port: HOST_PORT, host: "127.0.0.1" }, () => ok(c));
      c.on("error", fail);
    })),
  );
  await waitFor(() => readdirSync(`/proc/${s.p.pid}/fd`).length >= IDLE * 2, `${IDLE} connections are relayed`);
  const withIdle = rssKb(s.p.pid);
  sockets.forEach((c) => c.destroy());
  // Sampled while ab keeps 64 connections busy.
  const load = Bun.spawn(["ab", "-q", "-n", "40000", "-c", "64", `http://127.0.0.1:${HOST_PORT}/`], { stdout: "ignore", stderr: "ignore", env: { PATH } });
  let busy = 0;
  while (load.exitCode === null) {
    busy = Math.max(busy, rssKb(s.p.pid));
    await Bun.sleep(50);
  }
  const px = await proxyd(s.server);
  const proxydRss = px ? rssKb(descendantsOf(px.p.pid).at(-1) ?? px.p.pid) : NaN;
  await px?.stop();
  await s.stop();
  console.log(`  systemd-socket-proxyd VmRSS (idle): ${proxydRss} KB`);
  console.log(`  supervisor VmRSS: without --publish ${without} KB; with it: idle ${idle} KB, ${IDLE} idle connections ${withIdle} KB, 64 busy connections (peak) ${busy} KB`);
} finally {
  for (const p of running) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
