import { describe, expect, test } from "bun:test";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { parseMountinfo } from "../../src/core/mountinfo.ts";
import { parseStatusSecurity, type StatusSecurity } from "../../src/core/process-facts.ts";
import { checkSandbox, compareMounts, compareNamespaces, compareSecurity, expectedMounts } from "../../src/core/sandbox-drift.ts";
import { rootCtx } from "../helpers.ts";

const plan = (...args: string[]) => planFromArgs([...args, "--", "sleep", "9"], [], "nsbox run", rootCtx).spec;
/** The fixtures below are a `--root host` sandbox's mountinfo. */
const hostRoot = () => plan("--root", "host");

// The host as nsbox sees it: root, proc, sysfs with cgroups, devtmpfs with shm (twice) and pts.
const HOST = parseMountinfo([
  "65 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
  "66 65 0:20 / /proc rw - proc proc rw",
  "67 65 0:21 / /sys rw - sysfs sysfs rw",
  "68 67 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw",
  "69 65 0:6 / /dev rw - devtmpfs devtmpfs rw",
  "70 69 0:22 / /dev/shm rw - tmpfs tmpfs rw",
  "71 70 0:26 / /dev/shm rw - tmpfs tmpfs rw",
  "72 69 0:23 / /dev/pts rw - devpts devpts rw",
  "73 65 254:0 /srv/data /srv/data rw - ext4 /dev/vda rw",
].join("\n"));

/** What the stage builds from the default spec, as the payload's mountinfo shows it. */
const SANDBOX_LINES = [
  "91 65 254:0 / / ro,nosuid,nodev - ext4 /dev/vda rw",
  "93 91 0:20 / /proc ro,nosuid,nodev - proc proc rw",
  "94 91 0:21 / /sys ro,nosuid,nodev - sysfs sysfs rw",
  "95 94 0:37 / /sys/fs/cgroup/unified ro,nosuid,nodev - cgroup2 cgroup2 rw",
  "106 91 0:6 / /dev ro,nosuid,nodev - devtmpfs devtmpfs rw",
  "107 106 0:22 / /dev/shm ro,nosuid,nodev - tmpfs tmpfs rw",
  "108 107 0:26 / /dev/shm ro,nosuid,nodev - tmpfs tmpfs rw",
  "109 106 0:23 / /dev/pts ro,nosuid,nodev - devpts devpts rw",
  "111 91 254:0 /srv/data /srv/data ro,nosuid,nodev - ext4 /dev/vda rw",
  "113 106 0:41 / /dev rw,nosuid,nodev,noexec - tmpfs none rw",
  ...["null", "zero", "full", "random", "urandom", "tty"].map((n, i) => `${114 + i} 113 0:6 /${n} /dev/${n} rw,nosuid,noexec - devtmpfs devtmpfs rw`),
  "120 113 0:42 / /dev/pts rw,nosuid,noexec - devpts none rw",
  "121 113 0:43 / /dev/shm rw,nosuid,nodev - tmpfs none rw",
  "122 93 0:44 / /proc rw,nosuid,nodev,noexec - proc none rw",
  "123 91 0:45 / /tmp rw,nosuid,nodev - tmpfs none rw",
  "124 91 0:46 / /run rw,nosuid,nodev - tmpfs none rw",
  "125 91 0:47 / /var/tmp rw,nosuid,nodev - tmpfs none rw",
  "126 122 0:48 / /proc/acpi ro,nosuid,nodev,noexec - tmpfs none ro",
  "127 122 0:6 /null /proc/keys ro,nosuid,noexec - devtmpfs devtmpfs rw",
  "133 122 0:44 /sys /proc/sys ro,nosuid,nodev,noexec - proc none rw",
];
const SANDBOX = parseMountinfo(SANDBOX_LINES.join("\n"));

