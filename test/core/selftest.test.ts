import { describe, expect, test } from "bun:test";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { parseNsPids, parseProcState, parseShmAttaches, parseTracerPid } from "../../src/core/selftest/host-views.ts";
import { parseProbeLine, probeData, probeFailure, type ProbeLine } from "../../src/core/selftest/probe-report.ts";
import { allContained, judgeAll, judgeProbe, PROBE_NAMES, type Observations } from "../../src/core/selftest/probes.ts";
import { freeFds, probeSpec } from "../../src/core/selftest/run-selftest.ts";
import { rootCtx } from "../helpers.ts";

const TOKEN = "5ec7e7";
const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");
const line = (text: string) => parseProbeLine(text)!;
const obs = (more: Partial<Observations> = {}): Observations => ({
  token: TOKEN,
  unixAccepts: 0,
  unixPathAccepts: 0,
  tcpAccepts: 0,
  sysctlChanged: [],
  writableBefore: "before\n",
  writableAfter: "before\n",
  host: { sysrq: true, modules: true, keys: true, setuid: true, legacyTiocsti: true, dataPlaces: true },
  ...more,
});
const judge = (text: string, o = obs()) => {
  const l = line(text);
  return judgeProbe(l.name as (typeof PROBE_NAMES)[number], l, o);
};

describe("the probe's lines", () => {
  test("probe, hold and done lines with their fields; anything else is ignored", () => {
    expect(parseProbeLine("probe signal ok=0 step=kill errno=ESRCH")).toEqual({ kind: "probe", name: "signal", fields: { ok: "0", step: "kill", errno: "ESRCH" } });
    expect(parseProbeLine("hold cgroup-escape phase=before ok=0 pid=2")?.fields).toEqual({ phase: "before", ok: "0", pid: "2" });
    expect(parseProbeLine("done all")?.kind).toBe("done");
    expect(parseProbeLine("nsbox: exec: something")).toBeUndefined();
    expect(parseProbeLine("")).toBeUndefined();
  });

  test("data is hex; a malformed one reads as nothing", () => {
    expect(probeData(line(`probe x ok=1 data=${hex("abc\n")}`))).toBe("abc\n");
    expect(probeData(line("probe x ok=1 data=zz"))).toBe("");
    expect(probeFailure(line("probe x ok=0 step=open errno=EACCES"))).toBe("open: EACCES");
  });
});

