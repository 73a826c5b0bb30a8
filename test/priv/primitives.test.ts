// Namespace primitives on the real kernel: ns ls against stat(2), persist and join, named
// sandboxes with ps/exec/stop, gc after kill -9 at every phase, and bad input.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { childrenOf, describeRoot, forgetRanges, host, hostMountPoints, nsbox, NSBOX, sessionPids, waitFor } from "./harness.ts";

// Names are host-wide (/run/nsbox/names, persisted namespaces): another suite on this host runs
// these same tests, so each name carries this process's pid.
const N = (name: string) => `${name}-${process.pid}`;
const KILL_DELAYS = [0, 5, 15, 30, 60, 300];
const [LSNS, DUP, EXEC, EXEC_TIME, REUSE, PNET] = [N("t-lsns"), N("t-dup"), N("t-exec"), N("t-exec-time"), N("t-reuse"), N("t-pnet")] as const;
const ALL = [N("t-all1"), N("t-all2"), N("t-all3")] as const;

const started: Bun.Subprocess[] = [];
afterAll(() => {
  for (const p of started) p.kill("SIGKILL");
  // Only what these runs left: a plain gc would act on every other sandbox's leftovers on the host.
  for (const p of started) nsbox(["gc", "--pid", String(p.pid)]);
  forgetRanges([LSNS, DUP, EXEC, EXEC_TIME, REUSE, ...KILL_DELAYS.map((d) => N(`t-kill-${d}`))]);
});

function startNamed(name: string, script: string, opts: string[] = []): Bun.Subprocess {
  const p = Bun.spawn([NSBOX, "run", "--name", name, ...opts, "--", "sh", "-c", script], { stdout: "ignore", stderr: "pipe", detached: true });
  started.push(p);
  return p;
}

const psNames = () => (JSON.parse(nsbox(["ps", "--json"]).stdout) as { name: string }[]).map((e) => e.name);