const NONE: StatusSecurity = { capInh: 0n, capPrm: 0n, capEff: 0n, capBnd: 0n, capAmb: 0n, noNewPrivs: 1, seccomp: 2 };
const SELF = { user: 1, mnt: 2, pid: 3, net: 4, uts: 5, ipc: 6, cgroup: 7, time: 8 };
const SANDBOX_NS = { user: 11, mnt: 12, pid: 13, net: 14, uts: 15, ipc: 16, cgroup: 17, time: 8 };

describe("expectedMounts", () => {
  test("the root bind brings every host mount along (allowed, not required); dev's nodes are required", () => {
    const e = expectedMounts(hostRoot(), HOST);
    expect(e.get("/")).toMatchObject({ min: 1, max: 1 });
    expect(e.get("/proc")).toMatchObject({ min: 1, max: 2 }); // the host's, under the sandbox's own
    expect(e.get("/dev/shm")).toMatchObject({ min: 1, max: 3 }); // two stacked host mounts + dev's
    expect(e.get("/dev/null")).toMatchObject({ min: 1, max: 1 });
    expect(e.get("/srv/data")).toMatchObject({ min: 0, max: 1 });
    expect(e.get("/proc/acpi")).toMatchObject({ min: 0, max: 1 });
    expect(e.get("/mnt")).toBeUndefined();
  });

  test("a bind maps the host mounts under its source to its destination", () => {
    const e = expectedMounts(plan("--ro-bind", "/dev", "/hostdev"), HOST);
    expect(e.get("/hostdev")).toMatchObject({ min: 1, max: 1 });
    expect(e.get("/hostdev/pts")).toMatchObject({ min: 0, max: 1 });
    expect(e.get("/hostdev/shm")).toMatchObject({ min: 0, max: 2 });
  });

  test("--root os: the root is the stage's own tmpfs; /usr and /etc are binds with their host submounts, nothing else of the host", () => {
    const e = expectedMounts(plan(), HOST);
    expect(e.get("/")).toMatchObject({ min: 1, max: 1 });
    expect(e.get("/usr")).toMatchObject({ min: 1, max: 1 });
    expect(e.get("/etc")).toMatchObject({ min: 1, max: 1 });
    expect(e.has("/srv/data")).toBe(false);
    expect(e.has("/sys")).toBe(false);
  });

  test("--root empty: the root is the stage's own tmpfs, and no host mount is expected", () => {
    const e = expectedMounts(plan("--root", "empty"), HOST);
    expect(e.get("/")).toMatchObject({ min: 1, max: 1 });
    expect(e.get("/sys")).toBeUndefined();
  });
});

describe("compareMounts", () => {
  test("the sandbox as built: no drift", () => {
    expect(compareMounts(hostRoot(), SANDBOX, HOST)).toEqual([]);
  });

  test("a mount made inside afterwards is drift, named by its path", () => {
    const extra = parseMountinfo([...SANDBOX_LINES, "200 91 0:60 / /mnt rw,relatime - tmpfs x rw"].join("\n"));
    const drift = compareMounts(hostRoot(), extra, HOST);
    expect(drift).toEqual([{ area: "mounts", subject: "/mnt", message: "/mnt: a mount the spec does not make (tmpfs from x)" }]);
  });

  test("a second mount stacked on a private dir is drift too", () => {
    const stacked = parseMountinfo([...SANDBOX_LINES, "201 123 0:61 / /tmp rw - tmpfs y rw"].join("\n"));
    expect(compareMounts(hostRoot(), stacked, HOST).map((d) => d.message)).toEqual(["/tmp: 2 mounts stacked, the spec allows 1 (the top one: tmpfs from y)"]);
  });

  test("a missing private mount is drift (something unmounted /tmp)", () => {
    const missing = parseMountinfo(SANDBOX_LINES.filter((l) => !l.includes(" /tmp ")).join("\n"));
    expect(compareMounts(hostRoot(), missing, HOST).map((d) => d.subject)).toEqual(["/tmp"]);
  });

  test("host mounts that arrived or left since the start (slave propagation) are not drift", () => {
    const fewer = parseMountinfo(SANDBOX_LINES.filter((l) => !l.includes("/srv/data")).join("\n"));
    expect(compareMounts(hostRoot(), fewer, HOST)).toEqual([]);
  });
});