describe("verdicts from what the host saw", () => {
  test("a token that comes back is EXPOSED, whatever else the probe says", () => {
    expect(judge(`probe host-file-read ok=1 data=${hex(TOKEN)}`)).toEqual({ probe: "host-file-read", verdict: "EXPOSED", detail: "read a root-only host file", observedFrom: "host" });
    expect(judge(`probe keyring ok=1 data=${hex(`xx${TOKEN}`)}`).verdict).toBe("EXPOSED");
    expect(judge(`probe posix-shm ok=1 data=${hex("other")}`)).toMatchObject({ verdict: "CONTAINED", detail: "read something, but not a host POSIX shared memory object" });
    expect(judge("probe proc-environ ok=0 step=open errno=ENOENT")).toMatchObject({ verdict: "CONTAINED", detail: "open: ENOENT", observedFrom: "host" });
  });

  test("host-data-read and unix-path: the token and the accepts decide; SKIPPED where no data place could be made", () => {
    expect(judge(`probe host-data-read ok=1 data=${hex(TOKEN)}`)).toMatchObject({ verdict: "EXPOSED", observedFrom: "host" });
    expect(judge("probe host-data-read ok=0 step=open errno=ENOENT")).toMatchObject({ verdict: "CONTAINED", detail: "open: ENOENT" });
    expect(judge("probe unix-path ok=1", obs({ unixPathAccepts: 1 }))).toMatchObject({ verdict: "EXPOSED", detail: "connected to a host path socket anyone may connect to (the host accepted 1)" });
    expect(judge("probe unix-path ok=0 step=connect errno=ENOENT")).toMatchObject({ verdict: "CONTAINED", detail: "connect: ENOENT" });
    const none = obs({ host: { ...obs().host, dataPlaces: false } });
    expect(judge("probe host-data-read ok=0 step=argument errno=EINVAL", none).verdict).toBe("SKIPPED");
    expect(judge("probe unix-path ok=0 step=argument errno=EINVAL", none).verdict).toBe("SKIPPED");
  });

  test("ro-write: the host file's content decides, not the probe's success", () => {
    expect(judge("probe ro-write ok=1", obs({ writableAfter: "before\nwritten\n" })).verdict).toBe("EXPOSED");
    expect(judge("probe ro-write ok=1")).toMatchObject({ verdict: "CONTAINED", detail: "the write went somewhere, but the host file is unchanged" });
    expect(judge("probe ro-write ok=0 step=open errno=EROFS").detail).toBe("open: EROFS");
  });

  test("signal and ptrace: the target's state and TracerPid decide", () => {
    expect(judge("probe signal ok=1", obs({ targetState: "T" })).verdict).toBe("EXPOSED");
    expect(judge("probe signal ok=1", obs({ targetState: "S" }))).toMatchObject({ verdict: "CONTAINED", detail: "kill succeeded, but the host process did not stop" });
    expect(judge("probe signal ok=0 step=kill errno=ESRCH", obs({ targetState: "S" })).detail).toBe("kill: ESRCH");
    expect(judge("probe ptrace ok=1", obs({ tracerPid: 4242 })).verdict).toBe("EXPOSED");
    expect(judge("probe ptrace ok=0 step=attach errno=EPERM", obs({ tracerPid: 0 })).verdict).toBe("CONTAINED");
  });

  test("listeners: an accept is EXPOSED; a connect the host did not see still is, on the probe's word", () => {
    expect(judge("probe tcp-loopback ok=1", obs({ tcpAccepts: 1, tcpPort: 4000 }))).toMatchObject({ verdict: "EXPOSED", observedFrom: "host", detail: "connected to the host's 127.0.0.1:4000 (the host accepted 1)" });
    expect(judge("probe unix-abstract ok=1")).toMatchObject({ verdict: "EXPOSED", observedFrom: "sandbox" });
    expect(judge("probe unix-abstract ok=0 step=connect errno=ECONNREFUSED")).toMatchObject({ verdict: "CONTAINED", detail: "connect: ECONNREFUSED" });
  });

  test("shm attaches, sysctl changes and cgroup moves seen from the host", () => {
    expect(judge("probe sysv-shm ok=1", obs({ shmAttaches: 1 })).verdict).toBe("EXPOSED");
    expect(judge("probe sysv-shm ok=0 step=shmat errno=EINVAL", obs({ shmAttaches: 0 })).verdict).toBe("CONTAINED");
    expect(judge("probe sysctl-write ok=1 wrote=vm/swappiness", obs({ sysctlChanged: ["vm/swappiness"] })).detail).toBe("changed host sysctl vm/swappiness (restored)");
    expect(judge("probe sysctl-write ok=1 wrote=vm/swappiness")).toMatchObject({ verdict: "CONTAINED", detail: "wrote vm/swappiness of its own namespace; the host's values are unchanged" });
    expect(judge("probe cgroup-escape ok=0 step=write-cgroup.procs errno=EROFS", obs({ cgroupBefore: "0::/a\n", cgroupAfter: "0::/\n" })).verdict).toBe("EXPOSED");
    expect(judge("probe cgroup-escape ok=1 moved=/sys/fs/cgroup/cgroup.procs", obs({ cgroupBefore: "0::/\n", cgroupAfter: "0::/\n" }))).toMatchObject({ verdict: "EXPOSED", observedFrom: "sandbox" });
    expect(judge("probe cgroup-escape ok=0 step=write-cgroup.procs errno=EACCES", obs({ cgroupBefore: "0::/\n", cgroupAfter: "0::/\n" }))).toMatchObject({ verdict: "CONTAINED", observedFrom: "host" });
  });
});

describe("verdicts on the probe's word", () => {
  test("getting the socket, the mount, the fd is the exposure", () => {
    expect(judge("probe raw-socket ok=1")).toMatchObject({ verdict: "EXPOSED", observedFrom: "sandbox" });
    expect(judge("probe packet-socket ok=0 step=socket errno=EPERM")).toMatchObject({ verdict: "CONTAINED", detail: "socket: EPERM" });
    expect(judge("probe bpf ok=1 step=bpf-prog-load").verdict).toBe("EXPOSED");
    expect(judge("probe perf ok=0 step=perf_event_open errno=EPERM").verdict).toBe("CONTAINED");
    expect(judge("probe mount ok=0 step=mount errno=EPERM").verdict).toBe("CONTAINED");
  });

  test("a nested user namespace is EXPOSED even when its maps or mount failed, and the detail says how far", () => {
    expect(judge("probe userns ok=1 step=mount userns=1 maps=EPERM mounted=1").detail).toBe("created a nested user namespace with every capability inside it (its id maps were refused: EPERM) and mounted a tmpfs in it");
    expect(judge("probe userns ok=1 step=unshare-mnt errno=EPERM userns=1 maps=ok").detail).toContain("then stopped at unshare-mnt: EPERM");
    expect(judge("probe userns ok=0 step=unshare-user errno=ENOSPC")).toMatchObject({ verdict: "CONTAINED", detail: "unshare-user: ENOSPC" });
  });

  test("setuid: exposed only when the bit took effect", () => {
    expect(judge("probe setuid ok=1 step=exec ruid=0 euid=0 secure=0")).toMatchObject({ verdict: "CONTAINED", detail: "the setuid bit was ignored (euid stayed 0)" });
    expect(judge("probe setuid ok=1 step=exec ruid=1000 euid=0 secure=1").verdict).toBe("EXPOSED");
    expect(judge("probe setuid ok=1 step=exec ruid=0 euid=0 secure=0", obs({ host: { ...obs().host, setuid: false } })).verdict).toBe("SKIPPED");
  });

  test("tiocsti notes when the kernel refuses it anyway", () => {
    expect(judge("probe tiocsti ok=1 step=ioctl plain=ok high-bit=EPERM").detail).toBe("pushed input into a terminal with TIOCSTI (plain ok, high bit EPERM)");
    expect(judge("probe tiocsti ok=0 step=ioctl errno=EPERM plain=EPERM high-bit=EPERM", obs({ host: { ...obs().host, legacyTiocsti: false } })).detail).toBe(
      "TIOCSTI refused (plain EPERM, high bit EPERM); the kernel refuses it anyway (dev.tty.legacy_tiocsti=0)",
    );
  });

  test("kernel-module: an errno past the permission check is EXPOSED; no module support is SKIPPED", () => {
    expect(judge("probe kernel-module ok=1 init_module=ENOEXEC finit_module=EBADF").verdict).toBe("EXPOSED");
    expect(judge("probe kernel-module ok=0 init_module=EPERM finit_module=EPERM").detail).toBe("init_module EPERM, finit_module EPERM");
    expect(judge("probe kernel-module ok=0 init_module=ENOSYS finit_module=ENOSYS", obs({ host: { ...obs().host, modules: false } })).verdict).toBe("SKIPPED");
  });
});

