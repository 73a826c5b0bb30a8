import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import {
  checkHost,
  findCgroup2Mount,
  libraryDirs,
  ownCgroupPath,
  parseKernelConfig,
  parseKernelRelease,
  readKernelConfig,
  type CheckResult,
} from "../../src/core/host-check.ts";
import { NS_KINDS } from "../../src/model/schema.ts";
import { fakeFacts, type FakeHost } from "./fake-host.ts";

const FULL_CONFIG = [
  "#",
  "# Automatically generated file; DO NOT EDIT.",
  "CONFIG_CGROUPS=y",
  "CONFIG_NAMESPACES=y",
  "CONFIG_UTS_NS=y",
  "CONFIG_TIME_NS=y",
  "CONFIG_IPC_NS=y",
  "CONFIG_USER_NS=y",
  "CONFIG_PID_NS=y",
  "CONFIG_NET_NS=y",
  "# CONFIG_SECURITY_APPARMOR is not set",
  'CONFIG_LOCALVERSION=""',
].join("\n");

// A cgroup2 mount in a hybrid layout, at a non-standard place, with an optional field.
const MOUNTINFO = [
  "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw",
  "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate",
].join("\n");

const CG = "/sys/fs/cgroup/unified";

/** A host where everything is fine; each test breaks one thing. */
function goodHost(over: FakeHost = {}): FakeHost {
  const files: Record<string, string> = {
    "/proc/self/mountinfo": MOUNTINFO,
    "/proc/self/cgroup": "4:memory:/\n0::/user.slice/user-1000.slice/session-1.scope\n",
    [`${CG}/cgroup.controllers`]: "cpuset cpu io memory hugetlb pids rdma misc\n",
    [`${CG}/cgroup.subtree_control`]: "cpu memory pids\n",
    "/proc/sys/vm/memfd_noexec": "0\n",
    "/usr/lib/x86_64-linux-gnu/libseccomp.so.2": "",
    "/usr/lib/x86_64-linux-gnu/libnftables.so.1": "",
  };
  for (const k of NS_KINDS) files[`/proc/sys/user/max_${k}_namespaces`] = "63499\n";
  return {
    release: "6.18.44-fc-v782",
    uid: 0,
    paths: NS_KINDS.map((k) => `/proc/self/ns/${k}`),
    bytes: { "/proc/config.gz": gzipSync(FULL_CONFIG) },
    ...over,
    files: { ...files, ...over.files },
  };
}

function check(host: FakeHost, item: string): CheckResult {
  const found = checkHost(fakeFacts(host)).find((r) => r.item === item);
  if (!found) throw new Error(`no item '${item}'`);
  return found;
}

