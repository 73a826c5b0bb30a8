// `nsbox selftest` against the real kernel: the default sandbox contains every probe; sharing the
// network and PID namespaces or dropping the filter flips exactly the probes those guard, as the
// host saw it; nothing the probes needed (files, processes, key, shm, listeners) is left behind.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import type { ProbeVerdict } from "../../src/core/selftest/probes.ts";
import { describeRoot, nsbox, sessionPids, type NsboxResult } from "./harness.ts";

/** Runs the selftest; `left` is what of the probes' host things it left (hostThings() new since before it). */
function selftest(opts: string[] = []): { r: NsboxResult; verdicts: Map<string, ProbeVerdict>; left: string[] } {
  const before = hostThings();
  const r = nsbox(["selftest", "--json", ...opts]);
  const list = JSON.parse(r.stdout || "[]") as ProbeVerdict[];
  return { r, verdicts: new Map(list.map((v) => [v.probe, v])), left: hostThings().filter((t) => !before.includes(t)) };
}

const verdictOf = (m: Map<string, ProbeVerdict>, probe: string) => m.get(probe)?.verdict;
const exposedIn = (m: Map<string, ProbeVerdict>): string[] => [...m.values()].filter((v) => v.verdict === "EXPOSED").map((v) => v.probe as string).sort();
const readInt = (path: string) => Number(readFileSync(path, "utf8").trim());

/**
 * The kinds of host things the probes make (files and dirs named nsbox-selftest-*, 0666 4 KiB
 * SysV segments). Compared before and after one selftest, so only what that run made counts;
 * its processes are checked by its session (sessionPids), never by a scan of every pid.
 */
function hostThings(): string[] {
  const named = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("nsbox-selftest-")).map((f) => `${dir}/${f}`);
  const shm = readFileSync("/proc/sysvipc/shm", "utf8").split("\n").slice(1).filter((l) => / 666 +4096 /.test(l));
  return [...named("/var/lib"), ...named("/srv"), ...named("/root"), ...named("/dev/shm"), ...shm.map((l) => `shm ${l.trim()}`)];
}

