// cms-isolate for real, with plain php-cli (`php -S`): up, ls, status, logs, exec and down of two
// instances from one code dir; the isolation each gets (as the host and the instance see it);
// teardown when a server is killed; run in the foreground; and bad input, one line each with
// nothing made. DokuWiki and the attacks between instances are in cms-isolate.test.ts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { InstanceStatus } from "../../plugins/cms-isolate/status.ts";
import { accepting, alive, cmsRoot, freePort, get, removeCmsRoot } from "./cms-fixture.ts";
import { describeRoot, forgetRanges, NSBOX, nsbox, readUntil, tempDir, waitFor } from "./harness.ts";

const T = `t${process.pid}`;
const A = `${T}-a`;
const B = `${T}-b`;
const C = `${T}-c`;
let root: string;
let cfg: string;
let code: string;

const cms = (args: string[], opts: { env?: Record<string, string> } = {}) => nsbox(["cms-isolate", "--config-dir", cfg, ...args], opts);
const dataOf = (name: string) => join(root, "data", name);
const records = () => (existsSync(join(cfg, "cms-isolate")) ? readdirSync(join(cfg, "cms-isolate")).filter((f) => !f.startsWith(".") && f !== "instances.lock") : []);

type Row = InstanceStatus;

function ls(): Row[] {
  const r = cms(["ls", "--json"]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}
const rowOf = (name: string) => ls().find((r) => r.name === name);

const ports: Record<string, number> = {};

/** One FastCGI GET of `script` (the FastCGI spec: BEGIN_REQUEST, PARAMS, STDIN; the answer's STDOUT records). */
async function fastcgi(port: number, script: string): Promise<string> {
  const record = (type: number, content: Uint8Array) => {
    const head = new Uint8Array([1, type, 0, 1, content.length >> 8, content.length & 255, 0, 0]);
    return Buffer.concat([head, content]);
  };
  const pair = (k: string, val: string) => Buffer.concat([Buffer.from([k.length, val.length]), Buffer.from(k), Buffer.from(val)]);
  const params = Buffer.concat([pair("SCRIPT_FILENAME", script), pair("REQUEST_METHOD", "GET"), pair("SCRIPT_NAME", "/index.php"), pair("REQUEST_URI", "/")]);
  const request = Buffer.concat([record(1, new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0])), record(4, params), record(4, new Uint8Array()), record(5, new Uint8Array())]);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    void Bun.connect({
      hostname: "127.0.0.1", port,
      socket: { open: (s) => void s.write(request), data: (_, d) => void chunks.push(Buffer.from(d)), close: () => resolve(), error: (_, e) => reject(e) },
    }).catch(reject);
  });
  let all = Buffer.concat(chunks);
  let out = "";
  while (all.length >= 8) {
    const [type, length, padding] = [all[1]!, (all[4]! << 8) | all[5]!, all[6]!];
    if (type === 6) out += all.subarray(8, 8 + length).toString();
    all = all.subarray(8 + length + padding);
  }
  return out.slice(out.indexOf("\r\n\r\n") + 4);
}

