// cms-isolate without root: an instance's arguments, the sandbox its run starts (planned by
// nsbox's own pipeline), the host checks on directories it is given, the unit it prints
// (checked by systemd-analyze verify), and its table.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import plugin from "../../plugins/cms-isolate/index.ts";
import { DEFAULT_MEMORY, DEFAULT_PIDS, instanceArgs, parseInstance } from "../../plugins/cms-isolate/args.ts";
import { checkCodeDir, checkDataPath, writableBy, type HostIds } from "../../plugins/cms-isolate/checks.ts";
import { lastLogLine } from "../../plugins/cms-isolate/logs.ts";
import { iniText } from "../../plugins/cms-isolate/php-ini.ts";
import { isAlive, listensInside, startTicksOf, uptimeOf } from "../../plugins/cms-isolate/proc-facts.ts";
import { SESSION_DIR, sandboxArgs, withSessionDir } from "../../plugins/cms-isolate/sandbox-args.ts";
import { logMaxOf } from "../../plugins/cms-isolate/log-max.ts";
import * as v from "valibot";
import { isMe, liveOwner, ownerOf, phaseOf } from "../../plugins/cms-isolate/owner.ts";
import { activityOf } from "../../plugins/cms-isolate/records.ts";
import { formatTable, type InstanceStatus } from "../../plugins/cms-isolate/status.ts";
import { instanceEnv, templateUnit, unitProblem } from "../../plugins/cms-isolate/unit.ts";
import { planCommand } from "../../src/cli/plan.ts";
import { RESERVED_FLAGS } from "../../src/cli/plugin-args.ts";
import type { NormalSpec } from "../../src/model/normalize.ts";
import type { SandboxService } from "../../src/plugin/services.ts";
import { checkPlugin } from "../../src/plugin/check-plugin.ts";
import { rootCtx } from "../helpers.ts";

const parse = (args: string[]) => parseInstance(args, "usage");
const BASE = ["wiki", "--code", "/srv/code", "--data", "/srv/wiki", "--listen", "127.0.0.1:8080"];
const dir = mkdtempSync(join(tmpdir(), "nsbox-cms-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an instance's arguments", () => {
  test("defaults: 256M, 128 pids, loopback, PHP's built-in server on 127.0.0.1:PORT with the code as document root", () => {
    expect(parse(BASE)).toEqual({
      name: "wiki", code: "/srv/code", data: "/srv/wiki", listen: "127.0.0.1:8080", port: 8080, memory: DEFAULT_MEMORY, pids: DEFAULT_PIDS,
      zone: undefined, phpIni: [], command: ["php", "-S", "127.0.0.1:8080", "-t", "/srv/code"], defaultCommand: true, log: false, logMax: undefined,
    });
    expect([DEFAULT_MEMORY, DEFAULT_PIDS]).toEqual(["256M", "128"]);
  });

  test("every option, and back to arguments unchanged", () => {
    const args = [...BASE, "--memory", "1g", "--pids", "none", "--zone", "inet", "--php-ini", "upload_max_filesize=8M", "--php-ini", "session.name=S", "--log", "--log-max", "512k", "--", "php-fpm8.2", "-F", "-R", "-y", "/etc/pool.conf"];
    const i = parse(args);
    expect(i).toMatchObject({ memory: "1G", pids: "none", zone: "inet", phpIni: [["upload_max_filesize", "8M"], ["session.name", "S"]], command: ["php-fpm8.2", "-F", "-R", "-y", "/etc/pool.conf"], defaultCommand: false, log: true, logMax: "512K" });
    expect(parse(instanceArgs(i))).toEqual(i);
    expect(parse(instanceArgs(parse(BASE)))).toEqual(parse(BASE));
    // IPv6 and trailing slashes
    expect(parse(["w", "--code", "/srv/code/", "--data", "/srv//w", "--listen", "[::1]:9000"])).toMatchObject({ code: "/srv/code", data: "/srv/w", port: 9000, command: ["php", "-S", "[::1]:9000", "-t", "/srv/code"] });
  });

  test("bad input: one message each", () => {
    const cases: [string[], string][] = [
      [["--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1"], "no instance NAME given"],
      [["w", "x", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1"], "unexpected 'x'"],
      [["Wiki", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1"], "is not an instance name"],
      [["w/x", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1"], "is not an instance name"],
      [["w", "--data", "/b", "--listen", "127.0.0.1:1"], "--code is missing"],
      [["w", "--code", "/a", "--listen", "127.0.0.1:1"], "--data is missing"],
      [["w", "--code", "/a", "--data", "/b"], "--listen is missing"],
      [["w", "--code", "a", "--data", "/b", "--listen", "127.0.0.1:1"], "--code: 'a' is not an absolute path"],
      [["w", "--code", "/a", "--data", "/b/../c", "--listen", "127.0.0.1:1"], "has '.' or '..'"],
      [["w", "--code", "/a", "--data", "/a", "--listen", "127.0.0.1:1"], "are the same directory"],
      [["w", "--code", "/a", "--data", "/a/data", "--listen", "127.0.0.1:1"], "is inside --code"],
      [["w", "--code", "/b/code", "--data", "/b", "--listen", "127.0.0.1:1"], "is inside --data"],
      [["w", "--code", "/", "--data", "/b", "--listen", "127.0.0.1:1"], "the root cannot be"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "localhost:80"], "is not an IPv4 address"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "unix:/run/w.sock"], "is not ADDR:PORT"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:0"], "give a port from 1 to 65535"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--memory", "lots"], "--memory: 'lots' is not a size"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--memory", "512K"], "of at least 1M"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--pids", "0"], "--pids: '0' is not a number"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--zone", "Bad!"], "--zone: 'Bad!' is not a zone name"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--php-ini", "novalue"], "is not KEY=VALUE"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--php-ini", "a=b\nc=d"], "must be one line"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--code", "/c"], "--code is given twice"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--"], "no server command after --"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--share", "net"], "unknown option '--share'"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--log-max", "8"], "--log-max: '8' is not a size such as 512K, 8M or 1G"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--log-max", "32K"], "--log-max: '32K' is below 64K"],
      [["w", "--code", "/a", "--data", "/b", "--listen", "127.0.0.1:1", "--log-max", "2048G"], "is above 1024G"],
    ];
    for (const [args, message] of cases) expect(() => parse(args)).toThrow(message);
  });
});

