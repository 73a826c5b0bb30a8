// The stage's ops that the TypeScript side does not expose (yet), driven directly: dist/nsbox-stage
// with hand-built wire specs (WIRE.md) on fd 3. Exit actions, v1 cgroups and watches, persist and
// join, mask, remount-ro, sysctl, the session keyring, ns-fd, and the read-only mount point message.
// Anything mounted outside a sandbox happens inside `unshare -m --propagation private`.
import { afterAll, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { childrenOf, commOf, descendantsOf, describeRoot, host, waitFor } from "./harness.ts";
import { ALL, BASE, lines, NET, NS, PATH, sh, specFile, STAGE, stage, temp, USER, UTS } from "./stage-driver.ts";

const cgroups: string[] = [];
afterAll(() => {
  // rmdir only: a cgroup directory is removed empty or not at all.
  for (const cg of cgroups) if (existsSync(cg)) host(`rmdir ${cg}`);
});

/** A fresh v1 cgroup directory under a hybrid host's hierarchy, or undefined without one. */
function cgroupV1(controller: string, settings: Record<string, string>): string | undefined {
  const root = `/sys/fs/cgroup/${controller}`;
  if (!existsSync(`${root}/cgroup.procs`)) return undefined;
  const dir = `${root}/nsbox-test-${process.pid}-${cgroups.length}`;
  mkdirSync(dir);
  cgroups.push(dir);
  for (const [k, v] of Object.entries(settings)) writeFileSync(`${dir}/${k}`, v);
  return dir;
}

describeRoot("stage: on-exit-unlink and on-exit-rmdir", () => {
  test("the file is removed after a normal run, keeping the payload's status", () => {
    const d = temp();
    writeFileSync(`${d}/record`, "x");
    const r = stage([...BASE, "on-exit-unlink", `${d}/record`, "on-exit-unlink", `${d}/never-existed`, ...sh("test -e /tmp; exit 7")]);
    expect(r.code).toBe(7);
    expect(r.stderr).toBe("");
    expect(existsSync(`${d}/record`)).toBe(false);
  });

  test("the file is removed when setup fails, in the sandbox or before the clone", () => {
    const d = temp();
    for (const [i, broken] of [["bind", "/nonexistent-nsbox-src", "/x", 0], ["keep-fd", 99], ["sysctl", "kernel/nsbox_no_such_sysctl", "1"]].entries()) {
      writeFileSync(`${d}/record${i}`, "x");
      const r = stage([...BASE, ...broken, "on-exit-unlink", `${d}/record${i}`, ...sh("echo payload ran")]);
      expect(r.code).toBe(125);
      expect(r.stdout).toBe("");
      expect(lines(r.stderr)).toHaveLength(1);
      expect(existsSync(`${d}/record${i}`)).toBe(false);
    }
    writeFileSync(`${d}/record-exec`, "x");
    const nf = stage([...BASE, "on-exit-unlink", `${d}/record-exec`, "argv", "/nonexistent-nsbox-cmd"]);
    expect(nf.code).toBe(127);
    expect(existsSync(`${d}/record-exec`)).toBe(false);
  });

  test("a failure other than ENOENT is one warning line; the exit status is the payload's", () => {
    const d = temp();
    mkdirSync(`${d}/a-dir`);
    const r = stage([...BASE, "on-exit-unlink", `${d}/a-dir`, "on-exit-rmdir", `${d}/gone`, ...sh("exit 3")]);
    expect(r.code).toBe(3);
    expect(lines(r.stderr)).toEqual([`nsbox: on-exit-unlink: ${d}/a-dir: Is a directory (EISDIR)`]);
    mkdirSync(`${d}/full`);
    writeFileSync(`${d}/full/f`, "");
    const full = stage([...BASE, "on-exit-rmdir", `${d}/full`, "argv", "true"]);
    expect(full.code).toBe(0);
    expect(lines(full.stderr)).toEqual([`nsbox: on-exit-rmdir: ${d}/full: Directory not empty (ENOTEMPTY)`]);
    expect(existsSync(`${d}/full/f`)).toBe(true);
  });

  test("SIGTERM to the supervisor: forwarded, then the exit actions run", async () => {
    const d = temp();
    writeFileSync(`${d}/record`, "x");
    const fd = openSync(specFile(d, "spec.wire", ...BASE, "on-exit-unlink", `${d}/record`, "argv", "sleep", "argv", "30"), "r");
    const p = Bun.spawn([STAGE, "--spec-fd", "3"], { stdio: ["ignore", "ignore", "pipe", fd] });
    closeSync(fd);
    await waitFor(() => descendantsOf(p.pid).some((c) => commOf(c) === "sleep"), "the payload runs");
    p.kill("SIGTERM");
    expect(await p.exited).toBe(143);
    expect(existsSync(`${d}/record`)).toBe(false);
  });
});

describeRoot("stage: v1 cgroups (cgroup-join) and watch", () => {
  const memory = existsSync("/sys/fs/cgroup/memory/cgroup.procs");
  const pids = existsSync("/sys/fs/cgroup/pids/cgroup.procs");

  test.skipIf(!memory)("a 32M memory cgroup: 200 MB is OOM-killed, the watch says so, on-exit-rmdir removes it (skipped without a v1 memory hierarchy)", () => {
    const cg = cgroupV1("memory", { "memory.limit_in_bytes": String(32 << 20) })!;
    const r = stage([
      ...BASE, "cgroup-join", cg, "watch", `${cg}/memory.oom_control`, "oom_kill", "the sandbox ran out of memory",
      "on-exit-rmdir", cg, ...sh("head -c 200M /dev/zero | tail"),
    ]);
    expect(r.code).toBe(137);
    expect(r.stderr).toMatch(/^nsbox: the sandbox ran out of memory \(oom_kill \+[1-9]\d*\)$/m);
    expect(existsSync(cg)).toBe(false);
    // The same payload in the same cgroup without a rise: no line.
    const quiet = cgroupV1("memory", { "memory.limit_in_bytes": String(32 << 20) })!;
    const ok = stage([...BASE, "cgroup-join", quiet, "watch", `${quiet}/memory.oom_control`, "oom_kill", "oom", "on-exit-rmdir", quiet, ...sh("head -c 1M /dev/zero | tail | wc -c")]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe("");
    expect(existsSync(quiet)).toBe(false);
  });

  test.skipIf(!pids)("pids.max=20 stops a bounded fork loop, and `watch pids.events max` reports it (skipped without a v1 pids hierarchy)", () => {
    const cg = cgroupV1("pids", { "pids.max": "20" })!;
    // dash gives up at the first failed fork: the last number printed is how many started. The
    // sleeps outlast the loop (on a loaded host 20 forks can take longer than a short sleep, which
    // would free slots and let the loop run on); they die with the sandbox's PID namespace.
    const r = stage([
      ...BASE, "cgroup-join", cg, "watch", `${cg}/pids.events`, "max", "the sandbox hit its process limit",
      "on-exit-rmdir", cg, ...sh("i=0; while [ $i -lt 200 ]; do sleep 600 & i=$((i+1)); echo $i; done"),
    ]);
    const started = Number(r.stdout.trim().split("\n").at(-1));
    expect(started).toBeGreaterThan(5);
    expect(started).toBeLessThan(20); // init and sh count too
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^nsbox: the sandbox hit its process limit \(max \+[1-9]\d*\)$/m);
    expect(existsSync(cg)).toBe(false);
  });

  test.skipIf(!existsSync("/sys/fs/cgroup/cpuset/cgroup.procs"))("a cgroup the child cannot join: killed before it runs, step cgroup, 125 (skipped without v1 cpuset)", () => {
    // A new v1 cpuset cgroup has no CPUs: attaching a task fails with ENOSPC.
    const cg = cgroupV1("cpuset", {})!;
    const r = stage([...BASE, "cgroup-join", cg, "on-exit-rmdir", cg, ...sh("echo payload ran")]);
    expect(r.code).toBe(125);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^nsbox: cgroup: ${cg}: move the child \\(pid \\d+\\) into it: .*\\(ENOSPC\\)`));
    expect(existsSync(cg)).toBe(false);
  });

  test("a watch on a file without the key, or no file, fails before anything runs", () => {
    const d = temp();
    writeFileSync(`${d}/events`, "low 0\nhigh 0\nmax 3\n");
    const r = stage([...BASE, "watch", `${d}/events`, "oom_kill", "m", ...sh("echo ran")]);
    expect(r.code).toBe(125);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`nsbox: watch: ${d}/events has no counter 'oom_kill'\n`);
    expect(stage([...BASE, "watch", `${d}/nope`, "max", "m", "argv", "true"]).stderr).toContain("(ENOENT)");
    // A plain file works as a counter too: a rise made by the payload itself is reported.
    writeFileSync(`${d}/counter`, "max 3\n");
    host(`chown 1879048192 ${d}/counter`); // root inside is this host uid
    const rise = stage([...BASE, "bind", d, "/mnt", 0, "watch", `${d}/counter`, "max", "counted", ...sh("echo 'max 5' > /mnt/counter")]);
    expect(rise.code).toBe(0);
    expect(rise.stderr).toBe("nsbox: counted (max +2)\n");
  });
});

describeRoot("stage: persist and join", () => {
  /** Runs a script in a private mount namespace, so the binds made by persist vanish with it. */
  const privately = (script: string) => host(`unshare -m --propagation private sh -ec '${script.replaceAll("'", "'\\''")}'`);

  test("persist net+uts, then a join from another spec sees the hostname and the loopback set then", () => {
    const d = temp();
    mkdirSync(`${d}/ns`);
    const p = specFile(d, "persist.wire", "clone", NET | UTS, "persist", `${d}/ns`, "persist-link", "net", `${d}/netns-link`,
      "hostname", "kept", "lo-up", "sysctl", "net/ipv4/ip_unprivileged_port_start", "99", "init", 0, "env", PATH);
    const j = specFile(d, "join.wire", "clone", 0, "join", "net", `${d}/ns/net`, "join", "uts", `${d}/ns/uts`, "env", PATH,
      ...sh("hostname; cat /sys/class/net/lo/operstate /proc/sys/net/ipv4/ip_unprivileged_port_start"));
    const j2 = specFile(d, "join2.wire", "clone", 0, "join", "net", `${d}/netns-link`, "env", PATH, ...sh("cat /proc/sys/net/ipv4/ip_unprivileged_port_start"));
    const r = privately(`
      : > ${d}/ns/net; : > ${d}/ns/uts; : > ${d}/netns-link
      ${STAGE} --spec-fd 3 3<${p}; echo persist=$?
      grep " nsfs " /proc/self/mountinfo | grep -c " ${d}/"
      ${STAGE} --spec-fd 3 3<${j}; echo join=$?
      ${STAGE} --spec-fd 3 3<${j2}; echo join2=$?
      ino=$(stat -L -c %i ${d}/ns/net)
      for p in /proc/[0-9]*; do [ "$(stat -L -c %i $p/ns/net 2>/dev/null)" = "$ino" ] && echo $p; done | wc -l`);
    expect(r.stderr).toBe("");
    // The last line: no process is left in the kept network namespace; the bind alone holds it.
    expect(r.stdout.trim().split("\n")).toEqual(["persist=0", "3", "kept", "unknown", "99", "join=0", "99", "join2=0", "0"]);
    expect(host(`grep -c '${d}' /proc/self/mountinfo`).stdout.trim()).toBe("0");
  });

  test("persist user+mnt+more; joining all of them (user first, mnt last) reaches the kept root, as uid 1000", () => {
    const d = temp();
    mkdirSync(`${d}/ns`);
    const kinds = ["user", "mnt", "uts", "ipc", "net", "cgroup"];
    const p = specFile(d, "persist.wire", "clone", USER | NS | UTS | 0x08000000 | NET | 0x02000000, "persist", `${d}/ns`,
      "setgroups", "allow", "uidmap", 0, 1879048192, 65536, "gidmap", 0, 1879048192, 65536,
      "bind", "/", "/", 1, "dev", "/dev", "tmpfs", "/tmp", "1777", 0, "dir", "/tmp/made-at-persist", "755", "hostname", "pm",
      "remount-ro", "/tmp", "sysctl", "user/max_user_namespaces", "0");
    const j = specFile(d, "join.wire", "clone", 0, ...kinds.flatMap((k) => ["join", k, `${d}/ns/${k}`]), "uid", 1000, "gid", 1000, "env", PATH,
      ...sh("hostname; id -u; ls /tmp; touch /tmp/x 2>&1 | grep -c Read-only; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status | tr -s '\\t' ' '; unshare -U true 2>/dev/null || echo nested-refused"));
    const r = privately(`
      for k in ${kinds.join(" ")}; do : > ${d}/ns/$k; done
      ${STAGE} --spec-fd 3 3<${p}; echo persist=$?
      ${STAGE} --spec-fd 3 3<${j}; echo join=$?`);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual(["persist=0", "pm", "1000", "made-at-persist", "1", "CapEff: 0000000000000000", "NoNewPrivs: 1", "nested-refused", "join=0"]);
  });

  test("keeping a mount namespace works every time, whatever CPU made it (Linux 6.18 per-CPU namespace ids)", () => {
    const d = temp();
    mkdirSync(`${d}/ns`);
    const p = specFile(d, "persist.wire", "clone", USER | NS, "persist", `${d}/ns`, "setgroups", "allow",
      "uidmap", 0, 1879048192, 65536, "gidmap", 0, 1879048192, 65536);
    const r = privately(`
      : > ${d}/ns/user; : > ${d}/ns/mnt
      for i in $(seq 16); do
        ${STAGE} --spec-fd 3 3<${p} && umount ${d}/ns/user ${d}/ns/mnt && echo ok
      done`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok\n".repeat(16));
  });

  test("a mount namespace on a shared mount: the EINVAL is explained, binds made so far are undone, 125", () => {
    const d = temp();
    mkdirSync(`${d}/ns`);
    const p = specFile(d, "persist.wire", "clone", USER | NS | UTS, "persist", `${d}/ns`, "setgroups", "allow",
      "uidmap", 0, 1879048192, 65536, "gidmap", 0, 1879048192, 65536);
    const r = privately(`
      for k in user mnt uts; do : > ${d}/ns/$k; done
      mount --bind ${d}/ns ${d}/ns; mount --make-shared ${d}/ns
      ${STAGE} --spec-fd 3 3<${p} || echo persist=$?
      grep " nsfs " /proc/self/mountinfo | grep -c " ${d}/" || true`);
    expect(r.stdout.trim().split("\n")).toEqual(["persist=125", "0"]);
    expect(lines(r.stderr)).toEqual([
      `nsbox: persist: mnt -> ${d}/ns/mnt: a mount namespace can only be kept on a mount with private propagation (mount --make-private on the directory's mount): Invalid argument (EINVAL)`,
    ]);
  });

  test("a setup failure in persist mode is a normal setup failure; a missing target file is refused first", () => {
    const d = temp();
    mkdirSync(`${d}/ns`);
    writeFileSync(`${d}/ns/net`, "");
    const bad = stage(["clone", NET, "persist", `${d}/ns`, "sysctl", "net/nsbox/nope", "1"]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/^nsbox: sysctl: net\/nsbox\/nope: open \/proc\/sys\/net\/nsbox\/nope: .*\(ENOENT\)\n$/);
    const missing = stage(["clone", NET | UTS, "persist", `${d}/ns`]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toBe(`nsbox: persist: ${d}/ns/uts (nsbox creates it, empty, before the run): No such file or directory (ENOENT)\n`);
    writeFileSync(`${d}/ns/uts`, "not empty");
    expect(stage(["clone", NET | UTS, "persist", `${d}/ns`]).stderr).toBe(`nsbox: persist: ${d}/ns/uts must be an empty regular file\n`);
    expect(host(`grep -c '${d}' /proc/self/mountinfo`).stdout.trim()).toBe("0");
  });

  test("exec-style: joining every namespace of a running sandbox through ns-fd fds", async () => {
    const d = temp();
    const fd = openSync(specFile(d, "sb.wire", ...BASE.map((t) => (t === "box" ? "running-box" : t)), ...sh("echo inside > /tmp/marker; exec sleep 30")), "r");
    const sb = Bun.spawn([STAGE, "--spec-fd", "3"], { stdio: ["ignore", "ignore", "pipe", fd] });
    closeSync(fd);
    try {
      // The init, once the payload wrote its marker (seen through the init's root, the sandbox's).
      let init = 0;
      await waitFor(() => {
        init = childrenOf(sb.pid)[0] ?? 0;
        return init > 0 && existsSync(`/proc/${init}/root/tmp/marker`);
      }, "the sandbox wrote its marker");
      const kinds = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"];
      const fds = kinds.map((k) => openSync(`/proc/${init}/ns/${k}`, "r"));
      try {
        // fds land on 4, 5, ... in the stage; user is joined first and mnt last whatever the order here.
        const joins = kinds.flatMap((k, i) => ["ns-fd", 4 + i, "join", k, `/proc/self/fd/${4 + i}`]);
        // An on-exit path names the caller's file even though the supervisor joined the mnt namespace.
        writeFileSync(`${d}/exec-record`, "x");
        const r = stage(["clone", 0, ...joins, "uid", 1000, "gid", 1000, "cwd", "/tmp", "env", PATH, "on-exit-unlink", `${d}/exec-record`,
          ...sh("hostname; echo $$; pwd; cat /tmp/marker; id -u; ls /proc/self/fd | tr '\\n' ' '; echo; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status | tr -s '\\t' ' '")], fds);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        const out = r.stdout.trim().split("\n");
        expect(out[0]).toBe("running-box");
        expect(Number(out[1])).toBeGreaterThan(2);
        expect(out.slice(2, 5)).toEqual(["/tmp", "inside", "1000"]);
        expect(out[5]!.trim()).toBe("0 1 2 3"); // 3 is ls's own directory fd: no ns-fd got through
        expect(out.slice(6)).toEqual(["CapEff: 0000000000000000", "CapBnd: 0000000000000000", "NoNewPrivs: 1"]);
        expect(existsSync(`${d}/exec-record`)).toBe(false);
      } finally {
        fds.forEach((f) => closeSync(f));
      }
    } finally {
      sb.kill("SIGKILL");
      await sb.exited;
    }
  });
});

describeRoot("stage: mask and remount-ro", () => {
  test("remount-ro /proc/sys gives EROFS; masked files read empty; a masked directory is empty and read-only", () => {
    const d = temp();
    mkdirSync(`${d}/secret-dir`);
    writeFileSync(`${d}/secret-dir/a`, "a");
    writeFileSync(`${d}/secret-file`, "secret");
    // /proc/kcore exists only with CONFIG_PROC_KCORE: timer_list and keys stand in for it.
    const r = stage([...BASE, "bind", d, "/mnt", 1, "remount-ro", "/proc/sys", "mask", "/proc/kcore", "mask", "/proc/timer_list", "mask", "/proc/keys",
      "mask", "/mnt/secret-dir", "mask", "/mnt/secret-file", "mask", "/proc/nsbox-does-not-exist",
      ...sh([
        "(echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1 | grep -c 'Read-only file system'",
        "test -e /proc/kcore && wc -c < /proc/kcore || echo 0",
        "wc -c < /proc/timer_list; wc -c < /proc/keys; wc -c < /mnt/secret-file",
        "ls -A /mnt/secret-dir | wc -l; touch /mnt/secret-dir/b 2>&1 | grep -c 'Read-only file system'",
      ].join("; "))]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n").map((l) => l.trim())).toEqual(["1", "0", "0", "0", "0", "0", "1"]);
  });

  test("a symlink at or on the way to a masked path is refused, not followed (CVE-2025-31133)", () => {
    const d = temp();
    writeFileSync(`${d}/target`, "t");
    symlinkSync("/etc/hostname", `${d}/link`);
    symlinkSync("/etc", `${d}/etc-link`);
    const at = stage([...BASE, "bind", d, "/mnt", 0, "mask", "/mnt/link", "argv", "true"]);
    expect(at.code).toBe(125);
    expect(at.stderr).toBe("nsbox: mask: /mnt/link is a symlink: refused, it would redirect the mask (CVE-2025-31133): Symbolic link loop (ELOOP)\n");
    const via = stage([...BASE, "bind", d, "/mnt", 0, "remount-ro", "/mnt/etc-link/hostname", "argv", "true"]);
    expect(via.code).toBe(125);
    expect(via.stderr).toBe("nsbox: remount-ro: /mnt/etc-link/hostname: a symlink on the way is refused (CVE-2025-31133): Symbolic link loop (ELOOP)\n");
  });

  test("remount-ro of a path that is not a mount point binds it onto itself first", () => {
    const d = temp();
    mkdirSync(`${d}/ro`);
    host(`chown -R 1879048192:1879048192 ${d}`);
    const r = stage([...BASE, "bind", d, "/mnt", 0, "remount-ro", "/mnt/ro",
      ...sh("touch /mnt/ro/x 2>&1 | grep -c 'Read-only'; touch /mnt/rw && echo rw-ok; grep -c ' /mnt/ro ' /proc/self/mountinfo")]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual(["1", "rw-ok", "1"]);
    expect(existsSync(`${d}/rw`)).toBe(true);
  });
});

describeRoot("stage: sysctl", () => {
  test("user/max_user_namespaces 0 makes a nested user namespace fail with ENOSPC; without it, it works", () => {
    const probe = sh("cat /proc/sys/user/max_user_namespaces; unshare -U true 2>&1 && echo nested-ok");
    const without = stage([...BASE, ...probe]);
    expect(without.stdout.trim().split("\n").at(-1)).toBe("nested-ok");
    const hostValue = readFileSync("/proc/sys/user/max_user_namespaces", "utf8");
    const withIt = stage([...BASE, "remount-ro", "/proc/sys", "sysctl", "user/max_user_namespaces", "0", ...probe]);
    expect(withIt.stdout).toMatch(/^0\n.*No space left on device/s);
    expect(readFileSync("/proc/sys/user/max_user_namespaces", "utf8")).toBe(hostValue); // the host's own is untouched
  });

  test("the payload cannot write it back; a missing /proc is a clear error", () => {
    const r = stage([...BASE, "sysctl", "user/max_user_namespaces", "0", ...sh("echo 5 > /proc/sys/user/max_user_namespaces")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Permission denied");
    const noProc = stage(["clone", ALL, "setgroups", "allow", "uidmap", 0, 1879048192, 65536, "gidmap", 0, 1879048192, 65536,
      "bind", "/usr", "/usr", 1, "sysctl", "user/max_user_namespaces", "0", "argv", "/usr/bin/true"]);
    expect(noProc.code).toBe(125);
    expect(noProc.stderr).toBe("nsbox: sysctl: user/max_user_namespaces: no /proc in the sandbox (mount one with a proc step): No such file or directory (ENOENT)\n");
  });
});

describeRoot("stage: the payload's session keyring", () => {
  const keyctl = host("command -v keyctl").code === 0;

  test("the payload's session keyring is a new one, not the caller's", () => {
    const d = temp();
    if (!keyctl) {
      // Without keyutils: /proc/keys inside lists an anonymous session keyring (`_ses`), and
      // none of the caller's (`_uid_ses.0` for a caller without a session of its own).
      const r = stage([...BASE, ...sh("grep -c ' keyring *_ses: ' /proc/keys; grep -c '_uid_ses' /proc/keys")]);
      expect(Number(r.stdout.split("\n")[0])).toBeGreaterThanOrEqual(1);
      return;
    }
    const f = specFile(d, "spec.wire", ...BASE, ...sh("keyctl show @s | sed -n 2p | awk '{print $NF}'; keyctl search @s user nsbox-secret 2>/dev/null || echo not-found"));
    const r = host(`keyctl session nsbox-test-session sh -c 'keyctl add user nsbox-secret s3cret @s >/dev/null; keyctl show @s | sed -n 2p | awk "{print \\$NF}"; ${STAGE} --spec-fd 3 3<${f}'`);
    // The caller's session (with the key in it), then the payload's: a fresh one, without it.
    expect(r.stdout.trim().split("\n")).toEqual(["nsbox-test-session", "_ses", "not-found"]);
  });
});

describeRoot("stage: mount points under a read-only mount", () => {
  test("a missing destination under the read-only root says why and what to do", () => {
    const d = temp();
    const r = stage([...BASE, "bind", d, "/nsbox-no-such-dir/data", 0, "argv", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`nsbox: bind: ${d} -> /nsbox-no-such-dir/data: /nsbox-no-such-dir/data is not there and cannot be made inside the read-only bind of / (ro-bind /); use a path outside it, or put a --tmpfs on a parent first: Read-only file system (EROFS)\n`);
    const dir = stage([...BASE, "dir", "/nsbox-no-such-dir", "755", "argv", "true"]);
    expect(dir.stderr).toBe("nsbox: dir: /nsbox-no-such-dir is not there and cannot be made inside the read-only bind of / (ro-bind /); use a path outside it, or put a --tmpfs on a parent first: Read-only file system (EROFS)\n");
    expect(stage([...BASE, "tmpfs", "/nsbox-no-such-dir", "755", 0, "argv", "true"]).stderr).toContain("tmpfs: /nsbox-no-such-dir is not there and cannot be made inside the read-only bind of / (ro-bind /)");
  });
});
