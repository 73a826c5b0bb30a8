// The --publish scenarios, run as `publish.ts root|nobody` in a throwaway network namespace with
// a private tmpfs on /run (test/priv/publish.test.ts starts it; lib.ts guard refuses otherwise).
// A server in `nsbox run --net none --publish` is reached through the host port; what went
// through, what the sandbox's processes hold and what is left afterwards are printed as JSON.
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { guard, sh } from "./lib.ts";

guard("nsbox-net-test", "publish fixture");
const who = process.argv[2] === "nobody" ? "nobody" : "root";
const scenario = process.argv[3] ?? "all";
if (sh(["ip", "link", "set", "lo", "up"]).code !== 0) throw new Error("cannot bring lo up in the throwaway namespace");

// Copies nobody can read and run wherever the checkout lives; nobody's records go to `runtime`.
const dir = mkdtempSync("/tmp/nsbox-publish-");
chmodSync(dir, 0o755);
const NSBOX = join(dir, "nsbox");
copyFileSync(resolve(import.meta.dir, "../../../dist/nsbox"), NSBOX);
chmodSync(NSBOX, 0o755);
copyFileSync(resolve(import.meta.dir, "publish-server.py"), join(dir, "server.py"));
chmodSync(join(dir, "server.py"), 0o644);
const runtime = join(dir, "runtime");
sh(["install", "-d", "-m", "700", "-o", who === "nobody" ? "65534" : "0", runtime]);
const recordsDir = who === "nobody" ? join(runtime, "nsbox") : "/run/nsbox";

const launcher = who === "nobody" ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
const ENV = { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", XDG_RUNTIME_DIR: runtime };
const SERVER = ["--ro-bind", join(dir, "server.py"), "/srv/server.py"];

function nsboxSync(args: string[]) {
  const r = Bun.spawnSync([...launcher, NSBOX, ...args], { env: ENV, stdin: "ignore", timeout: 20_000, cwd: "/" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function start(args: string[]) {
  return Bun.spawn([...launcher, NSBOX, "run", ...args], { env: ENV, stdin: "ignore", stdout: "pipe", stderr: "pipe", cwd: "/", detached: true });
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await Bun.sleep(20);
  }
}

/** One connection: writes `send`, half-closes, reads to end of file. Rejects on a reset or error. */
function talk(port: number, send: Buffer | string, host = "127.0.0.1"): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    const s = connect({ port, host, allowHalfOpen: true });
    s.on("connect", () => s.end(send));
    s.on("data", (d) => chunks.push(Buffer.from(d)));
    s.on("end", () => {
      s.destroy();
      ok(Buffer.concat(chunks));
    });
    s.on("error", fail);
  });
}

/** The HTTP answer through the port, or the error's code (ECONNREFUSED once nothing listens). */
async function get(port: number, host = "127.0.0.1"): Promise<string> {
  try {
    return (await talk(port, "GET / HTTP/1.0\r\n\r\n", host)).toString();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

const PATTERN = Buffer.from(Array.from({ length: 256 * 4096 }, (_, i) => i % 256));
const expected = (size: number) => {
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += PATTERN.length) PATTERN.copy(out, at, 0, Math.min(PATTERN.length, size - at));
  return out;
};

/** Body up, pattern down: true when both arrived whole (the server answers after our EOF). */
async function exchange(port: number, up: number, down: number, host = "127.0.0.1"): Promise<boolean> {
  const body = randomBytes(up);
  const got = await talk(port, Buffer.concat([Buffer.from(`${down}\n`), body]), host);
  const nl = got.indexOf(10);
  const sha = got.subarray(0, nl).toString();
  return sha === createHash("sha256").update(body).digest("hex") && got.subarray(nl + 1).equals(expected(down));
}

/** Inodes of the sockets an open fd of pid refers to. */
function socketInodes(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m ? [m[1]!] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}
const descendantsOf = (pid: number): number[] => childrenOf(pid).flatMap((c) => [c, ...descendantsOf(c)]);
const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
};

/** The inode of the socket listening on 127.0.0.1:port in this (the host's) network namespace. */
function listenerInode(port: number): string | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const line = readFileSync("/proc/self/net/tcp", "utf8").split("\n").find((l) => {
    const f = l.trim().split(/\s+/);
    return f[1] === `0100007F:${hex}` && f[3] === "0A";
  });
  return line?.trim().split(/\s+/)[9];
}

const records = () => {
  try {
    return readdirSync(join(recordsDir, "sandboxes"));
  } catch {
    return [];
  }
};
const mounts = () => readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]).filter(Boolean).sort();

function hostListener(port: number): Promise<Server> {
  return new Promise((ok) => {
    const srv = createServer((c) => c.end("host service\n"));
    srv.listen(port, "127.0.0.1", () => ok(srv));
  });
}