describe("the whole report", () => {
  test("a probe that never reported is UNTESTED, unless the host lacks what it needs", () => {
    const o = obs({ host: { ...obs().host, sysrq: false } });
    const verdicts = judgeAll(new Map<string, ProbeLine>(), o);
    expect(verdicts.map((v) => v.probe)).toEqual([...PROBE_NAMES]);
    expect(verdicts.find((v) => v.probe === "sysrq")!.verdict).toBe("SKIPPED");
    expect(verdicts.find((v) => v.probe === "bpf")!.verdict).toBe("UNTESTED");
    expect(allContained(verdicts)).toBe(false);
  });

  test("exit 0 needs every probe CONTAINED or SKIPPED", () => {
    expect(allContained([{ probe: "bpf", verdict: "CONTAINED", detail: "", observedFrom: "sandbox" }, { probe: "sysrq", verdict: "SKIPPED", detail: "", observedFrom: "host" }])).toBe(true);
    expect(allContained([{ probe: "bpf", verdict: "EXPOSED", detail: "", observedFrom: "sandbox" }])).toBe(false);
  });
});

describe("host views", () => {
  test("stat state, TracerPid, NSpid and a segment's attach count", () => {
    expect(parseProcState("4242 (nsbox-probe (x)) T 1 4242 4242 0 -1")).toBe("T");
    expect(parseTracerPid("Name:\tx\nTracerPid:\t77\nUid:\t0\n")).toBe(77);
    expect(parseNsPids("NSpid:\t9001\t2\n")).toEqual([9001, 2]);
    const table = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid\n         0         12   666                  4096   100   200      1     0     0     0     0\n";
    expect(parseShmAttaches(table, 12)).toBe(1);
    expect(parseShmAttaches(table, 13)).toBeUndefined();
  });
});

describe("the selftest's spec", () => {
  test("the user's sandbox with the probe program as its command, passed as one more kept fd", () => {
    const spec = planFromArgs(["--keep-fd", "3", "--", "placeholder"], [], "u", rootCtx).spec;
    const [specFd, probeFd] = freeFds(spec.process.keepFds, 2);
    expect([specFd, probeFd]).toEqual([4, 5]);
    const probing = probeSpec(spec, probeFd!, ["signal=42", "bpf"]);
    expect(probing.process.argv).toEqual(["/proc/self/fd/5", "run", "signal=42", "bpf"]);
    expect(probing.process.keepFds).toEqual([3, 5]);
    expect({ ...probing, process: spec.process }).toEqual(spec); // nothing else changes
  });

  test("the fixtures the probes must see are bound in read-only at their own path; with the host's mounts, nothing is", () => {
    const spec = planFromArgs(["--", "placeholder"], [], "u", rootCtx).spec;
    const probing = probeSpec(spec, 4, [], "/var/lib/nsbox-selftest-x");
    expect(probing.mounts.slice(0, -1)).toEqual(spec.mounts);
    expect(probing.mounts.at(-1)).toEqual({ kind: "bind", src: "/var/lib/nsbox-selftest-x", dst: "/var/lib/nsbox-selftest-x", readonly: true, optional: false, devices: false });
    const shared = planFromArgs(["--share", "mnt", "--", "placeholder"], [], "u", rootCtx).spec;
    expect(probeSpec(shared, 4, [], "/var/lib/nsbox-selftest-x").mounts).toEqual([]);
  });
});
