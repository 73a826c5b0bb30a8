// nsbox updater run, for real: a real apt against a local flat repository, started as cron does
// (env -i, setsid, cwd /, stdin /dev/null). The fixture package's older version is "installed" in
// a dpkg status file of the test's own (Dir::State::status): the host's dpkg is never touched,
// so two suites on one host (or an admin's apt) do not install and purge it under each other.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stampPath } from "../../src/core/state-directories.ts";
import { describeRoot, forgetRanges, host, NSBOX, nsbox, sessionPids, tempDir, waitFor, type Result } from "./harness.ts";

const PKG = "nsbox-fixture-hello";
const TAG = `t${process.pid}`;
const HOST_APT = ["/etc/apt", "/var/lib/apt", "/var/cache/apt", "/var/lib/dpkg"];
let fx = "";
let cfg = "";
/** Where the jobs' state dirs are: each job has its own (a state dir belongs to one id range). */
let stateRoot = "";
const stateOf = (name: string) => join(stateRoot, name);
const APT_JOB = `${TAG}-apt`;
const names: string[] = [];

/** path, size, mtime, mode of everything under the host's apt and dpkg trees. */
const hostAptTrees = () => host(`find ${HOST_APT.join(" ")} -printf '%p %s %T@ %m\\n' 2>/dev/null | sort`).stdout;

function buildDeb(version: string): string {
  const root = join(fx, `pkg-${version}`);
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "usr/share", PKG), { recursive: true });
  writeFileSync(join(root, "usr/share", PKG, "VERSION"), `${version}\n`);
  writeFileSync(join(root, "DEBIAN/control"), `Package: ${PKG}\nVersion: ${version}\nArchitecture: all\nMaintainer: nsbox tests <tests@nsbox.invalid>\nDescription: nsbox updater test fixture\n`);
  const deb = join(fx, `${PKG}_${version}_all.deb`);
  const r = host(`dpkg-deb -b --root-owner-group ${root} ${deb}`);
  if (r.code !== 0) throw new Error(r.stderr);
  return deb;
}

function jobName(what: string): string {
  const name = `${TAG}-${what}`;
  names.push(`updater-${name}`);
  return name;
}

/** `nsbox updater run` as cron starts it: an empty environment, a new session, cwd /, no stdin. */
function cronSpawn(args: string[]) {
  return Bun.spawn(["env", "-i", "setsid", NSBOX, "updater", "--config-dir", cfg, "run", ...args], { cwd: "/", stdin: "ignore", stdout: "pipe", stderr: "pipe" });
}