describe("host check", () => {
  test("a healthy host is ok on every item, with no fix", () => {
    const results = checkHost(fakeFacts(goodHost()));
    expect(results.filter((r) => r.status !== "ok")).toEqual([]);
    expect(results.every((r) => r.fix === undefined)).toBe(true);
    expect(results.map((r) => r.item)).toContain("namespace time");
  });

  describe("kernel", () => {
    test("releases parse to major and minor", () => {
      expect(parseKernelRelease("6.18.44-fc-v782")).toEqual([6, 18]);
      expect(parseKernelRelease("5.4.0-150-generic")).toEqual([5, 4]);
      expect(parseKernelRelease("weird")).toBeUndefined();
    });
    test("5.10 fails for mount_setattr only", () => {
      const r = check(goodHost({ release: "5.10.0-28-amd64" }), "kernel");
      expect(r.status).toBe("fail");
      expect(r.finding).toContain("mount_setattr (5.12)");
      expect(r.finding).not.toContain("clone3");
      expect(r.fix).toContain("5.12");
    });
    test("5.4 names every missing feature", () => {
      const r = check(goodHost({ release: "5.4.0" }), "kernel");
      expect(r.finding).toContain("openat2 (5.6)");
      expect(r.finding).toContain("CLONE_INTO_CGROUP (5.7)");
      expect(r.finding).not.toContain("clone3");
    });
    test("an unreadable release warns", () => {
      expect(check(goodHost({ release: "custom" }), "kernel").status).toBe("warn");
    });
  });

  describe("kernel config", () => {
    test("parses set options and leaves out 'is not set' comments", () => {
      const c = parseKernelConfig(FULL_CONFIG);
      expect(c.get("CONFIG_NET_NS")).toBe("y");
      expect(c.get("CONFIG_LOCALVERSION")).toBe('""');
      expect(c.has("CONFIG_SECURITY_APPARMOR")).toBe(false);
    });
    test("reads /proc/config.gz through gunzip", () => {
      const config = readKernelConfig(fakeFacts(goodHost()));
      expect(config?.source).toBe("/proc/config.gz");
      expect(config?.options.get("CONFIG_USER_NS")).toBe("y");
      expect(check(goodHost(), "kernel config").finding).toContain("from /proc/config.gz");
    });
    test("a missing namespace option in config.gz fails and names it", () => {
      const gz = gzipSync(FULL_CONFIG.replace("CONFIG_NET_NS=y", "# CONFIG_NET_NS is not set"));
      const r = check(goodHost({ bytes: { "/proc/config.gz": gz } }), "kernel config");
      expect(r.status).toBe("fail");
      expect(r.finding).toContain("CONFIG_NET_NS not set");
      expect(r.fix).toContain("CONFIG_NET_NS=y");
    });
    test("only CONFIG_TIME_NS missing is a warning", () => {
      const gz = gzipSync(FULL_CONFIG.replace("CONFIG_TIME_NS=y", ""));
      const r = check(goodHost({ bytes: { "/proc/config.gz": gz } }), "kernel config");
      expect(r.status).toBe("warn");
      expect(r.finding).toContain("--unshare time");
    });
    test("falls back to /boot/config-RELEASE, also when config.gz is corrupt", () => {
      const boot = { "/boot/config-6.18.44-fc-v782": FULL_CONFIG.replace("CONFIG_PID_NS=y", "") };
      for (const bytes of [{}, { "/proc/config.gz": new Uint8Array([1, 2, 3]) }] as Record<string, Uint8Array>[]) {
        const r = check(goodHost({ bytes, files: boot }), "kernel config");
        expect(r.status).toBe("fail");
        expect(r.finding).toContain("CONFIG_PID_NS not set (from /boot/config-6.18.44-fc-v782)");
      }
    });
    test("without any config, judges from /proc/self/ns and says so", () => {
      const ok = check(goodHost({ bytes: {} }), "kernel config");
      expect(ok.status).toBe("ok");
      expect(ok.finding).toContain("judged from /proc/self/ns");
      const noIpc = check(goodHost({ bytes: {}, paths: NS_KINDS.filter((k) => k !== "ipc").map((k) => `/proc/self/ns/${k}`) }), "kernel config");
      expect(noIpc.status).toBe("fail");
      expect(noIpc.finding).toContain("CONFIG_IPC_NS not set");
    });
  });

  describe("namespaces", () => {
    const without = (kind: string) => NS_KINDS.filter((k) => k !== kind).map((k) => `/proc/self/ns/${k}`);
    test("a missing kind fails, except time which warns", () => {
      expect(check(goodHost({ paths: without("net") }), "namespace net").status).toBe("fail");
      expect(check(goodHost({ paths: without("time") }), "namespace time").status).toBe("warn");
    });
    test("a zero limit fails with the sysctl fix", () => {
      const r = check(goodHost({ files: { "/proc/sys/user/max_pid_namespaces": "0\n" } }), "namespace pid");
      expect(r.status).toBe("fail");
      expect(r.finding).toContain("user.max_pid_namespaces is 0");
      expect(r.fix).toMatch(/^sysctl -w user\.max_pid_namespaces=\d+/);
    });
    test("the limit is reported", () => {
      expect(check(goodHost(), "namespace user").finding).toBe("available, up to 63499 (user.max_user_namespaces)");
    });
  });

  describe("unprivileged user namespaces", () => {
    test("allowed when no knob blocks them", () => {
      expect(check(goodHost({ uid: 1000, owners: {} }), "unprivileged userns").status).toBe("ok");
    });
    test("Debian's unprivileged_userns_clone=0 fails rootless and warns root", () => {
      const files = { "/proc/sys/kernel/unprivileged_userns_clone": "0\n" };
      const rootless = check(goodHost({ uid: 1000, files }), "unprivileged userns");
      expect(rootless.status).toBe("fail");
      expect(rootless.finding).toContain("kernel.unprivileged_userns_clone=0");
      expect(rootless.fix).toContain("sysctl -w kernel.unprivileged_userns_clone=1");
      expect(check(goodHost({ files }), "unprivileged userns").status).toBe("warn");
    });
    test("Ubuntu's AppArmor restriction and a zero user-namespace limit are both named", () => {
      const files = { "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n", "/proc/sys/user/max_user_namespaces": "0\n" };
      const r = check(goodHost({ uid: 1000, files }), "unprivileged userns");
      expect(r.status).toBe("fail");
      expect(r.finding).toContain("kernel.apparmor_restrict_unprivileged_userns=1");
      expect(r.finding).toContain("user.max_user_namespaces=0");
      expect(r.fix).toContain("AppArmor profile");
    });
    test("unprivileged_userns_clone=1 does not block", () => {
      expect(check(goodHost({ uid: 1000, files: { "/proc/sys/kernel/unprivileged_userns_clone": "1\n" } }), "unprivileged userns").status).toBe("ok");
    });
  });

  describe("cgroup v2", () => {
    test("finds cgroup2 wherever it is mounted", () => {
      expect(findCgroup2Mount(MOUNTINFO)?.mountPoint).toBe(CG);
      const elsewhere = "50 1 0:40 / /mnt/my\\040cgroups rw - cgroup2 none rw";
      expect(findCgroup2Mount(elsewhere)?.mountPoint).toBe("/mnt/my cgroups");
      expect(check(goodHost(), "cgroup v2").finding).toStartWith(`mounted at ${CG} (hybrid layout`);
    });
    test("no cgroup2 mount warns on every cgroup item", () => {
      const host = goodHost({ files: { "/proc/self/mountinfo": MOUNTINFO.split("\n").slice(0, 3).join("\n") } });
      for (const item of ["cgroup v2", "cgroup controllers", "cgroup delegation"]) {
        const r = check(host, item);
        expect(r.status).toBe("warn");
        expect(r.fix).toContain("cgroup2");
      }
    });
    test("controllers bound to cgroup v1 are reported as unavailable", () => {
      const r = check(goodHost({ files: { [`${CG}/cgroup.controllers`]: "cpu pids hugetlb\n" } }), "cgroup controllers");
      expect(r.status).toBe("warn");
      expect(r.finding).toContain("memory not available");
      expect(r.finding).toContain("bound to cgroup v1 at /sys/fs/cgroup/memory");
      expect(r.fix).toContain("systemd.unified_cgroup_hierarchy=1");
    });
    test("available but not enabled in subtree_control warns with the echo fix", () => {
      const r = check(goodHost({ files: { [`${CG}/cgroup.subtree_control`]: "memory\n" } }), "cgroup controllers");
      expect(r.status).toBe("warn");
      expect(r.finding).toContain("pids, cpu not enabled");
      expect(r.fix).toBe(`echo '+pids +cpu' > ${CG}/cgroup.subtree_control`);
    });
    test("the own cgroup comes from the 0:: line", () => {
      expect(ownCgroupPath("1:name=systemd:/\n0::/a/b\n")).toBe("/a/b");
      expect(ownCgroupPath("1:cpu:/\n")).toBeUndefined();
    });
    test("rootless delegation depends on who owns the cgroup directory", () => {
      const dir = `${CG}/user.slice/user-1000.slice/session-1.scope`;
      const mine = check(goodHost({ uid: 1000, owners: { [dir]: 1000 } }), "cgroup delegation");
      expect(mine.status).toBe("ok");
      expect(mine.finding).toContain(dir);
      const roots = check(goodHost({ uid: 1000, owners: { [dir]: 0 } }), "cgroup delegation");
      expect(roots.status).toBe("warn");
      expect(roots.finding).toContain("belongs to uid 0");
      expect(roots.fix).toContain("Delegate=yes");
    });
  });

  describe("memfd, libraries, privileges", () => {
    test("memfd_noexec 2 warns about the cache-file fallback; absent or 1 is ok", () => {
      const two = check(goodHost({ files: { "/proc/sys/vm/memfd_noexec": "2\n" } }), "memfd exec");
      expect(two.status).toBe("warn");
      expect(two.finding).toContain("cache file");
      expect(check(goodHost({ files: { "/proc/sys/vm/memfd_noexec": "1\n" } }), "memfd exec").status).toBe("ok");
      const host = goodHost();
      delete host.files!["/proc/sys/vm/memfd_noexec"];
      expect(check(host, "memfd exec").status).toBe("ok");
    });
    test("missing libraries warn with the Debian package", () => {
      const host = goodHost();
      delete host.files!["/usr/lib/x86_64-linux-gnu/libseccomp.so.2"];
      const r = check(host, "libseccomp");
      expect(r.status).toBe("warn");
      expect(r.fix).toContain("libseccomp2");
      expect(check(host, "libnftables").status).toBe("ok");
    });
    test("libraries are looked for in this machine's multiarch directory", () => {
      expect(libraryDirs("aarch64")).toContain("/usr/lib/aarch64-linux-gnu");
      expect(libraryDirs("x86_64")).toEqual(["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib"]);
      const arm = goodHost({ machine: "aarch64", files: { "/lib/aarch64-linux-gnu/libnftables.so.1": "" } });
      expect(check(arm, "libnftables").finding).toBe("found /lib/aarch64-linux-gnu/libnftables.so.1");
      expect(check(arm, "libseccomp").status).toBe("warn");
    });
    test("rootless says what works", () => {
      expect(check(goodHost(), "privileges").finding).toContain("root");
      expect(check(goodHost({ uid: 1000 }), "privileges").finding).toContain("rootless (uid 1000)");
    });
  });
});
