// Limits and the hardened defaults on the real kernel: cgroup memory and pids limits (v2 where
// the host has the controller there, v1 otherwise), rlimits, masked and read-only /proc, no
// nested user namespaces, a fresh session keyring, the terminal.
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { describeRoot, inSandbox, nsbox, waitFor } from "./harness.ts";

/** nsbox's parent cgroup in each hierarchy (v2, and v1 per controller) that has one. */
const nsboxParents = () => readdirSync("/sys/fs/cgroup").map((d) => `/sys/fs/cgroup/${d}/nsbox`).concat("/sys/fs/cgroup/nsbox").filter(existsSync);
const cgroupDirsIn = (parent: string) => readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${parent}/${e.name}`);

/** The parents of the dirs that root's cgroup records name (records being written are skipped). */
function recordedParents(): Set<string> {
  const dir = "/run/nsbox/cgroups";
  const files = existsSync(dir) ? readdirSync(dir) : [];
  return new Set(files.flatMap((f) => {
    try {
      return (JSON.parse(readFileSync(`${dir}/${f}`, "utf8")) as { dirs: string[] }).dirs.map(dirname);
    } catch {
      return [];
    }
  }));
}

/**
 * The cgroup dirs left of the sandbox whose supervisor was `pid` (nsbox/PID-STARTTIME, cgroup.ts
 * sandboxCgroupId), v1 and v2: none may outlive it. Other sandboxes on the host are not looked at.
 */
function cgroupsOf(pid: number): string[] {
  return nsboxParents().flatMap(cgroupDirsIn).filter((dir) => dir.slice(dir.lastIndexOf("/") + 1).startsWith(`${pid}-`));
}

describeRoot("limits", () => {
  test("a memory limit kills a payload that allocates past it, says so, and its cgroup is gone", () => {
    const r = inSandbox("python3 -c 'b = bytearray(256 * 1024 * 1024); print(len(b))'", ["--memory", "48M"]);
    expect(r.code).toBe(137);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("memory limit");
    expect(cgroupsOf(r.pid)).toEqual([]);
    // Under the limit the same program runs.
    expect(inSandbox("python3 -c 'b = bytearray(8 * 1024 * 1024); print(len(b))'", ["--memory", "48M"]).stdout.trim()).toBe(String(8 * 1024 * 1024));
  });

  test("a pids limit stops a fork bomb (bounded), says so, and its cgroup is gone", () => {
    // Python counts the forks that succeed (a shell would exit at the first failed one). The
    // children outlast the loop however slow the host is, and die with the sandbox's PID namespace.
    const bomb = "import os, time\nn = 0\nfor i in range(60):\n  try:\n    if os.fork() == 0:\n      time.sleep(600); os._exit(0)\n    n += 1\n  except OSError:\n    pass\nprint('started', n)";
    const r = inSandbox(`python3 -c "${bomb}"`, ["--pids", "16"]);
    const started = Number(/started (\d+)/.exec(r.stdout)?.[1]);
    expect(started).toBeLessThan(16);
    expect(r.stderr).toContain("process limit");
    expect(cgroupsOf(r.pid)).toEqual([]);
  });

  test("gc removes the nsbox parent cgroups once no sandbox cgroup is left", async () => {
    // The parents are the host's: a sandbox another suite starts or ends between gc and the look
    // can make one or empty one, and gc then fails to remove a parent that just got a child. So
    // gc of the parents alone (others' stale cgroups are theirs to collect) is repeated until no
    // empty parent is left that no cgroup record names (such a one is kept on purpose).
    const emptyParents = () => {
      const named = recordedParents();
      return nsboxParents().filter((parent) => cgroupDirsIn(parent).length === 0 && !named.has(parent));
    };
    await waitFor(() => nsbox(["gc", "--only", "cgroup-parents"]).code === 0 && emptyParents().length === 0, "gc removed every empty nsbox parent cgroup");
  });

  test("rlimits reach the payload", () => {
    expect(inSandbox("ulimit -n; ulimit -Hn", ["--rlimit", "NOFILE=64:128"]).stdout.trim().split("\n")).toEqual(["64", "128"]);
  });

  test("bad limits: one line, exit 2, nothing started", () => {
    for (const args of [["--memory", "12XB"], ["--pids", "0x10"], ["--cpu", "-1"], ["--rlimit", "NOFILE=5:1"], ["--rlimit", "BOGUS=1"]]) {
      const r = nsbox(["run", ...args, "--", "sh", "-c", "echo started"]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describeRoot("hardened defaults", () => {
  test("kernel interfaces in /proc are masked or read-only", () => {
    // /proc/timer_list leaks other processes' timers; /proc/keys and /proc/kcore are not on every kernel.
    const r = inSandbox("wc -c < /proc/timer_list; ls -A /proc/acpi 2>/dev/null | wc -l; (echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1; (echo h > /proc/sysrq-trigger) 2>&1; grep -E ' /proc/(sys|timer_list) ' /proc/self/mountinfo | awk '{print $5, $6}'");
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("0");
    expect(lines[1]).toBe("0");
    expect(r.stdout).toContain("Read-only file system");
    expect(r.stdout).toMatch(/\/proc\/sys ro,/);
    expect(r.stdout).toMatch(/\/proc\/timer_list ro,/);
  });

  test("no nested user namespaces unless --allow-userns", () => {
    const blocked = inSandbox("cat /proc/sys/user/max_user_namespaces; unshare -U true 2>&1; echo rc=$?", ["--seccomp", "none"]);
    expect(blocked.stdout.split("\n")[0]).toBe("0");
    expect(blocked.stdout).toContain("rc=1");
    const allowed = inSandbox("unshare -U true && echo ok", ["--allow-userns"]);
    expect(allowed.stdout.trim()).toBe("ok");
  });

  test("the payload starts in a fresh session keyring", () => {
    // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, create): the serial of the session keyring.
    const probe = `python3 -c "import ctypes; l=ctypes.CDLL(None); print(l.syscall(250, 0, -3, 1))"`;
    const hostSerial = Bun.spawnSync(["sh", "-c", probe]).stdout.toString().trim();
    const inside = inSandbox(probe, ["--seccomp", "none"]).stdout.trim();
    expect(Number(hostSerial)).toBeGreaterThan(0);
    expect(Number(inside)).toBeGreaterThan(0);
    expect(inside).not.toBe(hostSerial);
  });
});