describe("compareNamespaces", () => {
  test("new ones differ from nsbox's, shared ones equal it", () => {
    expect(compareNamespaces(plan(), SANDBOX_NS, SELF, {})).toEqual([]);
    const drift = compareNamespaces(plan(), { ...SANDBOX_NS, net: SELF.net }, SELF, {});
    expect(drift.map((d) => d.subject)).toEqual(["net"]);
    expect(drift[0]!.message).toContain("the host's namespace");
    expect(compareNamespaces(plan("--share", "net"), { ...SANDBOX_NS, net: SELF.net }, SELF, {})).toEqual([]);
    expect(compareNamespaces(plan("--share", "net"), SANDBOX_NS, SELF, {}).map((d) => d.subject)).toEqual(["net"]);
  });

  test("a kind the kernel lacks is not compared", () => {
    const { time: _, ...noTime } = SANDBOX_NS;
    expect(compareNamespaces(plan("--unshare", "time"), noTime, SELF, {})).toEqual([]);
  });
});

describe("compareSecurity", () => {
  test("capabilities beyond the kept mask, no_new_privs off, or no filter are drift", () => {
    expect(compareSecurity(plan(), NONE)).toEqual([]);
    const drift = compareSecurity(plan(), { ...NONE, capEff: 1n << 21n, capBnd: (1n << 21n) | 1n, noNewPrivs: 0, seccomp: 0 });
    expect(drift.map((d) => d.message)).toEqual([
      "CapEff holds CAP_SYS_ADMIN, which the spec does not keep",
      "CapBnd holds CAP_CHOWN, CAP_SYS_ADMIN, which the spec does not keep",
      "NoNewPrivs is 0, the spec sets it",
      "Seccomp is 0, the spec loads a filter (2)",
    ]);
  });

  test("kept capabilities are fine, fewer too; no filter expected with --seccomp none", () => {
    expect(compareSecurity(plan("--cap-add", "SYS_ADMIN"), { ...NONE, capEff: 1n << 21n, capPrm: 1n << 21n, capBnd: 1n << 21n })).toEqual([]);
    expect(compareSecurity(plan("--seccomp", "none"), { ...NONE, seccomp: 0 })).toEqual([]);
  });

  test("parseStatusSecurity reads the hex sets and flags of /proc/PID/status", () => {
    const status = "Name:\tsleep\nCapInh:\t0000000000000000\nCapPrm:\t0000000000200000\nCapEff:\t0000000000200000\nCapBnd:\t0000000000200000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n";
    expect(parseStatusSecurity(status)).toEqual({ capInh: 0n, capPrm: 1n << 21n, capEff: 1n << 21n, capBnd: 1n << 21n, capAmb: 0n, noNewPrivs: 1, seccomp: 2 });
  });
});

describe("checkSandbox", () => {
  test("one check per area, all ok for the sandbox as built", () => {
    const r = checkSandbox(hostRoot(), { ns: SANDBOX_NS, status: NONE, mounts: SANDBOX }, { ns: SELF, joined: {}, mounts: HOST });
    expect(r.drift).toEqual([]);
    expect(r.checks.map((c) => [c.area, c.ok])).toEqual([["namespaces", true], ["capabilities", true], ["no_new_privs", true], ["seccomp", true], ["mounts", true]]);
  });

  test("with the host's mount namespace, mounts are not compared", () => {
    const r = checkSandbox(plan("--share", "mnt"), { ns: { ...SANDBOX_NS, mnt: SELF.mnt }, status: NONE, mounts: HOST }, { ns: SELF, joined: {}, mounts: HOST });
    expect(r.drift).toEqual([]);
    expect(r.checks.find((c) => c.area === "mounts")!.summary).toContain("not compared");
  });
});