describe("the sandbox a run starts (nsbox run options, planned by nsbox)", () => {
  async function planned(args: string[]): Promise<NormalSpec> {
    return JSON.parse(String(await planCommand(["--json", ...args], rootCtx))) as NormalSpec;
  }

  test("own namespaces on the os root, code read-only, data a state dir, CMS_NAME/CMS_DATA only, limits, no capabilities, nnp, default seccomp, loopback, the listen address published", async () => {
    const spec = await planned(sandboxArgs(parse(BASE), undefined));
    expect(spec.name).toBe("cms-wiki");
    expect(spec.hostname).toBe("wiki");
    for (const ns of ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"] as const) expect(spec.namespaces[ns].mode).toBe("new");
    expect(spec.users.uidMap.some((m) => m.outside === 0)).toBe(false);
    expect(spec.security).toMatchObject({ noNewPrivs: true, capabilities: [] });
    expect(spec.security.seccomp.base).toBe("default");
    expect(spec.network.mode).toBe("loopback");
    expect(spec.limits).toMatchObject({ memory: 256 * 1024 * 1024, pids: 128 });
    expect(spec.process.argv).toEqual(["php", "-S", "127.0.0.1:8080", "-t", "/srv/code"]);
    expect(spec.process.cwd).toBe("/srv/code");
    expect(spec.process.env).toEqual({ PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", CMS_NAME: "wiki", CMS_DATA: "/srv/wiki" });
    const binds = spec.mounts.filter((m) => m.kind === "bind") as { src: string; dst: string; readonly: boolean; state?: boolean }[];
    expect(binds.filter((m) => !m.readonly)).toEqual([expect.objectContaining({ src: "/srv/wiki", dst: "/srv/wiki", state: true })]);
    expect(binds).toContainEqual(expect.objectContaining({ src: "/srv/code", dst: "/srv/code", readonly: true }));
    for (const tmp of ["/tmp", "/var/tmp"]) expect(spec.mounts).toContainEqual(expect.objectContaining({ kind: "tmpfs", dst: tmp }));
    expect(JSON.stringify(spec)).toContain("8080");
  });

  test("--memory none --pids none: no limits; --zone: the zone's network; --php-ini: the ini dir read-only and PHP_INI_SCAN_DIR keeping the distribution's", async () => {
    const spec = await planned(sandboxArgs(parse([...BASE, "--memory", "none", "--pids", "none", "--php-ini", "a=b"]), "/run/nsbox-cms/wiki"));
    expect(spec.limits.memory).toBeUndefined();
    expect(spec.limits.pids).toBeUndefined();
    expect(spec.process.env.PHP_INI_SCAN_DIR).toBe(":/run/nsbox-cms/wiki");
    expect(spec.mounts).toContainEqual(expect.objectContaining({ kind: "bind", src: "/run/nsbox-cms/wiki", readonly: true }));
    const args = sandboxArgs(parse([...BASE, "--zone", "inet"]), undefined);
    expect(args.slice(args.indexOf("--zone"), args.indexOf("--zone") + 2)).toEqual(["--zone", "inet"]);
  });

  test("--log: the server's output to the log through the supervisor, capped by --log-max, the operator's setting or 8M", async () => {
    const spec = await planned(sandboxArgs(parse(BASE), undefined, { path: "/var/lib/nsbox/cms/wiki.log", max: logMaxOf(undefined, {}) }));
    expect(spec.process.log).toEqual({ path: "/var/lib/nsbox/cms/wiki.log", maxBytes: 8 * 1024 * 1024 });
    expect((await planned(sandboxArgs(parse(BASE), undefined))).process.log).toBeUndefined();
    expect(logMaxOf(undefined, { "log-max": "16m" })).toBe("16M");
    expect(logMaxOf("1M", { "log-max": "16M" })).toBe("1M");
    expect(() => logMaxOf(undefined, { "log-max": "lots" })).toThrow("the setting log-max");
    const config = v.safeParse(plugin.config!, { "log-max": "1K" });
    expect(config.success ? "" : config.issues[0].message).toContain("below 64K");
  });

  test("PHP's session dir: a private tmpfs, mode 1733 like Debian's", () => {
    const spec = withSessionDir({ process: { argv: ["true"] }, mounts: [{ kind: "tmpfs", dst: "/tmp" }] });
    expect(spec.mounts).toEqual([{ kind: "tmpfs", dst: "/tmp" }, { kind: "tmpfs", dst: SESSION_DIR, mode: 0o1733 }]);
  });
});

describe("host checks", () => {
  const ids: HostIds = { uids: [{ start: 200000, count: 65536 }], gids: [{ start: 200000, count: 65536 }] };

  test("a directory the instance could change", () => {
    expect(writableBy({ uid: 0, gid: 0, mode: 0o40755 }, ids, true)).toBeUndefined();
    expect(writableBy({ uid: 200005, gid: 0, mode: 0o40555 }, ids, true)).toContain("in the instance's own id range");
    expect(writableBy({ uid: 0, gid: 200000, mode: 0o40775 }, ids, true)).toContain("its group, host gid 200000");
    expect(writableBy({ uid: 0, gid: 200000, mode: 0o40755 }, ids, true)).toBeUndefined();
    expect(writableBy({ uid: 0, gid: 0, mode: 0o40777 }, ids, true)).toContain("writable by everyone (mode 777)");
    // A sticky world-writable parent (/tmp): nobody renames what they do not own.
    expect(writableBy({ uid: 0, gid: 0, mode: 0o41777 }, ids, false)).toBeUndefined();
    expect(writableBy({ uid: 0, gid: 0, mode: 0o41777 }, ids, true)).toContain("writable by everyone");
    expect(writableBy({ uid: 0, gid: 0, mode: 0o40777 }, ids, false)).toContain("writable by everyone");
  });

  test("the code dir and every parent; a missing one", () => {
    const code = join(dir, "code");
    mkdirSync(join(code, "sub"), { recursive: true, mode: 0o755 });
    expect(() => checkCodeDir(code, ids)).not.toThrow();
    const own: HostIds = { uids: [{ start: process.getuid!(), count: 1 }], gids: [{ start: 4000000, count: 1 }] };
    expect(() => checkCodeDir(code, own)).toThrow(`--code ${code}: it belongs to host uid ${process.getuid!()}`);
    expect(() => checkCodeDir(join(dir, "nope"), ids)).toThrow("no such directory");
    writeFileSync(join(dir, "file"), "");
    expect(() => checkCodeDir(join(dir, "file"), ids)).toThrow("not a directory");
  });

  test("a data dir that is a symlink or has one on its path, or overlaps the code's real path", () => {
    const real = join(dir, "real");
    mkdirSync(join(real, "data"), { recursive: true });
    symlinkSync(real, join(dir, "link"));
    const code = join(dir, "code");
    expect(() => checkDataPath(join(real, "data"), code)).not.toThrow();
    expect(() => checkDataPath(join(real, "new", "data"), code)).not.toThrow();
    expect(() => checkDataPath(join(dir, "link", "data"), code)).toThrow(`${join(dir, "link")} is a symlink; give the real path`);
    expect(() => checkDataPath(join(dir, "link"), code)).toThrow("it is a symlink");
    symlinkSync(code, join(dir, "code-link"));
    expect(() => checkDataPath(join(code, "sub"), join(dir, "code-link"))).toThrow("overlap");
  });
});

describe("unit", () => {
  const i = parse([...BASE, "--zone", "inet", "--php-ini", "memory_limit=64M"]);

  test("a template running any instance from its settings file; the settings", () => {
    const unit = templateUnit(["/usr/bin/nsbox"]);
    expect(unit).toContain("Type=simple\nEnvironmentFile=/etc/nsbox/cms/%i.env\n");
    expect(unit).toContain('ExecStart="/usr/bin/nsbox" cms-isolate run %i --code ${CMS_CODE} --data ${CMS_DATA} --listen ${CMS_LISTEN} --memory ${CMS_MEMORY} --pids ${CMS_PIDS} $CMS_OPTIONS -- $CMS_COMMAND\n');
    expect(instanceEnv(i)).toBe([
      "# /etc/nsbox/cms/wiki.env (nsbox cms-isolate unit wiki): systemctl enable --now nsbox-cms@wiki",
      'CMS_CODE="/srv/code"', 'CMS_DATA="/srv/wiki"', 'CMS_LISTEN="127.0.0.1:8080"', 'CMS_MEMORY="256M"', 'CMS_PIDS="128"',
      'CMS_OPTIONS="--zone inet --php-ini memory_limit=64M"', 'CMS_COMMAND="php -S 127.0.0.1:8080 -t /srv/code"', "",
    ].join("\n"));
    // The settings, read back as the template's words, are the instance again.
    const words = (v: string) => v.split(" ").filter(Boolean);
    const env = Object.fromEntries(instanceEnv(i).split("\n").filter((l) => l.startsWith("CMS_")).map((l) => [l.slice(0, l.indexOf("=")), JSON.parse(l.slice(l.indexOf("=") + 1))]));
    const argv = [i.name, "--code", env.CMS_CODE, "--data", env.CMS_DATA, "--listen", env.CMS_LISTEN, "--memory", env.CMS_MEMORY, "--pids", env.CMS_PIDS, ...words(env.CMS_OPTIONS), "--", ...words(env.CMS_COMMAND)];
    expect({ ...parse(argv), defaultCommand: true }).toEqual(i);
  });

  test("a command word with a space cannot be a template's word: refused with the way out", () => {
    expect(unitProblem(i)).toBeUndefined();
    expect(unitProblem(parse([...BASE, "--", "sh", "-c", "exec php -S x"]))).toContain("wrap the server in a script");
  });

  test("systemd-analyze verify accepts the template", async () => {
    const units = join(dir, "units");
    mkdirSync(units, { recursive: true });
    writeFileSync(join(units, "nsbox-cms@.service"), templateUnit([process.execPath]));
    const v = Bun.spawnSync(["systemd-analyze", "verify", join(units, "nsbox-cms@wiki.service")], { stderr: "pipe", stdout: "pipe" });
    expect({ code: v.exitCode, stderr: v.stderr.toString() }).toEqual({ code: 0, stderr: "" });
  });
});

describe("facts from /proc", () => {
  test("a listener on this process's loopback, by port (tcp and tcp6 tables, state LISTEN)", () => {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      expect(listensInside(process.pid, server.port)).toBe(true);
      expect(listensInside(process.pid, server.port === 1 ? 2 : 1)).toBe(false);
    } finally {
      server.stop(true);
    }
    expect(listensInside(process.pid, server.port)).toBe(false);
  });

  test("a process by pid and start time; its uptime", () => {
    const ticks = startTicksOf(process.pid);
    expect(ticks).toMatch(/^[0-9]+$/);
    expect(isAlive(process.pid, ticks)).toBe(true);
    expect(isAlive(process.pid, `${ticks}1`)).toBe(false);
    expect(uptimeOf(process.pid)).toBeGreaterThanOrEqual(0);
    expect(isAlive(2 ** 22 + 1)).toBe(false);
  });

  test("the owner of a start: live while that very process runs, starting while it is nsbox, nothing once it ended", async () => {
    const me = ownerOf(process.pid)!;
    expect(isMe(me)).toBe(true);
    expect(liveOwner(me)).toEqual(me);
    // The same pid with another start time is a reused pid: not the owner.
    const reused = { pid: process.pid, startTime: me.startTime + 1 };
    expect(isMe(reused)).toBe(false);
    expect(liveOwner(reused)).toBeUndefined();
    expect(phaseOf(me)).toBe("starting"); // the same executable as the caller: still before the exec
    const other = Bun.spawn(["sleep", "30"]);
    const owner = ownerOf(other.pid)!;
    expect(phaseOf(owner)).toBe("stopping"); // another executable (the stage's, once it exec'd)
    const none: SandboxService = { findByName: () => undefined, findByPid: () => undefined, auditNetwork: () => { throw new Error("unused"); } };
    const running: SandboxService = { ...none, findByName: (n) => ({ name: n, pid: 7, payloadPid: 8 }) };
    expect(activityOf(running, { name: "wiki", owner })).toEqual({ state: "running", pid: 7, sandbox: { name: "cms-wiki", pid: 7, payloadPid: 8 } });
    expect(activityOf(none, { name: "wiki", owner })).toEqual({ state: "stopping", pid: other.pid, owner });
    expect(activityOf(none, { name: "wiki", owner: me })).toEqual({ state: "starting", pid: process.pid, owner: me });
    expect(activityOf(none, { name: "wiki", owner: undefined })).toBeUndefined();
    other.kill("SIGKILL");
    await other.exited;
    expect(activityOf(none, { name: "wiki", owner })).toBeUndefined();
  });
});

describe("the plugin", () => {
  test("passes the contract check; run --plugin is refused with the command to use; its commands", () => {
    expect(() => checkPlugin(plugin, { source: "built-in", reservedFlags: RESERVED_FLAGS })).not.toThrow();
    expect(plugin.commands?.map((c) => c.name)).toEqual(["run", "up", "ls", "status", "logs", "exec", "down", "unit"]);
    expect(() => plugin.plan({}, { ...rootCtx, base: { process: { argv: ["true"] } } })).toThrow("nsbox cms-isolate up NAME");
    expect(plugin.commands?.find((c) => c.name === "up")?.description).toContain("php-fpm8.2 -F -O -R -y");
  });

  test("the php.ini additions and the ls table", () => {
    expect(iniText([["memory_limit", "64M"], ["session.name", "S"]])).toBe("; written by nsbox cms-isolate (--php-ini); replaced at every start\nmemory_limit=64M\nsession.name=S\n");
    const row = (over: Partial<InstanceStatus>): InstanceStatus => ({
      name: "a", state: "running", pid: 10, serverPid: 12, listen: "127.0.0.1:8081", range: { start: 1879113728, count: 65536 }, memory: 9_900_000, uptime: 3700,
      code: "/c", data: "/d", limits: { memory: "256M", pids: "128" }, zone: null, command: ["php"], ...over,
    });
    expect(formatTable([row({}), row({ name: "bb", state: "stopped", pid: null, range: null, memory: null, uptime: null })])).toBe([
      "NAME  STATE    PID  LISTEN          HOST UIDS         MEMORY  UPTIME",
      "a     running  10   127.0.0.1:8081  1879113728+65536  9.4M    61m",
      "bb    stopped  -    127.0.0.1:8081  -                 -       -",
      "",
    ].join("\n"));
  });
});

describe("lastLogLine", () => {
  test("the last line of a large log, read from its end; nsbox's own lines and prefix left out", () => {
    const d = mkdtempSync(join(tmpdir(), "nsbox-cms-log-"));
    try {
      const log = join(d, "x.log");
      writeFileSync(log, `${"noise\n".repeat(200_000)}nsbox: plugin cms-isolate: port taken\n--- 2026-01-01T00:00:00Z up x\n`);
      expect(lastLogLine(log)).toBe("port taken");
      writeFileSync(log, "");
      expect(lastLogLine(log)).toBe("it ended without a word");
      expect(lastLogLine(join(d, "missing.log"))).toBe("it ended without a word");
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