describeRoot("nsbox selftest", () => {
  test("the default sandbox: every probe CONTAINED (or SKIPPED where the host lacks the thing), exit 0", () => {
    const { r, verdicts, left } = selftest();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(verdicts.size).toBe(27);
    for (const v of verdicts.values()) expect([v.probe, v.verdict]).toEqual([v.probe, v.verdict === "SKIPPED" ? "SKIPPED" : "CONTAINED"]);
    // The host decided these itself (token, state, accept counts), not the probe.
    for (const p of ["host-file-read", "host-data-read", "ro-write", "signal", "ptrace", "tcp-loopback", "unix-abstract", "unix-path", "keyring", "sysv-shm", "posix-shm"]) {
      expect(verdicts.get(p)!.observedFrom).toBe("host");
    }
    expect(verdicts.get("host-file-read")!.detail).toBe("open: EACCES"); // visible, but not readable: a fair test
    expect(verdicts.get("ro-write")!.detail).toBe("open: EROFS");
    // The os root shows no host data place and no host path socket at all.
    expect(verdicts.get("host-data-read")!.detail).toBe("open: ENOENT");
    expect(verdicts.get("unix-path")!.detail).toBe("connect: ENOENT");
    expect(left).toEqual([]);
    // Its stage and probe target ran in the session nsbox led: nothing of them is left.
    expect(sessionPids(r.pid)).toEqual([]);
  });

  test("the text report: one line per probe and the counts; exit 1 names what got out", () => {
    const ok = nsbox(["selftest"]);
    expect(ok.code).toBe(0);
    const lines = ok.stdout.trim().split("\n");
    expect(lines).toHaveLength(28);
    expect(lines[0]).toMatch(/^CONTAINED {2}host-file-read {2}open: EACCES \(seen from the host\)$/);
    expect(lines.at(-1)).toMatch(/^27 probes: \d+ contained, 0 exposed, \d+ skipped$/);
    const bad = nsbox(["selftest", "--share", "net"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^EXPOSED {4}tcp-loopback +connected to the host's 127\.0\.0\.1:\d+ \(the host accepted 1\) \(seen from the host\)$/m);
    expect(bad.stderr).toContain("selftest: unix-abstract exposed, tcp-loopback exposed");
  });

  test("--share net,pid: the listeners, seeing and stopping a host process flip to EXPOSED, as the host saw it", () => {
    const { r, verdicts, left } = selftest(["--share", "net,pid"]);
    expect(r.code).toBe(1);
    expect(exposedIn(verdicts)).toEqual(["proc-see", "signal", "tcp-loopback", "unix-abstract"]);
    for (const p of ["proc-see", "signal", "tcp-loopback", "unix-abstract"]) expect(verdicts.get(p)!.observedFrom).toBe("host");
    // Still contained: ptrace and environ need capabilities in the target's (the host's) user
    // namespace, which a process of a child user namespace never has; ptrace is filtered too.
    expect(verdictOf(verdicts, "ptrace")).toBe("CONTAINED");
    expect(verdicts.get("proc-environ")!.detail).toBe("open: EACCES");
    expect(left).toEqual([]);
  });

  test("--root host: host data anyone may read and a host path socket are in reach, as the host saw it", () => {
    const { r, verdicts, left } = selftest(["--root", "host"]);
    expect(r.code).toBe(1);
    expect(exposedIn(verdicts)).toEqual(["host-data-read", "unix-path"]);
    expect(verdicts.get("host-data-read")).toMatchObject({ observedFrom: "host", detail: "read a host data file anyone may read (/var/lib, /srv or a home)" });
    expect(verdicts.get("unix-path")!.detail).toBe("connected to a host path socket anyone may connect to (the host accepted 1)");
    expect(left).toEqual([]);
  });

  test("--seccomp none: what only the filter stopped flips; what the namespaces and the stage stop does not", () => {
    const base = selftest().verdicts;
    const { r, verdicts } = selftest(["--seccomp", "none"]);
    expect(r.code).toBe(1);
    const flipped = exposedIn(verdicts);
    // perf_event_open on itself is allowed to anyone at perf_event_paranoid <= 2; TIOCSTI on a
    // pty of its own unless the kernel disabled it (dev.tty.legacy_tiocsti=0).
    const expected = [
      ...(readInt("/proc/sys/kernel/perf_event_paranoid") <= 2 ? ["perf"] : []),
      ...(readInt("/proc/sys/dev/tty/legacy_tiocsti") === 1 ? ["tiocsti"] : []),
    ].sort();
    expect(flipped).toEqual(expected);
    // The reason changes even where the verdict does not: EPERM from the filter before, the
    // fresh session keyring and the user namespace limit now.
    expect(base.get("keyring")!.detail).toBe("keyctl-read: EPERM");
    expect(verdicts.get("keyring")).toMatchObject({ verdict: "CONTAINED", detail: "keyctl-read: EACCES" });
    expect(base.get("userns")!.detail).toBe("unshare-user: EPERM");
    expect(verdicts.get("userns")).toMatchObject({ verdict: "CONTAINED", detail: "unshare-user: ENOSPC" });
  });

  test("--seccomp none --allow-userns: a nested user namespace gives the probe a mount of its own", () => {
    const { verdicts } = selftest(["--seccomp", "none", "--allow-userns"]);
    expect(verdicts.get("userns")).toMatchObject({ verdict: "EXPOSED", observedFrom: "sandbox" });
    expect(verdicts.get("userns")!.detail).toContain("mounted a tmpfs in it");
  });

  test("--map-host-root: root inside owns the host's root-only file, and the host sees its token come back", () => {
    const { r, verdicts, left } = selftest(["--map-host-root"]);
    expect(r.code).toBe(1);
    expect(verdicts.get("host-file-read")).toEqual({ probe: "host-file-read", verdict: "EXPOSED", detail: "read a root-only host file", observedFrom: "host" });
    expect(verdictOf(verdicts, "ro-write")).toBe("CONTAINED"); // read-only is the mount, not permissions
    expect(left).toEqual([]);
  });

  test("a command or a bad option is a usage error", () => {
    expect(nsbox(["selftest", "--", "true"]).code).toBe(2);
    expect(nsbox(["selftest", "--frob"]).code).toBe(2);
  });
});