describeRoot("cms-isolate with php -S", () => {
  beforeAll(() => {
    ({ root, cfg, code } = cmsRoot("nsbox-cms-"));
    // Each page says who serves it, writes into its data dir, and reports what the server sees.
    writeFileSync(join(code, "index.php"), [
      "<?php",
      'session_start(); $_SESSION["n"] = ($_SESSION["n"] ?? 0) + 1;',
      'file_put_contents(getenv("CMS_DATA") . "/hit", getenv("CMS_NAME"));',
      'echo getenv("CMS_NAME"), " ", gethostname(), " ", posix_getpid(), " ", ini_get("memory_limit"), " ", session_save_path(), "\\n";',
    ].join("\n"), { mode: 0o644 });
    for (const n of [A, B, C]) ports[n] = freePort();
  });

  afterAll(() => {
    cms(["down", "--all"]);
    removeCmsRoot(root);
    forgetRanges([A, B, C, `${T}-d`, `${T}-race`, `${T}-six`, `${T}-x`, `${T}-z`].map((n) => `cms-${n}`));
  });

  test("up: two instances from one code dir, each serving its own page at its listen address, no nsbox process left but the stage's", async () => {
    for (const n of [A, B]) {
      // B's php.ini additions reach its server (PHP_INI_SCAN_DIR), not A's.
      const ini = n === B ? ["--php-ini", "memory_limit=77M"] : [];
      const r = cms(["up", n, "--code", code, "--data", dataOf(n), "--listen", `127.0.0.1:${ports[n]}`, ...ini]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(r.stdout).toMatch(new RegExp(`^${n} up: http://127\\.0\\.0\\.1:${ports[n]}/ \\(pid \\d+, sandbox cms-${n}\\)\\n$`));
    }
    for (const n of [A, B]) {
      const page = await get(ports[n]!);
      expect(page).toStartWith(`${n} ${n} `);
      expect(page.includes(" 77M ")).toBe(n === B);
      expect(page.trim()).toEndWith("/var/lib/php/sessions");
      // Written by the instance into its own data dir, which belongs to its own range.
      expect(readFileSync(join(dataOf(n), "hit"), "utf8")).toBe(n);
      expect(statSync(join(dataOf(n), "hit")).uid).toBe(rowOf(n)!.range!.start);
    }
    const [a, b] = [rowOf(A)!, rowOf(B)!];
    expect(a.range!.start).not.toBe(b.range!.start);
    // What stays per instance is the stage's supervisor (comm of the exec'd memfd), not Bun.
    for (const r of [a, b]) expect(readFileSync(`/proc/${r.pid}/cmdline`, "utf8")).not.toContain("cms-isolate");
  });

  test("ls, status and logs", () => {
    const a = rowOf(A)!;
    expect(a).toMatchObject({ state: "running", listen: `127.0.0.1:${ports[A]}` });
    expect(a.pid).toBeGreaterThan(0);
    expect(a.serverPid).toBeGreaterThan(0);
    expect(a.memory).toBeGreaterThan(0);
    expect(a.uptime).toBeGreaterThanOrEqual(0);
    expect(a.range?.count).toBe(65536);
    const table = cms(["ls"]).stdout.split("\n");
    expect(table[0]).toMatch(/^NAME +STATE +PID +LISTEN +HOST UIDS +MEMORY +UPTIME$/);
    expect(table.some((l) => l.startsWith(`${A} `) && l.includes("running") && l.includes(String(a.pid)))).toBe(true);
    const status = cms(["status", A]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`${A}: running (pid ${a.pid}`);
    expect(status.stdout).toContain(`memory: `);
    expect(status.stdout).toContain("of 256M; pids limit 128");
    const logs = cms(["logs", A]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("Development Server");
    expect(logs.stdout).toContain("[200]: GET /");
  });

  test("logs --follow: prints what is appended as it comes", async () => {
    const follow = Bun.spawn([NSBOX, "cms-isolate", "--config-dir", cfg, "logs", B, "--follow"], { stdout: "pipe", stderr: "pipe" });
    await readUntil(follow.stdout, "Development Server");
    await get(ports[B]!, "/followed");
    await readUntil(follow.stdout, "/followed");
    follow.kill();
    await follow.exited;
  });

  test("exec: inside the instance under its restrictions", () => {
    const r = cms(["exec", A, "--", "sh", "-c", "hostname; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; echo CMS_NAME=$CMS_NAME; ls /tmp; touch /tmp/" + T + "-mine && echo tmp-writable; touch " + code + "/x 2>/dev/null || echo code-ro; ls /proc | grep -c '^[0-9]'; stat -c %a /var/lib/php/sessions"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe(A);
    expect(r.stdout).toMatch(/CapEff:\s+0000000000000000/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(r.stdout).toMatch(/Seccomp:\s+2/);
    expect(r.stdout).toContain(`CMS_NAME=${A}`);
    expect(r.stdout).toContain("tmp-writable");
    expect(r.stdout).toContain("code-ro");
    expect(lines.at(-1)).toBe("1733");
    // Its own PID namespace: its init, the server, and this exec's few processes only.
    expect(Number(lines.at(-2))).toBeLessThan(10);
    // Its /tmp is its own: the file it made is not in the host's.
    expect(existsSync(`/tmp/${T}-mine`)).toBe(false);
    const bad = cms(["exec", A]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("no COMMAND given after --");
  });

  test("killing A's server tears A down (no process left, port closed); B keeps its pid and keeps serving", async () => {
    const [a, b] = [rowOf(A)!, rowOf(B)!];
    process.kill(a.serverPid!, "SIGKILL");
    await waitFor(() => !alive(a.pid!) && !accepting(ports[A]!), "A's supervisor is gone and its port closed");
    expect(alive(a.serverPid!)).toBe(false);
    expect(rowOf(A)).toMatchObject({ state: "stopped", pid: null });
    expect(rowOf(B)).toMatchObject({ state: "running", pid: b.pid, serverPid: b.serverPid });
    expect(await get(ports[B]!)).toStartWith(`${B} `);
    // A's record stays (its definition); up starts it again with the same range.
    const again = cms(["up", A, "--code", code, "--data", dataOf(A), "--listen", `127.0.0.1:${ports[A]}`]);
    expect(again.code).toBe(0);
    expect(rowOf(A)!.range).toEqual(a.range);
    expect(await get(ports[A]!)).toStartWith(`${A} `);
  });

  test("an IPv6 --listen: the server listens on the instance's [::1] at the same port", async () => {
    const v6 = `${T}-six`;
    const port = freePort();
    const r = cms(["up", v6, "--code", code, "--data", dataOf(v6), "--listen", `[::1]:${port}`]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await (await fetch(`http://[::1]:${port}/`)).text()).toStartWith(`${v6} `);
    expect(cms(["status", v6]).stdout).toContain(`listen: [::1]:${port} -> [::1]:${port} inside`);
    expect(cms(["down", v6]).code).toBe(0);
  });

  test("run: in the foreground, the server's exit status; SIGTERM ends it and tears it down", async () => {
    const fg = Bun.spawn([NSBOX, "cms-isolate", "--config-dir", cfg, "run", C, "--code", code, "--data", dataOf(C), "--listen", `127.0.0.1:${ports[C]}`], { stdout: "pipe", stderr: "pipe" });
    // The host port accepts from the start (nsbox listens there); the server says when it does.
    await readUntil(fg.stderr, "Development Server");
    expect(rowOf(C)!.pid).toBe(fg.pid); // nsbox exec'd into the stage: the caller keeps the pid
    expect(await get(ports[C]!)).toStartWith(`${C} `);
    fg.kill("SIGTERM");
    const status = await fg.exited;
    expect([0, 128 + 15]).toContain(status);
    expect(accepting(ports[C]!)).toBe(false);
    expect(rowOf(C)).toMatchObject({ state: "stopped" });
    const status2 = nsbox(["cms-isolate", "--config-dir", cfg, "run", C, "--code", code, "--data", dataOf(C), "--listen", `127.0.0.1:${ports[C]}`, "--", "sh", "-c", "exit 7"]);
    expect(status2.code).toBe(7);
  });

  test("php-fpm under the default seccomp filter: -F -O -R, a pool on 127.0.0.1:PORT, its log through stderr", async () => {
    const fpm = readdirSync("/usr/sbin").find((f) => /^php-fpm[0-9.]*$/.test(f));
    expect(fpm).toBeDefined(); // Debian's php-fpm (in CI's packages)
    const pool = join(code, "pool.conf"); // visible inside: the code dir is
    const port = freePort();
    writeFileSync(pool, `[global]\nerror_log = /dev/null\n[fpm]\nlisten = 127.0.0.1:${port}\npm = static\npm.max_children = 2\nclear_env = no\n`, { mode: 0o644 });
    const d = `${T}-d`;
    const r = cms(["up", d, "--code", code, "--data", dataOf(d), "--listen", `127.0.0.1:${port}`, "--", fpm!, "-F", "-O", "-R", "-y", pool]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await fastcgi(port, join(code, "index.php"))).toStartWith(`${d} ${d} `);
    expect(cms(["logs", d]).stdout).toContain("ready to handle connections");
    expect(cms(["down", d]).stdout).toBe(`${d} down (terminated)\n`);
  });

  test("bad input: one line each, exit 2 or 125, nothing made", () => {
    const writable = join(root, "writable");
    mkdirSync(writable, { mode: 0o777 });
    chmodSync(writable, 0o777);
    mkdirSync(join(root, "real"), { mode: 0o755 });
    symlinkSync(join(root, "real"), join(root, "link"));
    const x = `${T}-x`;
    const port = freePort();
    const listen = `127.0.0.1:${port}`;
    const busy = `127.0.0.1:${ports[B]}`;
    // A code dir its own range owns (as a former data dir would be): the name's range, looked up before it runs.
    const owned = join(root, "owned");
    mkdirSync(owned, { mode: 0o755 });
    const rangeA = rowOf(A)!.range!.start;
    Bun.spawnSync(["chown", `${rangeA + 33}:${rangeA + 33}`, owned]);
    const cases: [string[], number, RegExp][] = [
      [["up", A, "--code", owned, "--data", dataOf(A), "--listen", `127.0.0.1:${ports[A]}`], 2, new RegExp(`it belongs to host uid ${rangeA + 33}, in the instance's own id range`)],
      [["up", x, "--code", writable, "--data", dataOf(x), "--listen", listen], 2, /--code .*writable: it is writable by everyone \(mode 777\)/],
      [["up", x, "--code", dataOf(A), "--data", dataOf(x), "--listen", listen], 2, /overlaps instance .*-a's data dir/],
      [["up", x, "--code", code, "--data", dataOf(A), "--listen", listen], 2, /--data .*: instance .*-a has .* as its data dir/],
      [["up", x, "--code", code, "--data", join(root, "link", "d"), "--listen", listen], 2, /link is a symlink; give the real path/],
      [["up", x, "--code", code, "--data", join(code, "d"), "--listen", listen], 2, /is inside --code/],
      [["up", x, "--code", code, "--data", dataOf(x), "--listen", busy], 125, /the port is in use on the host/],
      [["up", A, "--code", code, "--data", dataOf(A), "--listen", `127.0.0.1:${ports[A]}`], 125, /instance .*-a is running \(pid \d+\)/],
      [["up", x, "--code", code, "--data", dataOf(x), "--listen", listen, "--", "php7.9", "-S", listen], 125, /php7\.9 is not installed .*apt-get install php-cli/],
      [["up", x, "--code", code, "--data", dataOf(x), "--listen", listen, "--zone", "nsbox-none"], 2, /no zone nsbox-none/],
      [["up", x, "--code", code, "--data", dataOf(x), "--listen", "unix:/run/x.sock"], 2, /is not ADDR:PORT/],
      [["status", "nope"], 2, /no instance named nope/],
      [["down", "nope"], 2, /no instance named nope/],
    ];
    const before = records();
    for (const [args, code, message] of cases) {
      const r = cms(args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stdout).toBe("");
    }
    expect(records()).toEqual(before);
    expect(existsSync(dataOf(x))).toBe(false);
    // A server that fails at once: up reports its last words, and a new instance leaves nothing.
    const early = cms(["up", x, "--code", code, "--data", dataOf(x), "--listen", listen, "--", "sh", "-c", "echo no database here >&2; exit 3"]);
    expect({ code: early.code, stderr: early.stderr }).toEqual({ code: 3, stderr: `nsbox: plugin cms-isolate: instance ${x} did not start: no database here\n` });
    expect(records()).toEqual(before);
  });

  test("--zone: a member of a netzone zone (in a throwaway network namespace), still reached at its listen address", () => {
    const z = `${T}-z`;
    const port = freePort();
    const cmd = (args: string) => `"${NSBOX}" cms-isolate --config-dir "${cfg}" ${args}`;
    // A private /run: the zone's records and the instance's live only in this world.
    const script = [
      "set -e", "ip link set lo up", `"${NSBOX}" netzone create cmsz --policy isolated >/dev/null 2>&1`,
      cmd(`up ${z} --code "${code}" --data "${dataOf(z)}" --listen 127.0.0.1:${port} --zone cmsz`),
      `exec 3<>/dev/tcp/127.0.0.1/${port}; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; tail -n 1 <&3`,
      cmd(`status ${z}`) + " | grep '^network:'",
      // exec joins the zone's network namespace too (made on the host, joined before the user namespace)
      cmd(`exec ${z} -- sh -c "ip -4 -o addr show scope global | grep -o 'inet [0-9./]*'"`),
      cmd(`down ${z}`), `"${NSBOX}" netzone rm cmsz >/dev/null 2>&1`,
    ].join("\n");
    const r = Bun.spawnSync(["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c", 'mount -t tmpfs nsbox-net-test /run && exec bash -c "$1"', "sh", script], { timeout: 60_000 });
    expect({ code: r.exitCode, stderr: r.stderr.toString() }).toEqual({ code: 0, stderr: "" });
    const lines = r.stdout.toString().trim().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^${z} up: `));
    expect(lines[1]).toStartWith(`${z} ${z} `);
    expect(lines[2]).toBe("network: zone cmsz");
    expect(lines[3]).toMatch(/^inet 10\.[0-9]+\.[0-9]+\.[0-9]+\/24$/);
    expect(lines[4]).toBe(`${z} down (terminated)`);
  });

  test("two ups of one name at once: one runs, the other says so, the record is the running one's", async () => {
    const n = `${T}-race`;
    const port = freePort();
    const up = () => Bun.spawn([NSBOX, "cms-isolate", "--config-dir", cfg, "up", n, "--code", code, "--data", dataOf(n), "--listen", `127.0.0.1:${port}`], { stdout: "pipe", stderr: "pipe" });
    const both = [up(), up()];
    const codes = await Promise.all(both.map((p) => p.exited));
    expect([...codes].sort()).toEqual([0, 125]);
    // The other was refused at its claim: the first's run owned the name from its own claim on.
    const loser = both[codes.indexOf(125)]!;
    expect(await new Response(loser.stderr).text()).toMatch(new RegExp(`^nsbox: plugin cms-isolate: instance ${n} is (starting|running) \\(pid \\d+\\) \\([^\n]*\\)\n$`));
    expect(rowOf(n)).toMatchObject({ state: "running", listen: `127.0.0.1:${port}` });
    expect(await get(port)).toStartWith(`${n} `);
    expect(cms(["down", n]).code).toBe(0);
  });

  test("down: SIGTERM, everything removed but the data dirs", async () => {
    const rows = ls().filter((r) => r.state === "running");
    expect(rows.length).toBeGreaterThanOrEqual(2);
    // A follower of B's log ends by itself when down removes the log.
    const follow = Bun.spawn([NSBOX, "cms-isolate", "--config-dir", cfg, "logs", B, "--follow"], { stdout: "pipe", stderr: "pipe" });
    await readUntil(follow.stdout, "Development Server");
    const r = cms(["down", "--all"]);
    expect(await follow.exited).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${A} down (terminated)`);
    for (const row of rows) expect(alive(row.pid!)).toBe(false);
    for (const n of [A, B]) expect(accepting(ports[n]!)).toBe(false);
    expect(ls()).toEqual([]);
    expect(records()).toEqual([]);
    expect(existsSync(`/run/nsbox-cms/${B}`)).toBe(false);
    expect(nsbox(["ps", "--json"]).stdout).not.toContain(`cms-${T}`);
    for (const n of [A, B, C]) expect(existsSync(join(dataOf(n), "hit"))).toBe(true);
  });
});

describeRoot("cms-isolate rootless (nobody, no subordinate ids)", () => {
  let home = "";
  let codeDir = "";
  const asNobody = (args: string[]) => {
    const p = Bun.spawnSync(
      ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", "PATH=/usr/bin:/bin", `XDG_RUNTIME_DIR=${home}/run`, `XDG_STATE_HOME=${home}/lib`, `XDG_CONFIG_HOME=${home}/cfg`, `${home}/nsbox`, "cms-isolate", ...args],
      { cwd: "/", stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 30_000 },
    );
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  };

  beforeAll(() => {
    home = tempDir("nsbox-cms-nobody-");
    chmodSync(home, 0o755);
    const h = Bun.spawnSync(["sh", "-c", `cp ${NSBOX} ${home}/nsbox && chmod 755 ${home}/nsbox && mkdir ${home}/run ${home}/lib ${home}/cfg ${home}/data ${home}/code && chown 65534:65534 ${home}/run ${home}/lib ${home}/cfg ${home}/data && chmod 700 ${home}/run && chmod 755 ${home}/code`]);
    expect(h.exitCode).toBe(0);
    codeDir = join(home, "code");
    writeFileSync(join(codeDir, "index.php"), '<?php echo getenv("CMS_NAME"), "\\n";', { mode: 0o644 });
  });

  afterAll(() => {
    if (home) asNobody(["down", "--all"]);
    rmSync(home, { recursive: true, force: true });
  });

  test("limits fail closed: one line naming the way out, nothing made", () => {
    const n = `${T}-r`;
    const r = asNobody(["up", n, "--code", codeDir, "--data", join(home, "data", n), "--listen", `127.0.0.1:${freePort()}`]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("nsbox: plugin cms-isolate: memory and process limits need root: nsbox makes cgroups only as root (rootless cgroup delegation is not supported yet) (run it as root, or pass --memory none --pids none to run this instance without limits)\n");
    expect(existsSync(join(home, "lib", "nsbox", "cms-isolate"))).toBe(false);
    expect(existsSync(join(home, "data", n))).toBe(false);
  });

  test("--memory none --pids none: up serves at its listen address, ls shows the caller's uid, down removes it", async () => {
    const n = `${T}-n`;
    const port = freePort();
    const r = asNobody(["up", n, "--code", codeDir, "--data", join(home, "data", n), "--listen", `127.0.0.1:${port}`, "--memory", "none", "--pids", "none"]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await get(port)).toBe(`${n}\n`);
    const row = (JSON.parse(asNobody(["ls", "--json"]).stdout) as Row[]).find((x) => x.name === n)!;
    expect(row).toMatchObject({ state: "running", range: { start: 65534, count: 1 }, memory: null });
    expect(statSync(join(home, "data", n)).uid).toBe(65534);
    // exec: inside, under the instance's restrictions (joined through the server's process: a
    // rootless caller cannot open the init's namespace files).
    const inside = asNobody(["exec", n, "--", "sh", "-c", "hostname; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; ls /proc | grep -c '^[0-9]'"]);
    expect({ code: inside.code, stderr: inside.stderr }).toEqual({ code: 0, stderr: "" });
    expect(inside.stdout).toMatch(new RegExp(`^${n}\\nCapEff:\\s+0+\\nNoNewPrivs:\\s+1\\nSeccomp:\\s+2\\n[0-9]\\n$`));
    expect(asNobody(["down", n])).toMatchObject({ code: 0, stdout: `${n} down (terminated)\n` });
    expect(alive(row.pid!)).toBe(false);
    expect(accepting(port)).toBe(false);
  });

  test("a code dir the caller owns is the instance's own: refused", () => {
    const mine = join(home, "data", "code");
    Bun.spawnSync(["sh", "-c", `mkdir ${mine} && chown 65534:65534 ${mine}`]);
    const n = `${T}-r`;
    const r = asNobody(["up", n, "--code", mine, "--data", join(home, "data", n), "--listen", `127.0.0.1:${freePort()}`, "--memory", "none", "--pids", "none"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("it belongs to host uid 65534, in the instance's own id range");
  });
});
