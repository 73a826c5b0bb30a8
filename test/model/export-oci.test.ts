import { describe, expect, test } from "bun:test";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { ociBundle, ociConfigJson, type HostRootEntry, type OciFacts, type OciMount } from "../../src/model/export-oci.ts";
import { ociSeccomp } from "../../src/model/export-oci-seccomp.ts";
import { seccompRules, type SeccompPolicy } from "../../src/model/seccomp-policy.ts";
import { rootCtx, userCtx } from "../helpers.ts";

const hostRoot: HostRootEntry[] = [
  { name: "bin", type: "symlink", target: "usr/bin" },
  { name: "dev", type: "dir", othersCanEnter: true },
  { name: "etc", type: "dir", othersCanEnter: true },
  { name: "lost+found", type: "dir", othersCanEnter: false },
  { name: "proc", type: "dir", othersCanEnter: true },
  { name: "tmp", type: "dir", othersCanEnter: true },
  { name: "usr", type: "dir", othersCanEnter: true },
  { name: "vmlinuz", type: "other" },
];
const facts: OciFacts = { arch: "SCMP_ARCH_X86_64", hostRoot, exists: (p) => p !== "/missing" };
const bundle = (...args: string[]) => ociBundle(planFromArgs([...args, "--", "app", "-v"], [], "nsbox run", { ...rootCtx, env: {} }).spec, facts);
const linux = (b: ReturnType<typeof bundle>) => b.config.linux as Record<string, any>;
const mounts = (b: ReturnType<typeof bundle>) => b.config.mounts as OciMount[];

describe("ociBundle", () => {
  test("the host root becomes one read-only bind per top-level directory and its symlinks", () => {
    const b = bundle("--root", "host");
    const binds = mounts(b).filter((m) => m.type === "bind");
    // /dev, /proc and /tmp have steps of their own; /lost+found only root may enter.
    expect(binds.map((m) => m.destination)).toEqual(["/etc", "/usr"]);
    expect(binds[0]!.options).toEqual(["rbind", "nosuid", "nodev", "rro"]);
    expect(b.rootfs.symlinks).toEqual([{ path: "/bin", target: "usr/bin" }]);
    expect(b.rootfs.dirs).toEqual(["/lost+found"]);
    expect(b.config.root).toEqual({ path: "rootfs", readonly: true });
  });

  test("the os root: the OS trees bound, its links and directories made in the bundle's rootfs", () => {
    const b = bundle("--root", "os");
    const binds = mounts(b).filter((m) => m.type === "bind").map((m) => m.destination);
    expect(binds).toContain("/usr");
    expect(binds).toContain("/etc");
    expect(binds).not.toContain("/home");
    expect(b.rootfs.dirs).toContain("/var");
    expect(b.rootfs.symlinks).toContainEqual({ path: "/var/run", target: "../run" });
    expect(b.config.root).toEqual({ path: "rootfs", readonly: true });
  });

  test("the default sandbox: namespaces, id map, private mounts, masks, no capabilities", () => {
    const b = bundle();
    expect(linux(b).namespaces.map((n: { type: string }) => n.type)).toEqual(["user", "mount", "pid", "network", "uts", "ipc", "cgroup"]);
    expect(linux(b).uidMappings).toEqual([{ containerID: 0, hostID: 1879048192, size: 65536 }]);
    expect(linux(b).maskedPaths).toContain("/proc/kcore");
    expect(linux(b).readonlyPaths).toContain("/proc/sys");
    expect(linux(b).rootfsPropagation).toBe("slave");
    const types = mounts(b).filter((m) => m.type !== "bind").map((m) => `${m.type} ${m.destination}`);
    expect(types).toEqual(["tmpfs /dev", "devpts /dev/pts", "tmpfs /dev/shm", "proc /proc", "tmpfs /tmp", "tmpfs /run", "tmpfs /var/tmp"]);
    const process = b.config.process as Record<string, any>;
    expect(process.args).toEqual(["app", "-v"]);
    expect(process.env).toEqual(["PATH=/usr/local/bin:/usr/bin:/bin"]);
    expect(process.capabilities.effective).toEqual([]);
    expect(process.noNewPrivileges).toBe(true);
    expect(b.config.hostname).toBe("nsbox");
    expect(b.notes.some((n) => n.includes("PID-1 init"))).toBe(true);
  });

  test("flags: binds, shared namespaces, limits, rlimits, capabilities, env", () => {
    const b = bundle(
      "--bind", "/srv/data", "/data", "--ro-bind-try", "/missing", "/m", "--share", "net", "--memory", "64M", "--pids", "32", "--cpu", "0.5",
      "--rlimit", "NOFILE=1024:inf", "--cap-add", "net_bind_service", "--uid", "1000", "--gid", "1000", "--setenv", "PATH", "/bin",
    );
    expect(mounts(b).find((m) => m.destination === "/data")).toEqual({ destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "nosuid", "nodev"] });
    expect(mounts(b).some((m) => m.destination === "/m")).toBe(false);
    expect(b.notes.some((n) => n.includes("/missing"))).toBe(true);
    expect(linux(b).namespaces.map((n: { type: string }) => n.type)).not.toContain("network");
    expect(linux(b).resources).toEqual({ memory: { limit: 64 * 1024 ** 2 }, pids: { limit: 32 }, cpu: { quota: 50000, period: 100000 } });
    const process = b.config.process as Record<string, any>;
    expect(process.user).toEqual({ uid: 1000, gid: 1000 });
    expect(process.capabilities.ambient).toEqual(["CAP_NET_BIND_SERVICE"]);
    expect(process.env).toEqual(["PATH=/bin"]);
    // RLIM_INFINITY is 2^64-1: written as an exact integer.
    expect(ociConfigJson(b.config)).toContain('"hard": 18446744073709551615');
  });

  test("an empty root: the bundle's own directory with the steps' dirs and symlinks", () => {
    const b = bundle("--root", "empty", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--dir", "/data", "--dir", "/usr/x");
    expect(mounts(b).filter((m) => m.type === "bind").map((m) => m.destination)).toEqual(["/usr"]);
    expect(b.rootfs.symlinks).toEqual([{ path: "/bin", target: "usr/bin" }]);
    expect(b.rootfs.dirs).toEqual(["/data"]);
    expect(b.notes.some((n) => n.startsWith("dir /usr/x"))).toBe(true);
  });

  test("a state directory and an idmapped bind: bound, with notes", () => {
    const b = bundle("--state", "/var/lib/app", "--idmap-bind", "/srv/data", "/data", "0:1000");
    expect(mounts(b).map((m) => m.destination)).toContain("/var/lib/app");
    expect(b.notes.some((n) => n.startsWith("state directory /var/lib/app"))).toBe(true);
    expect(b.notes.some((n) => n.startsWith("idmapped bind /srv/data"))).toBe(true);
  });

  test("rootless: the caller's own id, mapped once", () => {
    const spec = planFromArgs(["--map-root", "--", "true"], [], "nsbox run", { ...userCtx, env: {} }).spec;
    expect((ociBundle(spec, facts).config.linux as Record<string, any>).uidMappings).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
  });
});