async function cronRun(args: string[]): Promise<Result> {
  const p = cronSpawn(args);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/**
 * The unprivileged caller: nobody, with no subordinate ids, running a copy of nsbox from a
 * directory it can read, with its own config, state and runtime dirs (so its ps and gc see only
 * its own sandboxes).
 */
let nobodyHome = "";
const NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
const nobodyEnv = () => ["env", "-i", `XDG_RUNTIME_DIR=${nobodyHome}/run`, `XDG_STATE_HOME=${nobodyHome}/lib`];

/** Who runs the updater: root (the binary under test) or nobody (its copy), each with its own dirs. */
interface Caller {
  who: string;
  cfg: () => string;
  stateOf: (name: string) => string;
  /** `nsbox updater run ARGS` as cron starts it. */
  run: (args: string[]) => ReturnType<typeof cronSpawn>;
  /** Any other nsbox command as this caller. */
  nsbox: (args: string[]) => Result;
}

const asRoot: Caller = { who: "root", cfg: () => cfg, stateOf, run: cronSpawn, nsbox };

const asNobody: Caller = {
  who: "nobody",
  cfg: () => join(nobodyHome, "cfg"),
  stateOf: (name) => join(nobodyHome, "state", name),
  run: (args) =>
    Bun.spawn([...NOBODY, ...nobodyEnv(), "setsid", `${nobodyHome}/nsbox`, "updater", "--config-dir", asNobody.cfg(), "run", ...args], { cwd: "/", stdin: "ignore", stdout: "pipe", stderr: "pipe" }),
  nsbox: (args) => {
    const p = Bun.spawnSync([...NOBODY, ...nobodyEnv(), `${nobodyHome}/nsbox`, ...args], { cwd: "/", stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  },
};

/** The apt job's arguments for CALLER (the fixture read-only, apt pointed at it). */
const callerArgs = (c: Caller, name: string) => [name, "--state", c.stateOf(name), "--ro", fx, "--setenv", "APT_CONFIG", join(fx, "apt.conf")];
const aptArgs = (name: string) => callerArgs(asRoot, name);

/** The sandbox named updater-NAME in CALLER's `nsbox ps`, or undefined. */
function sandboxPid(name: string, c: Caller = asRoot): number | undefined {
  const ps = JSON.parse(c.nsbox(["ps", "--json"]).stdout) as { name: string; pid: number }[];
  return ps.find((e) => e.name === `updater-${name}`)?.pid;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);
/** The real uid of PID on the host. */
const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

beforeAll(() => {
  fx = tempDir("nsbox-updater-fx-");
  // The sandbox's root is an unprivileged host uid: the fixture must be world-readable.
  chmodSync(fx, 0o755);
  cfg = tempDir("nsbox-updater-cfg-");
  stateRoot = `/srv/nsbox-updater-${TAG}`;
  const stateDir = stateOf(APT_JOB);
  const newer = buildDeb("2.0");
  writeFileSync(join(fx, "status"), `Package: ${PKG}\nStatus: install ok installed\nPriority: optional\nSection: misc\nMaintainer: nsbox tests <tests@nsbox.invalid>\nArchitecture: all\nVersion: 1.0\nDescription: nsbox updater test fixture\n`);
  const repo = join(fx, "repo");
  mkdirSync(repo);
  host(`cp ${newer} ${repo}/ && cd ${repo} && apt-ftparchive packages . > Packages && apt-ftparchive release . > Release`);
  writeFileSync(join(fx, "sources.list"), `deb [trusted=yes] file:${repo} ./\n`);
  mkdirSync(join(fx, "parts"));
  writeFileSync(
    join(fx, "apt.conf"),
    [
      `Dir::Etc::sourcelist "${fx}/sources.list";`,
      `Dir::Etc::sourceparts "${fx}/parts";`,
      `Dir::State::lists "${stateDir}/lists";`,
      `Dir::Cache "${stateDir}/cache";`,
      `Dir::Log "${stateDir}/log";`,
      `Dir::State::status "${fx}/status";`,
      "",
    ].join("\n"),
  );
  nobodyHome = tempDir("nsbox-updater-nobody-");
  chmodSync(nobodyHome, 0o755);
  const h = host(`cp ${NSBOX} ${nobodyHome}/nsbox && chmod 755 ${nobodyHome}/nsbox && mkdir ${nobodyHome}/state ${nobodyHome}/cfg ${nobodyHome}/run ${nobodyHome}/lib && chown 65534:65534 ${nobodyHome}/state ${nobodyHome}/cfg ${nobodyHome}/run ${nobodyHome}/lib && chmod 700 ${nobodyHome}/run`);
  if (h.code !== 0) throw new Error(h.stderr);
});

afterAll(() => {
  if (nobodyHome) asNobody.nsbox(["gc"]);
  // The jobs' state dirs are stamped (core/state-directories.ts): the stamps go with them.
  if (stateRoot && existsSync(stateRoot)) for (const d of readdirSync(stateRoot)) rmSync(stampPath(join(stateRoot, d)), { force: true });
  for (const d of [fx, cfg, stateRoot, nobodyHome]) if (d) rmSync(d, { recursive: true, force: true });
  // What runs killed here (--timeout, SIGKILL) left: found by their names' pid files, so that
  // other runs on this host are not touched.
  for (const n of names) {
    const pid = existsSync(`/run/nsbox/names/${n}`) ? readFileSync(`/run/nsbox/names/${n}`, "utf8").trim() : "";
    if (pid) nsbox(["gc", "--pid", pid]);
  }
  forgetRanges(names);
});

describeRoot("nsbox updater run: a real apt from cron", () => {
  test("apt-get update + apt-get -s upgrade report exactly the fixture's upgrade; lists land in the state dir; the host's apt and dpkg trees are unchanged", async () => {
    const name = jobName("apt");
    const stateDir = stateOf(name);
    const script = `mkdir -p ${stateDir}/lists/partial ${stateDir}/cache/archives/partial ${stateDir}/log && apt-get update && apt-get -s upgrade`;
    // Taken around the run alone: the host's trees are others' to change at any other time.
    const before = hostAptTrees();
    const r = await cronRun([...aptArgs(name), "--", "sh", "-c", script]);
    const after = hostAptTrees();
    expect(r.stderr).not.toContain("unsandboxed");
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const inst = r.stdout.split("\n").filter((l) => l.startsWith("Inst "));
    expect(inst).toEqual([expect.stringMatching(new RegExp(`^Inst ${PKG} \\[1\\.0\\] \\(2\\.0 `))]);
    expect(r.stdout).toContain("1 upgraded, 0 newly installed");
    expect(readdirSync(join(stateDir, "lists")).some((f) => f.endsWith("_Packages") || f.includes("_Packages."))).toBe(true);
    expect(after).toBe(before);
    // One log line for the run, in the plugin's state.
    const log = readFileSync(join(cfg, "updater", `${name}.log`), "utf8").trim().split("\n");
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^\S+Z [0-9.]+s exit=0 pid=\d+$/);
  });

  test("rootless (nobody, no subordinate ids): the same apt check works, in the caller's own state dir", async () => {
    const name = jobName("nobody");
    const state = asNobody.stateOf(name);
    const aptConf = join(nobodyHome, "apt.conf");
    writeFileSync(aptConf, readFileSync(join(fx, "apt.conf"), "utf8").replaceAll(stateOf(APT_JOB), state));
    chmodSync(aptConf, 0o644);
    const script = `mkdir -p ${state}/lists/partial ${state}/cache/archives/partial ${state}/log && apt-get update && apt-get -s upgrade`;
    const before = hostAptTrees();
    const p = asNobody.run([name, "--state", state, "--ro", fx, "--ro", aptConf, "--setenv", "APT_CONFIG", aptConf, "--", "sh", "-c", script]);
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    const after = hostAptTrees();
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out.split("\n").filter((l) => l.startsWith("Inst "))).toEqual([expect.stringMatching(new RegExp(`^Inst ${PKG} \\[1\\.0\\] \\(2\\.0 `))]);
    expect(readdirSync(join(state, "lists")).some((f) => f.includes("_Packages"))).toBe(true);
    expect(after).toBe(before);
  });

  // The same as root and as an unprivileged caller (issue: "Must hold").
  for (const c of [asRoot, asNobody]) {
    test(`${c.who}: a probe through the same command line writes only in the state dir`, async () => {
      const name = jobName(`probe-${c.who}`);
      const stateDir = c.stateOf(name);
      const file = `nsbox-probe-${TAG}`;
      const places = ["/etc", "/usr", "/usr/lib", "/var/lib/dpkg", "/root", "/home", "/srv", "/opt", fx, "/tmp", stateDir];
      const script = places.map((p) => `touch ${p}/${file} 2>/dev/null && echo "wrote ${p}"`).join("; ") + "; true";
      const p = c.run([...callerArgs(c, name), "--", "sh", "-c", script]);
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      expect({ code, err }).toEqual({ code: 0, err: "" });
      // Inside, /tmp is the sandbox's own tmpfs: writable there, never the host's.
      expect(out.trim().split("\n").sort()).toEqual([`wrote ${stateDir}`, "wrote /tmp"].sort());
      for (const p of places.filter((p) => p !== stateDir)) expect(existsSync(`${p}/${file}`)).toBe(false);
      expect(existsSync(`${stateDir}/${file}`)).toBe(true);
    });

    test(`${c.who}: own mount namespace; a second run is refused (75), --lock wait waits; SIGKILL of nsbox kills the sandbox and frees the lock; gc finds nothing of it`, async () => {
      const name = jobName(`lock-${c.who}`);
      const stateDir = c.stateOf(name);
      const started = join(stateDir, `started-${name}`);
      const waited = join(stateDir, `waited-${name}`);
      const first = c.run([...callerArgs(c, name), "--", "sh", "-c", `touch ${started}; exec sleep 600`]);
      await waitFor(() => existsSync(started) && sandboxPid(name, c) !== undefined, "the first run's sandbox has started", 15_000);
      const stage = sandboxPid(name, c)!;
      // The run really is this caller's: the stage runs with its uid on the host.
      expect(uidOf(stage)).toBe(c === asRoot ? 0 : 65534);
      // The sandbox's init is the stage's child: a mount namespace other than the host's.
      const init = Number(readFileSync(`/proc/${stage}/task/${stage}/children`, "utf8").trim().split(" ")[0]);
      expect(readlinkSync(`/proc/${init}/ns/mnt`)).not.toBe(readlinkSync("/proc/self/ns/mnt"));

      // status: running, with the pid of the nsbox that holds the lock.
      const now = JSON.parse(c.nsbox(["updater", "--config-dir", c.cfg(), "status", name, "--json"]).stdout) as { name: string; running: { running: boolean; pid: number } };
      expect(now).toMatchObject({ name, running: { running: true, pid: first.pid } });

      const refused = c.run([...callerArgs(c, name), "--", "true"]);
      const [secondErr, secondCode] = await Promise.all([new Response(refused.stderr).text(), refused.exited]);
      expect(secondCode).toBe(75);
      expect(secondErr.trim()).toMatch(new RegExp(`^nsbox: updater: ${name} already running \\(pid ${first.pid} since \\S+\\)$`));
      expect(secondErr.trim().split("\n")).toHaveLength(1);

      const third = c.run([...callerArgs(c, name), "--lock", "wait", "--", "touch", waited]);
      // It blocks in flock(2): /proc/locks shows it as a waiter ("->") on the job's lock.
      const waiting = () => readFileSync("/proc/locks", "utf8").split("\n").some((l) => l.includes("->") && l.trim().split(/\s+/).includes(String(third.pid)));
      await waitFor(waiting, "the second run blocks on the lock", 15_000);
      expect(existsSync(waited)).toBe(false);
      first.kill("SIGKILL");
      await first.exited;
      await waitFor(() => !alive(stage) && !alive(init), "the killed run's stage and init are gone", 10_000);
      expect(await third.exited).toBe(0);
      expect(existsSync(waited)).toBe(true);

      // What the killed sandbox (the stage's pid) left, and nothing of other runs on this host.
      expect(c.nsbox(["gc", "--pid", String(stage)]).code).toBe(0);
      expect(c.nsbox(["gc", "--dry-run", "--pid", String(stage)]).stdout).toBe("");
      const left = c.nsbox(["gc", "--dry-run"]).stdout.split("\n").filter((l) => l.includes(String(stage)) || l.includes(`updater-${name}`));
      expect(left).toEqual([]);
      expect(sandboxPid(name, c)).toBeUndefined();
      // The killed run wrote no log line; the waiting one did, and nothing runs now.
      const after = JSON.parse(c.nsbox(["updater", "--config-dir", c.cfg(), "status", name, "--json"]).stdout) as { last: { status: number; pid: number }; running: { running: boolean } };
      expect(after).toMatchObject({ last: { status: 0, pid: third.pid }, running: { running: false } });
      expect(readFileSync(join(c.cfg(), "updater", `${name}.log`), "utf8").trim().split("\n")).toHaveLength(1);
    });
  }

  test("a sandbox of the job's name that is still there (a killed run's, ending): refused (75), --lock wait waits for it", async () => {
    const name = jobName("earlier");
    const waited = join(stateOf(name), "waited");
    // What a killed run leaves for a moment: its sandbox, with the lock already free.
    const blocker = Bun.spawn([NSBOX, "run", "--name", `updater-${name}`, "--", "sleep", "600"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    try {
      await waitFor(() => sandboxPid(name) === blocker.pid, "the blocking sandbox runs", 15_000);
      const refused = await cronRun([...aptArgs(name), "--", "true"]);
      expect(refused.code).toBe(75);
      expect(refused.stderr).toBe(`nsbox: updater: ${name} already running (its sandbox updater-${name}, pid ${blocker.pid}, is still there)\n`);
      const third = cronSpawn([...aptArgs(name), "--lock", "wait", "--", "touch", waited]);
      // It holds the job's lock and waits for the sandbox, not in flock(2).
      const status = () => JSON.parse(nsbox(["updater", "--config-dir", cfg, "status", name, "--json"]).stdout) as { running: { running: boolean; pid?: number } };
      await waitFor(() => status().running.pid === third.pid, "the waiting run holds the lock", 15_000);
      expect(existsSync(waited)).toBe(false);
      expect(nsbox(["stop", `updater-${name}`]).code).toBe(0);
      await blocker.exited;
      expect({ code: await third.exited, stderr: await new Response(third.stderr).text() }).toEqual({ code: 0, stderr: "" });
      expect(existsSync(waited)).toBe(true);
    } finally {
      blocker.kill("SIGKILL");
      await blocker.exited;
    }
  });

  test("--timeout kills the whole sandbox and exits 124; the log records it", async () => {
    const name = jobName("timeout");
    const stateDir = stateOf(name);
    const started = join(stateDir, `started-${name}`);
    // The limit counts from the start of `nsbox run`, so nothing is looked up while the sandbox
    // runs (with 1 s, a loaded host could end it before `nsbox ps` listed it): the payload's file
    // says it ran, and cron's setsid made the updater lead a session its stage and init are in.
    const p = cronSpawn([...aptArgs(name), "--timeout", "3s", "--", "sh", "-c", `touch ${started}; exec sleep 600`]);
    expect(await p.exited).toBe(124);
    expect(existsSync(started)).toBe(true);
    expect(await new Response(p.stderr).text()).toContain(`nsbox: updater: ${name}: timed out after 3s`);
    await waitFor(() => sessionPids(p.pid).length === 0, "the killed run's stage and init are gone", 10_000);
    expect(readFileSync(join(cfg, "updater", `${name}.log`), "utf8")).toMatch(/exit=124 /);
  });

  test("--quiet: nothing when the command succeeds, all of its output and its status when it fails", async () => {
    const okName = jobName("quiet-ok");
    const ok = await cronRun([okName, "--state", stateOf(okName), "--quiet", "--", "sh", "-c", "echo out; echo err >&2"]);
    expect(ok).toEqual({ code: 0, stdout: "", stderr: "" });
    const badName = jobName("quiet-bad");
    const bad = await cronRun([badName, "--state", stateOf(badName), "--quiet", "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(bad).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
  });

  test("--quiet holds at most the last 4 MiB of each stream: a job that writes without end cannot grow nsbox", async () => {
    const name = jobName("quiet-flood");
    const flood = "head -c 12582912 /dev/zero | tr '\\0' x; echo; echo the-end; exit 4";
    const r = await cronRun([name, "--state", stateOf(name), "--quiet", "--", "sh", "-c", flood]);
    expect(r.code).toBe(4);
    expect(r.stdout.length).toBe(4 * 1024 * 1024);
    expect(r.stdout.endsWith("x\nthe-end\n")).toBe(true);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`the first ${12582912 + 9 - 4 * 1024 * 1024} bytes of stdout were dropped`);
  });

  test("status: one line per job with its last run; --json", () => {
    const r = nsbox(["updater", "--config-dir", cfg, "status"]);
    expect(r.code).toBe(0);
    const apt = r.stdout.split("\n").find((l) => l.startsWith(`${APT_JOB}:`));
    expect(apt).toMatch(new RegExp(`^${APT_JOB}: last run \\S+Z, exit 0, [0-9.]+s; idle$`));
    const unknown = nsbox(["updater", "--config-dir", cfg, "status", "never-ran"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no updater named never-ran has run");
  });

  test("cron-line: the printed line, run by sh as cron runs it (env -i, cwd /), does the job", async () => {
    const name = jobName("cron");
    const marker = join(stateOf(name), "ran-at-100%");
    const printed = nsbox(["updater", "--config-dir", cfg, "cron-line", name, "--schedule", "17 3 * * *", "--state", stateOf(name), "--", "sh", "-c", `touch '${marker}'; echo noisy`]);
    expect(printed.code).toBe(0);
    const line = printed.stdout.trimEnd();
    expect(line.startsWith(`17 3 * * * ${NSBOX} updater run ${name} `)).toBe(true);
    // What cron hands to sh: the line after the five fields, with its \% back to % (crontab(5)).
    const command = line.split(" ").slice(5).join(" ").replaceAll("\\%", "%").replace(" updater run", ` updater --config-dir ${cfg} run`);
    const p = Bun.spawn(["env", "-i", "setsid", "/bin/sh", "-c", command], { cwd: "/", stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    // --quiet: a successful run says nothing, so cron mails nothing.
    expect({ code, out, err }).toEqual({ code: 0, out: "", err: "" });
    expect(existsSync(marker)).toBe(true);
  });

  test("timer: the .service and .timer pass systemd-analyze verify", () => {
    const name = jobName("timer");
    const r = nsbox(["updater", "--config-dir", cfg, "timer", name, "--on-calendar", "Mon *-*-* 03:17:00", "--state", stateOf(name), "--timeout", "30m", "--", "sh", "-c", "echo 50% $HOME"]);
    expect(r.code).toBe(0);
    const [service, timer] = r.stdout.split(/(?=^# nsbox-updater-)/m);
    const dir = tempDir("nsbox-updater-units-");
    try {
      writeFileSync(join(dir, `nsbox-updater-${name}.service`), service!);
      writeFileSync(join(dir, `nsbox-updater-${name}.timer`), timer!);
      const v = host(`systemd-analyze verify ${dir}/nsbox-updater-${name}.service ${dir}/nsbox-updater-${name}.timer`);
      expect({ code: v.code, stderr: v.stderr }).toEqual({ code: 0, stderr: "" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bad input: one line each, nothing made", async () => {
    const stateDir = stateOf("bad");
    const cases: [string[], number, RegExp][] = [
      [["bad", "--state", "relative/dir", "--", "true"], 2, /--state: 'relative\/dir' is not an absolute path/],
      [["bad", "--state", "/usr/lib/nsbox-updater-x", "--", "true"], 2, /--state \/usr\/lib\/nsbox-updater-x: it is under \/usr/],
      [["bad", "--state", stateDir, "--timeout", "soon", "--", "true"], 2, /--timeout: 'soon' is not a duration/],
      [["bad", "--state", stateDir, "--net", "lan", "--", "true"], 2, /--net: 'lan' is not none, host or zone:NAME/],
      [["bad", "--", "true"], 2, /give at least one --state DIR/],
      [["bad", "--state", stateDir], 2, /no COMMAND given after --/],
      [["bad", "--state", stateDir, "--ro", "/nonexistent-nsbox-path", "--", "true"], 2, /--ro \/nonexistent-nsbox-path: no such file or directory/],
      [["bad", "--state", stateDir, "--net", "zone:nsbox-none", "--", "true"], 2, /no zone nsbox-none/],
    ];
    const schedule = nsbox(["updater", "--config-dir", cfg, "cron-line", "bad", "--schedule", "every night", "--state", stateDir, "--", "true"]);
    expect(schedule.code).toBe(2);
    expect(schedule.stderr.trim().split("\n")).toEqual([expect.stringContaining("--schedule: 'every night' is not a crontab schedule")]);
    for (const [args, code, message] of cases) {
      const r = await cronRun(args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(cfg, "updater", "bad.log"))).toBe(false);
    expect(existsSync(join(cfg, "updater", "bad.lock"))).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    expect(existsSync("/usr/lib/nsbox-updater-x")).toBe(false);
    // A missing command: the stage's 127, passed through.
    const missingName = jobName("missing");
    const missing = await cronRun([missingName, "--state", stateOf(missingName), "--", "/nonexistent/checker"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
  });
});