describeRoot("named sandboxes", () => {
  test("ns ls --json agrees with the kernel and names the sandbox", async () => {
    const p = startNamed(LSNS, "sleep 30");
    await waitFor(() => psNames().includes(LSNS) && childrenOf(p.pid).length > 0, `${LSNS} runs`);
    const init = childrenOf(p.pid)[0]!;
    const entries = JSON.parse(nsbox(["ns", "ls", "--json"]).stdout) as { kind: string; inode: number; nprocs: number; name: string | null }[];
    for (const kind of ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"]) {
      const inode = statSync(`/proc/${init}/ns/${kind}`).ino;
      const e = entries.find((x) => x.kind === kind && x.inode === inode);
      expect(e).toBeDefined();
      expect(e!.nprocs).toBeGreaterThanOrEqual(1);
      expect(e!.name).toBe(LSNS);
    }
    expect(nsbox(["stop", LSNS]).code).toBe(0);
    expect(await p.exited).toBe(143);
    expect(psNames()).not.toContain(LSNS);
  });

  test("a second sandbox with a running name is refused", async () => {
    const p = startNamed(DUP, "sleep 30");
    await waitFor(() => psNames().includes(DUP), `${DUP} is listed`);
    const r = nsbox(["run", "--name", DUP, "--", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`a sandbox named ${DUP} is running`);
    nsbox(["stop", DUP, "--timeout", "2"]);
    await p.exited;
  });

  test("exec joins the sandbox with all of its restrictions and returns the exit status", async () => {
    const p = startNamed(EXEC, "echo inside > /tmp/marker; sleep 30", ["--hostname", "h-exec"]);
    await waitFor(() => psNames().includes(EXEC) && childrenOf(p.pid).length > 0, `${EXEC} runs`);
    // The payload has written its marker: seen through the init's root, which is the sandbox's.
    const init = childrenOf(p.pid)[0]!;
    await waitFor(() => existsSync(`/proc/${init}/root/tmp/marker`), `${EXEC} wrote its marker`);
    const r = nsbox(["exec", EXEC, "--", "sh", "-c", "hostname; echo $$; cat /tmp/marker; cat /proc/1/cmdline | tr '\\0' ' '; echo; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; exit 7"]);
    expect(r.code).toBe(7);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("h-exec");
    expect(Number(lines[1])).toBeGreaterThan(2); // in the sandbox's PID namespace, after init and payload
    expect(lines[2]).toBe("inside"); // the sandbox's own /tmp: its root and mounts
    expect(lines[3]).toStartWith("nsbox --spec-fd"); // PID 1 there is the sandbox's init
    expect(r.stdout).toMatch(/CapEff:\s+0+\n/);
    expect(r.stdout).toMatch(/CapBnd:\s+0+\n/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    // The same through --pid.
    expect(nsbox(["exec", "--pid", String(p.pid), "--", "hostname"]).stdout.trim()).toBe("h-exec");
    // Leaving out the mount namespace would lose the sandbox's root: refused, not weakened.
    const weak = nsbox(["exec", EXEC, "--ns", "net,uts", "--", "true"]);
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain("--ns must include");
    nsbox(["stop", EXEC]);
    await p.exited;
  });

  test("exec joins a sandbox's own time namespace, which its init is not in", async () => {
    const p = startNamed(EXEC_TIME, "sleep 30", ["--unshare", "time"]);
    await waitFor(() => psNames().includes(EXEC_TIME), `${EXEC_TIME} is listed`);
    const r = nsbox(["exec", EXEC_TIME, "--", "readlink", "/proc/self/ns/time"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // The command's, once exec has found it started (exec itself waits for that).
    const init = childrenOf(p.pid)[0]!;
    const command = childrenOf(init)[0]!;
    expect(r.stdout.trim()).toBe(readlinkSync(`/proc/${command}/ns/time`));
    expect(r.stdout.trim()).not.toBe(readlinkSync("/proc/self/ns/time"));
    // ns ls names that namespace after the sandbox, and the host's not.
    const times = (JSON.parse(nsbox(["ns", "ls", "--json", "--type", "time"]).stdout) as { inode: number; name: string | null }[]).filter((e) => e.name === EXEC_TIME);
    expect(times.map((e) => `time:[${e.inode}]`)).toEqual([r.stdout.trim()]);
    nsbox(["stop", EXEC_TIME]);
    await p.exited;
  });

  test("exec into a missing name, or a record whose pid was reused, fails with 125", async () => {
    const missing = nsbox(["exec", "no-such-sandbox", "--", "true"]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("no running sandbox named no-such-sandbox");
    // A record for a live pid with another start time: what a reused pid looks like.
    const p = startNamed(REUSE, "sleep 30");
    await waitFor(() => psNames().includes(REUSE), `${REUSE} is listed`);
    const file = `/run/nsbox/sandboxes/${p.pid}.json`;
    const rec = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...rec, startTime: rec.startTime + 1 }));
    const r = nsbox(["exec", REUSE, "--", "true"]);
    expect(r.code).toBe(125);
    p.kill("SIGTERM");
    await p.exited;
  });
});

describeRoot("persistent namespaces", () => {
  test("a persisted netns survives without a process, is joinable twice, shows in ip netns, and is gone after rm", () => {
    nsbox(["ns", "rm", PNET]);
    const made = nsbox(["ns", "persist", PNET, "--unshare", "net,uts"]);
    expect(made.code).toBe(0);
    expect(host("ip netns list").stdout).toContain(PNET);
    const entries = JSON.parse(nsbox(["ns", "ls", "--json", "--type", "net"]).stdout) as { nprocs: number; path: string | null; name: string | null }[];
    const kept = entries.find((e) => e.path?.endsWith(`/${PNET}/net`));
    expect(kept).toMatchObject({ nprocs: 0, name: PNET });
    // First run: real root with only CAP_NET_ADMIN adds an address in the persisted netns.
    const add = nsbox(["run", "--join", `net=${PNET}`, "--share", "user", "--cap-add", "NET_ADMIN", "--", "ip", "addr", "add", "10.77.0.1/32", "dev", "lo"]);
    expect(add.code).toBe(0);
    // Second run, the default sandbox: sees it.
    const show = nsbox(["run", "--join", `net=${PNET}`, "--", "ip", "-o", "addr", "show", "dev", "lo"]);
    expect(show.stdout).toContain("10.77.0.1/32");
    expect(nsbox(["ns", "rm", PNET]).code).toBe(0);
    expect(host("ip netns list").stdout).not.toContain(PNET);
    expect(hostMountPoints().some((m) => m.includes(PNET))).toBe(false);
  });

  test("every persistable kind at once, three times in a row; user+mnt+uts joined together", () => {
    for (const n of ALL) nsbox(["ns", "rm", n]);
    for (const n of ALL) expect(nsbox(["ns", "persist", n, "--unshare", "user,mnt,net,uts,ipc,cgroup,time"]).code).toBe(0);
    const r = nsbox(["run", "--join", `user=${ALL[1]}`, "--join", `mnt=${ALL[1]}`, "--join", `uts=${ALL[1]}`, "--", "sh", "-c", "hostname; id -u"]);
    expect(r.stdout.trim().split("\n")).toEqual([ALL[1], "0"]);
    for (const n of ALL) expect(nsbox(["ns", "rm", n]).code).toBe(0);
    expect(hostMountPoints().some((m) => ALL.some((n) => m.includes(n)))).toBe(false);
    // The private mount they lived under goes with the last of them (while another suite on this
    // host keeps a persisted namespace of its own, theirs were not the last).
    const others = existsSync("/run/nsbox/persist") ? readdirSync("/run/nsbox/persist") : [];
    if (others.length === 0) expect(hostMountPoints()).not.toContain("/run/nsbox/ns");
  });

  test("a pid namespace cannot be persisted; names are checked before anything is made", () => {
    expect(nsbox(["ns", "persist", "t-pid", "--unshare", "pid"]).code).toBe(2);
    for (const bad of ["a/b", "..", "x".repeat(64), "-x"]) {
      const r = nsbox(["ns", "persist", bad]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(existsSync("/run/nsbox/ns/a")).toBe(false);
  });
});

describeRoot("gc after kill -9", () => {
  test("at every phase of a named run, gc leaves no record, mount, namespace or process", async () => {
    // Killed after these many ms: the phases of a start (planning, exec, building, running).
    for (const delay of KILL_DELAYS) {
      const name = N(`t-kill-${delay}`);
      const p = Bun.spawn([NSBOX, "run", "--name", name, "--", "sleep", "30"], { stdout: "ignore", stderr: "ignore", detached: true });
      await Bun.sleep(delay);
      p.kill("SIGKILL");
      await p.exited;
      // The parent-death signal ends the sandbox's init, and its PID namespace the payload.
      await waitFor(() => sessionPids(p.pid).length === 0, `the processes of ${name} are gone`);
      // This run's leftovers only: others' (other suites on this host) may be mid-removal.
      const gc = nsbox(["gc", "--pid", String(p.pid)]);
      expect(gc.stderr).toBe("");
      expect(gc.code).toBe(0);
      expect(nsbox(["gc", "--dry-run", "--pid", String(p.pid)]).stdout).toBe("");
      const records = existsSync("/run/nsbox/sandboxes") ? readdirSync("/run/nsbox/sandboxes") : [];
      expect(records.filter((f) => f === `${p.pid}.json`)).toEqual([]);
      expect(existsSync(`/run/nsbox/names/${name}`)).toBe(false);
      const named = (JSON.parse(nsbox(["ns", "ls", "--json"]).stdout) as { name: string | null }[]).filter((e) => e.name === name);
      expect(named).toEqual([]);
      // A run makes no host mount; none may name it (the host's own mounts are others' to change).
      const ofThisRun = (m: string) => m.includes(name) || m.split("/").some((c) => c === String(p.pid) || c.startsWith(`${p.pid}-`));
      expect(hostMountPoints().filter(ofThisRun)).toEqual([]);
    }
  });
});

describeRoot("gc --pid", () => {
  test("takes only the leftovers of that run (record and cgroups), and leaves another killed run's", async () => {
    const runs = [N("t-gc-a"), N("t-gc-b")].map((name) => ({ name, p: startNamed(name, "sleep 30", ["--memory", "64M"]) }));
    await waitFor(() => runs.every((r) => psNames().includes(r.name)), "both runs are listed");
    for (const { p } of runs) {
      p.kill("SIGKILL");
      await p.exited;
      await waitFor(() => sessionPids(p.pid).length === 0, `the processes of ${p.pid} are gone`);
    }
    const [a, b] = runs.map((r) => r.p.pid) as [number, number];
    const left = (pid: number) => nsbox(["gc", "--dry-run", "--pid", String(pid)]).stdout.trim().split("\n").filter(Boolean);
    expect(left(a)).toEqual([`would remove sandbox record ${runs[0]!.name} (pid ${a}, gone)`, expect.stringMatching(new RegExp(`^would remove cgroup /sys/fs/cgroup/(\\S+/)?nsbox/${a}-\\d+.* \\(pid ${a}, gone\\)$`))]);
    expect(nsbox(["gc", "--pid", String(a)]).code).toBe(0);
    expect(left(a)).toEqual([]);
    // b's are still there, for its own gc.
    expect(left(b)).toHaveLength(2);
    expect(nsbox(["gc", "--pid", String(b)]).code).toBe(0);
    expect(left(b)).toEqual([]);
    forgetRanges(runs.map((r) => r.name));
  });
});

describeRoot("bad input", () => {
  test("each command with wrong or missing arguments: one line, exit 2", () => {
    for (const args of [
      ["stop"], ["exec", "--", "true"], ["exec", "x"], ["exec", "--pid", "abc", "--", "true"], ["ns", "persist"], ["ns", "rm"],
      ["ns", "frob"], ["ns", "ls", "--type", "bogus"], ["run", "--name", "../x", "--", "true"], ["run", "--name", "pid-12", "--", "true"],
      ["run", "--join", "net", "--", "true"], ["run", "--join", "bogus=/x", "--", "true"], ["run", "--join", "net=no-such-ns", "--", "true"],
      ["stop", "x", "--signal", "NOPE"], ["stop", "x", "--timeout", "-1"], ["run", "--cap-add", "CAP_NOPE", "--", "true"],
    ]) {
      const r = nsbox(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
