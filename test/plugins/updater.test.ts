// updater without root: the job's arguments, durations and schedules, the crontab line and the
// unit files it prints, and the sandbox its run starts, planned by nsbox's own pipeline.
import { describe, expect, test } from "bun:test";
import plugin from "../../plugins/updater/index.ts";
import { jobArgs, parseDuration, parseJob } from "../../plugins/updater/args.ts";
import { collectTail } from "../../plugins/updater/output-tail.ts";
import { parseRecord, formatRecord } from "../../plugins/updater/run-log.ts";
import { KEPT_CAPABILITIES, runArgs } from "../../plugins/updater/sandbox-args.ts";
import { checkCronSchedule, checkOnCalendar, cronLine, timerUnits } from "../../plugins/updater/schedule.ts";
import { planCommand } from "../../src/cli/plan.ts";
import type { NormalSpec } from "../../src/model/normalize.ts";
import { checkPlugin } from "../../src/plugin/check-plugin.ts";
import { RESERVED_FLAGS } from "../../src/cli/plugin-args.ts";
import { rootCtx } from "../helpers.ts";

const job = (args: string[]) => parseJob(args, "usage").job;

describe("the job's arguments", () => {
  test("defaults: no network, refuse a second run, no timeout, not quiet", () => {
    expect(job(["apt", "--state", "/var/lib/apt-check/", "--", "apt-get", "update"])).toEqual({
      name: "apt", state: ["/var/lib/apt-check"], ro: [], net: { mode: "none" }, timeout: undefined, lock: "refuse", quiet: false, setenv: [], command: ["apt-get", "update"],
    });
  });

  test("every option, and back to arguments unchanged", () => {
    const args = ["j", "--state", "/srv/a", "--state", "/srv/b", "--ro", "/etc/pki", "--net", "zone:inet", "--timeout", "90s", "--lock", "wait", "--quiet", "--setenv", "APT_CONFIG", "/srv/a/apt.conf", "--", "sh", "-c", "x --y"];
    const j = job(args);
    expect(j).toMatchObject({ state: ["/srv/a", "/srv/b"], ro: ["/etc/pki"], net: { mode: "zone", zone: "inet" }, timeout: 90, lock: "wait", quiet: true, setenv: [["APT_CONFIG", "/srv/a/apt.conf"]], command: ["sh", "-c", "x --y"] });
    expect(job(jobArgs(j))).toEqual(j);
  });

  test("durations like timeout(1)'s", () => {
    expect([parseDuration("30", "t"), parseDuration("30s", "t"), parseDuration("5m", "t"), parseDuration("2h", "t"), parseDuration("1d", "t"), parseDuration("0.5m", "t")]).toEqual([30, 30, 300, 7200, 86400, 30]);
    for (const bad of ["", "0", "-1", "5x", "m", "1h30m", "400d"]) expect(() => parseDuration(bad, "--timeout")).toThrow("is not a duration");
  });

  test("bad input: one message each", () => {
    const cases: [string[], string][] = [
      [["--state", "/srv/a", "--", "true"], "no updater NAME given"],
      [["a", "b", "--state", "/srv/a", "--", "true"], "unexpected 'b'"],
      [["a/b", "--state", "/srv/a", "--", "true"], "is not an updater name"],
      [["a", "--", "true"], "give at least one --state DIR"],
      [["a", "--state", "srv/a", "--", "true"], "is not an absolute path"],
      [["a", "--state", "/srv/../usr", "--", "true"], "has '.' or '..'"],
      [["a", "--state", "/usr/lib/x", "--", "true"], "under /usr, which belongs to the system"],
      [["a", "--state", "/etc", "--", "true"], "under /etc"],
      [["a", "--state", "/", "--", "true"], "the root, which belongs to the system"],
      [["a", "--state", "/srv/a", "--lock", "never", "--", "true"], "--lock: 'never' is not refuse or wait"],
      [["a", "--state", "/srv/a", "--net", "zone:Bad!", "--", "true"], "--net: 'zone:Bad!' is not"],
      [["a", "--state", "/srv/a", "--quiet", "--quiet", "--", "true"], "--quiet is given twice"],
      [["a", "--state", "/srv/a", "--setenv", "A=B", "x", "--", "true"], "is not a variable name"],
      [["a", "--state", "/srv/a"], "no COMMAND given after --"],
      [["a", "--state", "/srv/a", "--"], "no COMMAND given after --"],
      [["a", "--state", "/srv/a", "--share", "net", "--", "true"], "unknown option '--share'"],
    ];
    for (const [args, message] of cases) expect(() => parseJob(args, "usage")).toThrow(message);
  });
});