describe("ociSeccomp", () => {
  const policy: SeccompPolicy = { base: "default", allow: [], deny: [], allowUserns: false, errno: "EPERM" };

  test("the same rules as the stage's filter, whole denials grouped by errno", () => {
    const oci = ociSeccomp(policy, "SCMP_ARCH_X86_64")!;
    expect(oci.defaultAction).toBe("SCMP_ACT_ALLOW");
    expect(oci.architectures).toEqual(["SCMP_ARCH_X86_64"]);
    const rules = seccompRules(policy);
    const named = oci.syscalls.flatMap((s) => s.names.map((n) => `${n}:${s.errnoRet}:${JSON.stringify(s.args ?? [])}`));
    expect(named.length).toBe(rules.length);
    const eperm = oci.syscalls.find((s) => s.errnoRet === 1 && !s.args)!;
    expect(eperm.names).toContain("mount");
    expect(oci.syscalls.find((s) => s.errnoRet === 38 && !s.args)!.names).toContain("clone3");
  });

  test("argument rules keep their 32-bit masked compare (CVE-2019-10063)", () => {
    const oci = ociSeccomp(policy, "SCMP_ARCH_AARCH64")!;
    const tiocsti = oci.syscalls.find((s) => s.names[0] === "ioctl" && s.args?.[0]?.valueTwo === 0x5412);
    expect(tiocsti?.args).toEqual([{ index: 1, value: 0xffffffff, valueTwo: 0x5412, op: "SCMP_CMP_MASKED_EQ" }]);
    const userns = oci.syscalls.find((s) => s.names[0] === "unshare");
    expect(userns?.args).toEqual([{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: "SCMP_CMP_MASKED_EQ" }]);
  });

  test("no filter: no seccomp section", () => {
    expect(ociSeccomp({ ...policy, base: "none" }, "SCMP_ARCH_X86_64")).toBeUndefined();
  });
});
