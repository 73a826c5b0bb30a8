// `nsbox httpd-worker` on the real kernel with real servers: lighttpd and a small Python server
// take the sockets nsbox opened (socket activation) and serve the test's requests, while from
// inside they reach no host listener, no 10.x address and no resolver; a unix backend allowed by
// path still answers; `httpd-worker check` audits them. And the stage's pass-fd op, driven directly.
// Listeners are on 127.0.0.1 and in temporary directories only.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { chmodSync, closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describeRoot, forgetRanges, NSBOX, sessionPids, tempDir } from "./harness.ts";

const ROOT = resolve(import.meta.dir, "../..");
const STAGE = join(ROOT, "dist/nsbox-stage");
const ENV = { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" };

/** `nsbox httpd-worker ARGS` (the built-in plugin's commands, through the binary's dispatch). */
const workerArgv = (args: string[]) => [NSBOX, "httpd-worker", ...args];

function worker(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = Bun.spawnSync(workerArgv(args), { env: ENV, timeout: 30_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const lines = (s: string) => s.split("\n").filter(Boolean);
let dir = "";
const started: Subprocess[] = [];
const sessions: number[] = [];
const closers: (() => void)[] = [];

/** A port nothing listens on now (bound, then released). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** What reaches the host's 127.0.0.1: a TCP listener and a "resolver" on UDP port 53, counting. */
interface HostPeers {
  tcpPort: number;
  tcpConnections: number;
  dnsQueries: number;
}

let peers: HostPeers;

beforeAll(async () => {
  if (process.getuid?.() !== 0) return;
  dir = tempDir("nsbox-httpd-worker-");
  chmodSync(dir, 0o755);
  for (const d of ["srv", "srv/www", "sock", "backend"]) {
    mkdirSync(join(dir, d));
    chmodSync(join(dir, d), 0o755);
  }
  writeFileSync(join(dir, "srv/www/file.txt"), "served by lighttpd through nsbox's socket\n");
  chmodSync(join(dir, "srv/www/file.txt"), 0o644);
  // The sandbox's user is an unprivileged host uid: copy the server where it can read it.
  copyFileSync(join(ROOT, "test/fixtures/listen-fds-server.py"), join(dir, "srv/server.py"));
  chmodSync(join(dir, "srv/server.py"), 0o644);
  // The workers resolve through this file: a resolver on the host's 127.0.0.1, which the test
  // plays itself, so a query that got out would be counted here and go nowhere else.
  writeFileSync(join(dir, "srv/resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
  chmodSync(join(dir, "srv/resolv.conf"), 0o644);

  peers = { tcpPort: 0, tcpConnections: 0, dnsQueries: 0 };
  const tcp = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open() { peers.tcpConnections++; }, data() {} } });
  peers.tcpPort = tcp.port;
  closers.push(() => tcp.stop(true));
  try {
    const udp = await Bun.udpSocket({ hostname: "127.0.0.1", port: 53, socket: { data() { peers.dnsQueries++; } } });
    closers.push(() => udp.close());
  } catch {
    // Port 53 taken by a local resolver: the resolver check then relies on the error alone.
  }
});

afterEach(async () => {
  for (const p of started.splice(0)) {
    p.kill("SIGTERM");
    await p.exited;
  }
});

afterAll(() => {
  closers.forEach((c) => c());
  if (dir) rmSync(dir, { recursive: true, force: true });
  forgetRanges([`hw-lighttpd-${process.pid}`, `hw-python-${process.pid}`]);
});

/** Starts `httpd-worker run ARGS` in the background. */
function startWorker(args: string[]): Subprocess<"ignore", "pipe", "pipe"> {
  // In a session of its own: what is left of it afterwards can be found by that session alone.
  const p = Bun.spawn(workerArgv(["run", ...args]), { env: ENV, stdio: ["ignore", "pipe", "pipe"], detached: true });
  started.push(p);
  sessions.push(p.pid);
  return p;
}

/** Retries a request until the worker answers (it takes a moment to start), failing after 15 s. */
async function fetchReady(url: string, init: RequestInit & { unix?: string } = {}, proc?: Subprocess<"ignore", "pipe", "pipe">): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      return await fetch(url, init);
    } catch (e) {
      if (proc && proc.exitCode !== null) throw new Error(`the worker exited with ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
      if (i > 150) throw e;
      await Bun.sleep(100);
    }
  }
}

/** The fds above stdio that the check lists as sockets: `fd N: <table> ... (<whose> network namespace)...`. */
const socketLines = (report: string) => lines(report).filter((l) => /^fd ([3-9]|\d\d+): (.*network namespace\)|socket:)/.test(l));

describeRoot("httpd-worker with real servers", () => {
  test("lighttpd serves a file through the socket nsbox opened; from inside it reaches nothing; check finds exactly that socket", async () => {
    const port = freePort();
    const name = `hw-lighttpd-${process.pid}`;
    const conf = join(dir, "srv/lighttpd.conf");
    writeFileSync(conf, [
      `server.document-root = "${dir}/srv/www"`,
      `server.bind = "127.0.0.1"`,
      `server.port = ${port}`,
      // lighttpd takes the LISTEN_FDS sockets that match its server.bind/port instead of binding.
      `server.systemd-socket-activation = "enable"`,
      `mimetype.assign = (".txt" => "text/plain")`,
      "",
    ].join("\n"));
    chmodSync(conf, 0o644);
    const p = startWorker(["--name", name, "--listen", `127.0.0.1:${port}`, "--ro-bind", `${dir}/srv`, `${dir}/srv`, "--ro-bind", `${dir}/srv/resolv.conf`, "/etc/resolv.conf", "--", "lighttpd", "-D", "-f", conf]);
    const res = await fetchReady(`http://127.0.0.1:${port}/file.txt`, { headers: { connection: "close" } }, p);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("served by lighttpd through nsbox's socket\n");

    // The audit: its only socket is the one passed, in nsbox's namespace; its own has lo only.
    const check = worker(["check", name]);
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    // (A connection lighttpd has not finished closing yet is shown, and allowed, as accepted on it.)
    const sockets = socketLines(check.stdout).filter((l) => !l.endsWith(": accepted connection"));
    expect(sockets).toEqual([`fd 3: tcp 127.0.0.1:${port} listen (nsbox's network namespace): passed listener`]);
    expect(lines(check.stdout)).toContain("network namespace: its own; interfaces: lo");
    expect(lines(check.stdout)).toContain("routes: none (loopback only)");
    expect(lines(check.stdout).at(-1)).toBe("clean");

    // From inside the worker (a process joined to all its namespaces): the host's listener on
    // 127.0.0.1, a 10.x address and the resolver are all out of reach.
    const probe = [
      "import socket, errno",
      "def tcp(h, p):",
      "  try: socket.create_connection((h, p), timeout=2); return 'connected'",
      "  except OSError as e: return errno.errorcode.get(e.errno, str(e))",
      "def dns(n):",
      "  try: socket.getaddrinfo(n, 80); return 'resolved'",
      "  except socket.gaierror as e: return {v: k for k, v in vars(socket).items() if k.startswith('EAI_')}.get(e.errno, str(e.errno))",
      `print(tcp('127.0.0.1', ${peers.tcpPort}), tcp('10.254.0.1', 80), dns('nsbox-probe.test'))`,
    ].join("\n");
    const inside = Bun.spawnSync([NSBOX, "exec", name, "--", "python3", "-c", probe], { env: ENV, timeout: 20_000 });
    expect(inside.stderr.toString()).toBe("");
    expect(inside.stdout.toString()).toBe("ECONNREFUSED ENETUNREACH EAI_AGAIN\n");
    expect(peers.tcpConnections).toBe(0);
    expect(peers.dnsQueries).toBe(0);

    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  test("a Python LISTEN_FDS server serves on TCP and on a unix socket, reaches its unix backend, and nothing else", async () => {
    const port = freePort();
    const name = `hw-python-${process.pid}`;
    const app = join(dir, "sock/app.sock");
    const backendPath = join(dir, "backend/db.sock");
    const backend = Bun.listen({ unix: backendPath, socket: { data(s) { s.write("pong from the backend\n"); s.end(); } } });
    closers.push(() => backend.stop(true));
    // connect(2) needs write permission on the socket: the worker is an unprivileged host uid.
    chmodSync(backendPath, 0o666);

    const p = startWorker([
      "--name", name, "--listen", `127.0.0.1:${port}`, "--listen", `unix:${app}`, "--allow-unix", backendPath,
      "--ro-bind", `${dir}/srv`, `${dir}/srv`, "--ro-bind", `${dir}/srv/resolv.conf`, "/etc/resolv.conf", "--",
      "python3", `${dir}/srv/server.py`,
    ]);
    const hello = await fetchReady(`http://127.0.0.1:${port}/hello`, {}, p);
    expect(await hello.text()).toBe(`hello from 127.0.0.1_${port}`);
    const overUnix = await fetch("http://worker/hello", { unix: app });
    expect(await overUnix.text()).toBe(`hello from unix_${app}`);
    // The socket file nsbox made: group may connect, others not (--socket-mode default 0660).
    expect(lstatSync(app).mode & 0o777).toBe(0o660);

    const env = (await (await fetch(`http://127.0.0.1:${port}/env`)).json()) as { env: Record<string, string>; pid: number };
    expect(env.env).toEqual({ LISTEN_FDS: "2", LISTEN_FDNAMES: `127.0.0.1_${port}:unix_${app}`, LISTEN_PID: String(env.pid) });
    expect(env.pid).toBe(2); // the init is 1

    const get = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).text();
    expect(await get(`/backend?path=${encodeURIComponent(backendPath)}`)).toBe("pong from the backend\n");
    expect(await get(`/connect?host=127.0.0.1&port=${peers.tcpPort}`)).toBe("ECONNREFUSED");
    expect(await get("/connect?host=10.254.0.1&port=80")).toBe("ENETUNREACH");
    expect(await get("/resolve?name=nsbox-probe.test")).toBe("EAI_AGAIN");
    expect(peers.tcpConnections).toBe(0);
    expect(peers.dnsQueries).toBe(0);

    const check = worker(["check", name]);
    expect(check.code).toBe(0);
    expect(socketLines(check.stdout)).toEqual([
      `fd 3: tcp 127.0.0.1:${port} listen (nsbox's network namespace): passed listener`,
      `fd 4: unix unix:${app} listening (nsbox's network namespace): passed listener`,
    ]);
    expect(lines(check.stdout).at(-1)).toBe("clean");

    p.kill("SIGTERM");
    expect(await p.exited).toBe(143); // python dies of the forwarded SIGTERM
  });

  test("an allowed socket the sandbox's uid may not write: a warning first, then EACCES inside", () => {
    const path = join(dir, "backend/private.sock");
    const backend = Bun.listen({ unix: path, socket: { data() {} } });
    try {
      chmodSync(path, 0o600);
      const r = worker([
        "run", "--listen", "127.0.0.1:0", "--allow-unix", path, "--",
        "python3", "-c", `import socket\ntry: socket.socket(socket.AF_UNIX).connect(${JSON.stringify(path)})\nexcept OSError as e: print(e.errno == 13)`,
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("True\n");
      expect(r.stderr).toContain(`--allow-unix ${path}: the sandbox runs as host uid 1879048192`);
      expect(r.stderr).toContain("connect(2) will fail with EACCES");
    } finally {
      backend.stop(true);
    }
  });

  test("usage errors: a network asked for, a path that is not a socket, no --listen; nothing is left behind", () => {
    const app = join(dir, "sock/never.sock");
    const cases: [string[], RegExp][] = [
      [["--net", "host"], /--net host \/ --share net cannot be combined with httpd-worker/],
      [["--share", "net"], /cannot be combined/],
      [["--allow-unix", join(dir, "srv/server.py")], /not a unix socket/],
      [["--allow-unix", join(dir, "nope.sock")], /does not exist/],
      [["--listen", "localhost:80"], /'localhost' is not an IPv4 address/],
    ];
    for (const [extra, message] of cases) {
      const r = worker(["run", "--listen", `unix:${app}`, ...extra, "--", "true"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(app)).toBe(false);
    }
    const none = worker(["run", "--", "true"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/at least one --listen/);
  });

  test("check on a process in the host's network: one finding per problem, exit 1", () => {
    const r = worker(["check", "--pid", String(process.pid)]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out).toContain("finding: the worker shares nsbox's network namespace (the host's network)");
    expect(out.filter((l) => l.startsWith("finding: ")).length).toBe(Number(/^(\d+) findings?$/.exec(out.at(-1)!)![1]));
    const nonexistent = worker(["check", `no-such-sandbox-${process.pid}`]);
    expect(nonexistent.code).toBe(125);
    expect(nonexistent.stderr).toContain("no running sandbox named");
  });
});

/** The bytes of a wire spec: magic, version, the records, `end`. */
function wire(...tokens: (string | number)[]): Uint8Array {
  return new TextEncoder().encode(["nsbox-wire", "1", ...tokens.map(String), "end"].map((t) => `${t}\0`).join(""));
}
const BASE = [
  "clone", 0x7e020000, "setgroups", "allow", "uidmap", 0, 1879048192, 65536, "gidmap", 0, 1879048192, 65536,
  "bind", "/", "/", 1, "dev", "/dev", "proc", "/proc", "tmpfs", "/tmp", "1777", 0, "lo-up", "env", `PATH=${ENV.PATH}`,
];

/** The stage with the spec on fd 3 and files on fds 4, 5, ... */
function stage(tokens: (string | number)[], files: string[]): { code: number | null; stdout: string; stderr: string } {
  writeFileSync(join(dir, "spec.wire"), wire(...tokens));
  const fds = [join(dir, "spec.wire"), ...files].map((f) => openSync(f, "r"));
  try {
    const r = Bun.spawnSync([STAGE, "--spec-fd", "3"], { stdio: ["ignore", "pipe", "pipe", ...fds], env: ENV, timeout: 30_000 });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
}

describeRoot("stage: pass-fd", () => {
  /** Files a, b, c, ... readable inside, whose content names them. */
  const files = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const f = join(dir, `file-${String.fromCharCode(97 + i)}`);
      writeFileSync(f, String.fromCharCode(97 + i));
      chmodSync(f, 0o644);
      return f;
    });
  // The payload's open fds from 3 to 9 and what each holds (the shell keeps its own above 9).
  const show = ["argv", "sh", "argv", "-c", "argv", 'for fd in 3 4 5 6 7 8 9; do if { true <&$fd; } 2>/dev/null; then printf "%s=%s " $fd "$(cat <&$fd)"; fi; done; echo'];

  test("the i-th becomes fd 3+i, in record order, whatever the numbers (a swap included); nothing else is left", () => {
    const [a, b, c] = files(3);
    // fds 4=a 5=b 6=c: pass c, a, b -> 3=c 4=a 5=b (4 and 5 move up while 3 and 4 are targets).
    const r = stage([...BASE, "pass-fd", 6, "pass-fd", 4, "pass-fd", 5, ...show], [a!, b!, c!]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("3=c 4=a 5=b \n");
    const swap = stage([...BASE, "pass-fd", 5, "pass-fd", 4, ...show], [a!, b!]);
    expect(swap.stdout).toBe("3=b 4=a \n");
    // fd 6 (c) is neither passed nor kept: closed; a keep-fd above the targets stays where it is.
    const kept = stage([...BASE, "pass-fd", 5, "keep-fd", 6, ...show], [a!, b!, c!]);
    expect(kept.stdout).toBe("3=b 6=c \n");
  });

  test("the error pipe on a target is moved first: a failed exec is still reported", () => {
    const fs = files(6);
    const passes = [4, 5, 6, 7, 8, 9].flatMap((fd) => ["pass-fd", fd]);
    const r = stage([...BASE, ...passes, "argv", "/nonexistent-nsbox-cmd"], fs);
    expect(r.code).toBe(127);
    expect(lines(r.stderr)).toEqual(["nsbox: exec: /nonexistent-nsbox-cmd: No such file or directory (ENOENT)"]);
    const ok = stage([...BASE, ...passes, ...show], fs);
    expect(ok.stdout).toBe("3=a 4=b 5=c 6=d 7=e 8=f \n");
  });

  test("a pass-fd that is not open fails before anything runs", () => {
    const r = stage([...BASE, "pass-fd", 9, "argv", "true"], []);
    expect(r.code).toBe(125);
    expect(lines(r.stderr)).toEqual(["nsbox: pass-fd: 9: Bad file descriptor (EBADF)"]);
  });

  test("no process of the workers started here outlives them", () => {
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.flatMap(sessionPids)).toEqual([]);
  });
});