async function serveScenario(): Promise<Record<string, unknown>> {
  const mountsBefore = mounts();
  const out: Record<string, unknown> = {};
  // The server answers on 8080 inside; the host reaches it on 18080.
  const p = start(["--net", "none", "--publish", "127.0.0.1:18080:8080", ...SERVER, "--", "python3", "/srv/server.py", "8080"]);
  await waitFor(async () => (await get(18080)).includes("200 OK"), "the published server answers");
  out.get = await get(18080);
  out.big = await exchange(18080, 8 << 20, 8 << 20);
  const many = await Promise.all(Array.from({ length: 64 }, (_, i) => exchange(18080, 65536 + i * 1000, 200_000).catch(() => false)));
  out.concurrentOk = many.filter(Boolean).length;
  // Who holds the host listener: the supervisor (nsbox's own pid) and nothing in the sandbox.
  const inode = listenerInode(18080);
  const inside = descendantsOf(p.pid);
  out.listenerFound = inode !== undefined;
  out.supervisorHolds = inode !== undefined && socketInodes(p.pid).includes(inode);
  out.insideHolding = inside.filter((pid) => inode !== undefined && socketInodes(pid).includes(inode)).map(comm);
  out.insideComms = inside.map(comm);
  out.supervisorRssKb = readFileSync(`/proc/${p.pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m)?.[1];
  // Killing the payload ends the sandbox: the supervisor exits and the port closes.
  const payload = inside.find((pid) => comm(pid) === "python3");
  out.payloadFound = payload !== undefined;
  if (payload) process.kill(payload, "SIGKILL");
  out.killedExit = await p.exited;
  out.afterKill = await get(18080);
  out.recordsAfterKill = records();

  // SIGTERM to the supervisor: forwarded, the payload ends, the port closes.
  const q = start(["--net", "none", "--publish", "127.0.0.1:18080:8080", ...SERVER, "--", "python3", "/srv/server.py", "8080"]);
  await waitFor(async () => (await get(18080)).includes("200 OK"), "the second server answers");
  q.kill("SIGTERM");
  out.termExit = await q.exited;
  out.afterTerm = await get(18080);
  out.recordsAfterTerm = records();

  // IPv6: [::1] outside, ::1 inside.
  const r = start(["--publish", "[::1]:18086:8086", ...SERVER, "--", "python3", "/srv/server.py", "8086", "6"]);
  await waitFor(async () => (await get(18086, "::1")).includes("200 OK"), "the IPv6 server answers");
  out.v6big = await exchange(18086, 1 << 20, 1 << 20, "::1");
  r.kill("SIGTERM");
  await r.exited;

  // The sandbox does not reach the host's loopback services; nothing listening inside: a reset.
  const srv = await hostListener(18090);
  const probe = `import socket\ntry:\n  socket.create_connection(("127.0.0.1", 18090), 2); print("connected")\nexcept OSError as e: print(type(e).__name__)`;
  const reach = nsboxSync(["run", "--net", "none", "--publish", "127.0.0.1:18091:9", "--", "python3", "-c", probe]);
  out.hostLoopbackFromInside = reach.stdout.trim();
  out.hostServiceFromHost = await get(18090);
  srv.close();

  // A port in use: one line, 125, nothing left.
  const busy = await hostListener(18092);
  const inUse = nsboxSync(["run", "--publish", "127.0.0.1:18092", "--", "true"]);
  out.inUse = { code: inUse.code, lines: inUse.stderr.trim().split("\n") };
  out.recordsAfterInUse = records();
  busy.close();
  // A zone member (root only: zones are): published the same way, into the zone's namespace.
  if (who === "root") {
    const made = nsboxSync(["netzone", "create", "pz", "--policy", "isolated", "--subnet", "10.77.0.0/24"]);
    const z = start(["--zone", "pz", "--publish", "127.0.0.1:18093:8080", ...SERVER, "--", "python3", "/srv/server.py", "8080"]);
    await waitFor(async () => (await get(18093)).includes("200 OK") || z.exitCode !== null, "the zone member answers");
    out.zone = { created: made.code, get: await get(18093), big: await exchange(18093, 1 << 20, 1 << 20) };
    z.kill("SIGTERM");
    (out.zone as Record<string, unknown>).exit = await z.exited;
    (out.zone as Record<string, unknown>).after = await get(18093);
    (out.zone as Record<string, unknown>).removed = nsboxSync(["netzone", "rm", "pz"]).code;
  }
  out.leakedMounts = mounts().filter((m) => !mountsBefore.includes(m));
  return out;
}

try {
  const result = scenario === "all" ? await serveScenario() : {};
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