describe("the sandbox a run starts (nsbox run options, planned by nsbox)", () => {
  async function planned(args: string[]): Promise<NormalSpec> {
    return JSON.parse(String(await planCommand(["--json", ...args], rootCtx))) as NormalSpec;
  }

  test("os root, package databases read-only, only state dirs writable, five capabilities, no_new_privs, default seccomp, no network, dies with nsbox", async () => {
    const j = job(["apt", "--state", "/var/lib/apt-check", "--ro", "/etc/pki", "--setenv", "APT_CONFIG", "/x", "--", "apt-get", "update"]);
    const args = runArgs(j, (p) => p === "/var/lib/dpkg");
    expect(args[0]).toBe("run");
    const spec = await planned(args.slice(1));
    expect(spec.name).toBe("updater-apt");
    expect(spec.security.capabilities.sort()).toEqual([...KEPT_CAPABILITIES].sort());
    expect(spec.security.noNewPrivs).toBe(true);
    expect(spec.security.seccomp.base).toBe("default");
    expect(spec.network.mode).toBe("none");
    expect(spec.namespaces.user.mode).toBe("new");
    expect(spec.users.uidMap.some((m) => m.outside === 0)).toBe(false);
    expect(spec.process.dieWithParent).toBe(true);
    expect(spec.process.env).toEqual({ PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root", LANG: "C.UTF-8", APT_CONFIG: "/x" });
    const binds = spec.mounts.filter((m) => m.kind === "bind") as { src: string; dst: string; readonly: boolean }[];
    expect(binds.filter((m) => !m.readonly).map((m) => m.dst)).toEqual(["/var/lib/apt-check"]);
    expect(binds).toContainEqual(expect.objectContaining({ src: "/var/lib/dpkg", dst: "/var/lib/dpkg", readonly: true }));
    expect(binds).toContainEqual(expect.objectContaining({ src: "/etc/pki", dst: "/etc/pki", readonly: true }));
    expect(binds.some((m) => m.src === "/var/lib/rpm")).toBe(false);
    for (const tmp of ["/tmp", "/var/tmp"]) expect(spec.mounts).toContainEqual(expect.objectContaining({ kind: "tmpfs", dst: tmp }));
  });

  test("--net host and zone:Z", async () => {
    const host = await planned(runArgs(job(["a", "--state", "/srv/a", "--net", "host", "--", "true"])).slice(1));
    expect(host.network.mode).toBe("host");
    const args = runArgs(job(["a", "--state", "/srv/a", "--net", "zone:inet", "--", "true"]));
    expect(args.slice(args.indexOf("--zone"), args.indexOf("--zone") + 2)).toEqual(["--zone", "inet"]);
  });
});

describe("cron-line and timer", () => {
  const j = job(["apt", "--state", "/var/lib/apt check", "--", "sh", "-c", "date +%F; echo it's"]);

  test("schedules: five crontab fields or a nickname; anything else is refused", () => {
    for (const ok of ["17 3 * * *", "*/15 * * * *", "0 4 1-7 jan,jul mon-fri", "0 0 * * 7", "@daily"]) expect(checkCronSchedule(ok)).toBe(ok);
    for (const bad of ["daily", "17 3 * *", "60 3 * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "*/0 * * * *", "@sometimes", "a b c d e"])
      expect(() => checkCronSchedule(bad)).toThrow("--schedule");
  });

  test("the crontab line: absolute nsbox, --quiet, the command as sh words, % escaped", () => {
    expect(cronLine(["/usr/bin/nsbox"], "17 3 * * *", j)).toBe(
      "17 3 * * * /usr/bin/nsbox updater run apt --state '/var/lib/apt check' --quiet -- sh -c 'date +\\%F; echo it'\\''s'\n",
    );
  });

  test("calendar values", () => {
    for (const ok of ["daily", "weekly", "Mon *-*-* 03:17:00", "*-*-* 04:00", "hourly"]) expect(checkOnCalendar(ok)).toBe(ok);
    for (const bad of ["sometimes", "daily; rm", "Mon\n[Service]", ""]) expect(() => checkOnCalendar(bad)).toThrow("--on-calendar");
  });

  test("the unit pair: oneshot ExecStart with every word quoted, $ and % escaped; a persistent timer", () => {
    const { service, timer } = timerUnits(["/usr/bin/nsbox"], "daily", j);
    expect(service).toContain('ExecStart="/usr/bin/nsbox" "updater" "run" "apt" "--state" "/var/lib/apt check" "--" "sh" "-c" "date +%%F; echo it\'s"\n');
    expect(service).toContain("Type=oneshot");
    expect(timer).toContain("OnCalendar=daily\nPersistent=true");
    expect(timer).toContain("WantedBy=timers.target");
  });
});

describe("the plugin", () => {
  test("passes the contract check; its log lines read back", () => {
    expect(() => checkPlugin(plugin, { source: "built-in", reservedFlags: RESERVED_FLAGS })).not.toThrow();
    expect(plugin.commands?.map((c) => c.name)).toEqual(["run", "cron-line", "timer", "status"]);
    // `run --plugin updater` would lack the lock, timer and log: refused with the command to use.
    expect(() => plugin.plan({}, { ...rootCtx, base: { process: { argv: ["true"] } } })).toThrow("nsbox updater run NAME");
    const r = { start: "2026-12-06T03:17:00.000Z", seconds: 1.5, status: 100, pid: 42 };
    expect(parseRecord(formatRecord(r).trimEnd())).toEqual(r);
  });
});

describe("--quiet's buffer", () => {
  async function* chunks(...parts: string[]) {
    for (const p of parts) yield new TextEncoder().encode(p);
  }
  const text = (t: { chunks: Uint8Array[] }) => t.chunks.map((c) => new TextDecoder().decode(c)).join("");

  test("keeps everything within the limit", async () => {
    const t = await collectTail(chunks("ab", "cd"), 4);
    expect([text(t), t.dropped]).toEqual(["abcd", 0]);
  });

  test("keeps the last bytes and counts the rest, across and within chunks", async () => {
    const t = await collectTail(chunks("abc", "de", "fghij", "k"), 4);
    expect([text(t), t.dropped]).toEqual(["hijk", 7]);
    const big = await collectTail(chunks("0123456789"), 3);
    expect([text(big), big.dropped]).toEqual(["789", 7]);
  });
});
