// Can this host run nsbox, and what will it get? Each requirement is one entry of HOST_CHECKS: an
// item name and a function from HostFacts to a finding. The checks only read; they never try a
// syscall (probing with unshare from Bun's threaded process would lie, see DESIGN.md §2).
import { NS_KINDS, type NsKind } from "../model/schema.ts";
import type { HostFacts } from "./host-facts.ts";
import { parseMountinfo, type MountInfo } from "./mountinfo.ts";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  item: string;
  status: CheckStatus;
  /** What was found, in one line. */
  finding: string;
  /** How to fix it, when the status is not ok and there is something to do. */
  fix?: string;
}

export interface HostCheck {
  item: string;
  run(facts: HostFacts): Omit<CheckResult, "item">;
}

// The default sandbox shares the host's time namespace (spec/schema.ts): a kernel without time
// namespaces loses only `--unshare time`, so its absence is a warning, not a failure.
const OPTIONAL_KINDS: ReadonlySet<NsKind> = new Set(["time"]);

const result = (status: CheckStatus, finding: string, fix?: string): Omit<CheckResult, "item"> => (fix ? { status, finding, fix } : { status, finding });

function readTrimmed(facts: HostFacts, path: string): string | undefined {
  return facts.readFile(path)?.trim();
}

// ---- kernel version -------------------------------------------------------------------------

/** The kernel interfaces nsbox uses and the release that brought each. */
export const KERNEL_FEATURES: readonly { name: string; since: readonly [number, number] }[] = [
  { name: "new mount API (fsopen, move_mount)", since: [5, 2] },
  { name: "clone3", since: [5, 3] },
  { name: "openat2", since: [5, 6] },
  { name: "CLONE_INTO_CGROUP", since: [5, 7] },
  // Read-only binds are made with mount_setattr(AT_RECURSIVE): the newest thing nsbox needs.
  { name: "mount_setattr", since: [5, 12] },
];

/** "6.18.44-fc-v782" → [6, 18]; undefined when it does not start with MAJOR.MINOR. */
export function parseKernelRelease(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function checkKernel(facts: HostFacts): Omit<CheckResult, "item"> {
  const { release } = facts.uname();
  const version = parseKernelRelease(release);
  if (!version) return result("warn", `cannot read a version from release '${release}'; nsbox needs 5.12 or newer`);
  const [major, minor] = version;
  const missing = KERNEL_FEATURES.filter(({ since: [ma, mi] }) => major < ma || (major === ma && minor < mi));
  if (missing.length === 0) return result("ok", `${release} (5.12 or newer: mount_setattr, openat2, clone3, CLONE_INTO_CGROUP, new mount API)`);
  const names = missing.map((f) => `${f.name} (${f.since.join(".")})`).join(", ");
  return result("fail", `${release} lacks ${names}`, "boot a 5.12 or newer kernel");
}

// ---- kernel config --------------------------------------------------------------------------

/** The options nsbox's namespaces need. Mount namespaces have no option: they always exist. */
const CONFIG_OPTIONS: readonly { option: string; kind?: NsKind }[] = [
  { option: "CONFIG_NAMESPACES" },
  { option: "CONFIG_UTS_NS", kind: "uts" },
  { option: "CONFIG_IPC_NS", kind: "ipc" },
  { option: "CONFIG_USER_NS", kind: "user" },
  { option: "CONFIG_PID_NS", kind: "pid" },
  { option: "CONFIG_NET_NS", kind: "net" },
  { option: "CONFIG_TIME_NS", kind: "time" },
  // There is no CONFIG_CGROUP_NS: cgroup namespaces are built whenever cgroups are
  // (kernel/cgroup/namespace.c is obj-y under CONFIG_CGROUPS).
  { option: "CONFIG_CGROUPS", kind: "cgroup" },
];

/** `CONFIG_X=value` lines of a kernel .config; `# CONFIG_X is not set` and comments are left out. */
export function parseKernelConfig(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) options.set(m[1]!, m[2]!);
  }
  return options;
}

/** The running kernel's config and where it came from, or undefined when none is readable. */
export function readKernelConfig(facts: HostFacts): { source: string; options: Map<string, string> } | undefined {
  const gz = facts.readBytes("/proc/config.gz");
  if (gz) {
    try {
      return { source: "/proc/config.gz", options: parseKernelConfig(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(gz)))) };
    } catch {
      // A corrupt or truncated config.gz: try /boot instead.
    }
  }
  const boot = `/boot/config-${facts.uname().release}`;
  const text = facts.readFile(boot);
  return text === undefined ? undefined : { source: boot, options: parseKernelConfig(text) };
}

function checkKernelConfig(facts: HostFacts): Omit<CheckResult, "item"> {
  const config = readKernelConfig(facts);
  // Without a config, an option is judged by its namespace being visible in /proc/self/ns
  // (CONFIG_NAMESPACES by any namespace other than mnt, which exists regardless).
  const nsVisible = (k: NsKind) => facts.exists(`/proc/self/ns/${k}`);
  const isSet = (o: (typeof CONFIG_OPTIONS)[number]): boolean =>
    config ? config.options.get(o.option) === "y" : o.kind ? nsVisible(o.kind) : NS_KINDS.some((k) => k !== "mnt" && nsVisible(k));
  const missing = CONFIG_OPTIONS.filter((o) => !isSet(o));
  const source = config ? `from ${config.source}` : `no kernel config (/proc/config.gz, /boot/config-${facts.uname().release}): judged from /proc/self/ns`;
  if (missing.length === 0) return result("ok", `${CONFIG_OPTIONS.map((o) => o.option).join(", ")} set (${source})`);
  const names = missing.map((o) => o.option).join(", ");
  const fix = `use a kernel built with ${missing.map((o) => `${o.option}=y`).join(" ")}`;
  const onlyOptional = missing.every((o) => o.kind && OPTIONAL_KINDS.has(o.kind));
  if (onlyOptional) return result("warn", `${names} not set (${source}): --unshare ${missing.map((o) => o.kind).join(",")} is unavailable`, fix);
  return result("fail", `${names} not set (${source})`, fix);
}

// ---- namespaces -------------------------------------------------------------------------------

// A generous limit to suggest; the kernel's own default is half of threads-max.
const SUGGESTED_NS_LIMIT = 15000;

function checkNamespace(kind: NsKind): HostCheck {
  return {
    item: `namespace ${kind}`,
    run(facts) {
      const bad: CheckStatus = OPTIONAL_KINDS.has(kind) ? "warn" : "fail";
      const sysctl = `user.max_${kind}_namespaces`;
      if (!facts.exists(`/proc/self/ns/${kind}`))
        return result(bad, `the kernel has no ${kind} namespaces (/proc/self/ns/${kind} is missing)`, "use a kernel with this namespace type built in");
      const limit = readTrimmed(facts, `/proc/sys/user/max_${kind}_namespaces`);
      if (limit === "0") return result(bad, `available, but ${sysctl} is 0: none can be created`, `sysctl -w ${sysctl}=${SUGGESTED_NS_LIMIT} (persist it in /etc/sysctl.d/)`);
      return result("ok", limit === undefined ? "available" : `available, up to ${limit} (${sysctl})`);
    },
  };
}

// ---- unprivileged user namespaces -------------------------------------------------------------

/** What keeps an unprivileged user from creating a user namespace here; empty when nothing does. */
export function rootlessBlockers(facts: HostFacts): { finding: string; fix: string }[] {
  const blockers: { finding: string; fix: string }[] = [];
  if (!facts.exists("/proc/self/ns/user")) blockers.push({ finding: "the kernel has no user namespaces", fix: "use a kernel built with CONFIG_USER_NS=y" });
  // Debian's and Ubuntu's own patch; absent on mainline kernels, which always allow it.
  if (readTrimmed(facts, "/proc/sys/kernel/unprivileged_userns_clone") === "0")
    blockers.push({ finding: "kernel.unprivileged_userns_clone=0", fix: "sysctl -w kernel.unprivileged_userns_clone=1" });
  // Ubuntu 23.10+: the namespace is created but gets no capabilities unless an AppArmor profile
  // allows it, so mounts inside fail.
  if (readTrimmed(facts, "/proc/sys/kernel/apparmor_restrict_unprivileged_userns") === "1")
    blockers.push({
      finding: "kernel.apparmor_restrict_unprivileged_userns=1",
      fix: "give nsbox an AppArmor profile with a `userns,` rule (or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)",
    });
  if (readTrimmed(facts, "/proc/sys/user/max_user_namespaces") === "0")
    blockers.push({ finding: "user.max_user_namespaces=0", fix: `sysctl -w user.max_user_namespaces=${SUGGESTED_NS_LIMIT}` });
  return blockers;
}

function checkUnprivilegedUserns(facts: HostFacts): Omit<CheckResult, "item"> {
  const blockers = rootlessBlockers(facts);
  if (blockers.length === 0) return result("ok", "allowed: rootless nsbox can create its user namespace");
  // Root does not need unprivileged user namespaces, so for root this is only a warning.
  const status: CheckStatus = facts.uid() === 0 ? "warn" : "fail";
  return result(status, `blocked by ${blockers.map((b) => b.finding).join(", ")}: rootless nsbox will not work`, blockers.map((b) => b.fix).join("; "));
}

// ---- cgroup v2 ------------------------------------------------------------------------------

/** The controllers nsbox's cgroup limits use. */
export const CGROUP_CONTROLLERS = ["memory", "pids", "cpu"] as const;

/** The first cgroup2 mount in a mountinfo text, wherever it is (/sys/fs/cgroup, .../unified, ...). */
export function findCgroup2Mount(mountinfo: string): MountInfo | undefined {
  return parseMountinfo(mountinfo).find((m) => m.fstype === "cgroup2");
}

function cgroup2Mount(facts: HostFacts): MountInfo | undefined {
  const text = facts.readFile("/proc/self/mountinfo");
  return text === undefined ? undefined : findCgroup2Mount(text);
}

const NO_CGROUP2 = result(
  "warn",
  "no cgroup2 mount in /proc/self/mountinfo: cgroup limits are unavailable",
  "mount -t cgroup2 none /sys/fs/cgroup (or boot with systemd.unified_cgroup_hierarchy=1)",
);

function checkCgroup2(facts: HostFacts): Omit<CheckResult, "item"> {
  const mount = cgroup2Mount(facts);
  if (!mount) return NO_CGROUP2;
  const v1 = parseMountinfo(facts.readFile("/proc/self/mountinfo") ?? "").filter((m) => m.fstype === "cgroup");
  return result("ok", `mounted at ${mount.mountPoint}${v1.length > 0 ? ` (hybrid layout: ${v1.length} cgroup v1 hierarchies beside it)` : ""}`);
}

function checkCgroupControllers(facts: HostFacts): Omit<CheckResult, "item"> {
  const mount = cgroup2Mount(facts);
  if (!mount) return NO_CGROUP2;
  const words = (file: string) => new Set((readTrimmed(facts, `${mount.mountPoint}/${file}`) ?? "").split(/\s+/).filter(Boolean));
  const available = words("cgroup.controllers");
  const enabled = words("cgroup.subtree_control");
  const absent = CGROUP_CONTROLLERS.filter((c) => !available.has(c));
  if (absent.length > 0) {
    // In a hybrid layout a controller bound to a v1 hierarchy can not appear in v2.
    const inV1 = parseMountinfo(facts.readFile("/proc/self/mountinfo") ?? "")
      .filter((m) => m.fstype === "cgroup" && absent.some((c) => m.superOptions.split(",").includes(c)))
      .map((m) => m.mountPoint);
    const why = inV1.length > 0 ? `; bound to cgroup v1 at ${inV1.join(", ")}` : "";
    return result(
      "warn",
      `${absent.join(", ")} not available in ${mount.mountPoint}/cgroup.controllers${why}: those cgroup limits are unavailable`,
      inV1.length > 0 ? "boot with systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1=all) so v2 gets the controllers" : "use a kernel with these cgroup controllers",
    );
  }
  const disabled = CGROUP_CONTROLLERS.filter((c) => !enabled.has(c));
  if (disabled.length > 0)
    return result(
      "warn",
      `${CGROUP_CONTROLLERS.join(", ")} available, but ${disabled.join(", ")} not enabled in ${mount.mountPoint}/cgroup.subtree_control`,
      `echo '${disabled.map((c) => `+${c}`).join(" ")}' > ${mount.mountPoint}/cgroup.subtree_control`,
    );
  return result("ok", `${CGROUP_CONTROLLERS.join(", ")} available and enabled in ${mount.mountPoint}`);
}

/** This process's cgroup v2 path from /proc/self/cgroup (the `0::PATH` line). */
export function ownCgroupPath(procSelfCgroup: string): string | undefined {
  const line = procSelfCgroup.split("\n").find((l) => l.startsWith("0::"));
  return line?.slice(3).trim() || undefined;
}

function checkCgroupDelegation(facts: HostFacts): Omit<CheckResult, "item"> {
  const mount = cgroup2Mount(facts);
  if (!mount) return NO_CGROUP2;
  const uid = facts.uid();
  if (uid === 0) return result("ok", `running as root: nsbox can create cgroups under ${mount.mountPoint}`);
  const own = ownCgroupPath(facts.readFile("/proc/self/cgroup") ?? "");
  if (!own) return result("warn", "no cgroup v2 entry in /proc/self/cgroup: cgroup limits are unavailable");
  // /proc/self/cgroup is relative to our cgroup namespace root, which is what the mount shows
  // when its root is "/"; a mount of a sub-tree shows paths below its root.
  const relative = mount.root !== "/" && own.startsWith(mount.root) ? own.slice(mount.root.length) : own;
  const dir = `${mount.mountPoint}${relative === "/" ? "" : relative}`;
  const owner = facts.ownerOf(dir);
  if (owner === uid) return result("ok", `${dir} is yours (delegated): rootless cgroup limits work`);
  const fix = "run nsbox in a delegated unit: systemd-run --user --scope -p Delegate=yes nsbox run ...";
  if (owner === undefined) return result("warn", `cannot stat your cgroup ${dir}: rootless cgroup limits are unavailable`, fix);
  return result("warn", `your cgroup ${dir} belongs to uid ${owner}, not you: rootless cgroup limits are unavailable`, fix);
}

// ---- memfd, libraries, privileges --------------------------------------------------------------

function checkMemfdExec(facts: HostFacts): Omit<CheckResult, "item"> {
  const value = readTrimmed(facts, "/proc/sys/vm/memfd_noexec");
  if (value === undefined) return result("ok", "vm.memfd_noexec not present (kernel before 6.3): the stage runs from a sealed memfd");
  if (value === "0" || value === "1") return result("ok", `vm.memfd_noexec=${value}: the stage runs from a sealed memfd created with MFD_EXEC`);
  if (value === "2")
    // No fix offered: 2 is a deliberate hardening policy, and the fallback keeps nsbox working.
    return result(
      "warn",
      "vm.memfd_noexec=2: executable memfds are refused; nsbox falls back to a private cache file (/run/nsbox/stage for root, $XDG_RUNTIME_DIR/nsbox/stage otherwise)",
    );
  return result("warn", `vm.memfd_noexec has an unknown value '${value}'`);
}

// Debian multiarch triplets by uname machine; other distributions use lib64 or plain lib.
const MULTIARCH: Readonly<Record<string, string>> = {
  x86_64: "x86_64-linux-gnu",
  aarch64: "aarch64-linux-gnu",
  arm64: "aarch64-linux-gnu",
  armv7l: "arm-linux-gnueabihf",
  i686: "i386-linux-gnu",
  i386: "i386-linux-gnu",
  ppc64le: "powerpc64le-linux-gnu",
  s390x: "s390x-linux-gnu",
  riscv64: "riscv64-linux-gnu",
  loongarch64: "loongarch64-linux-gnu",
};

/** The standard directories a shared library is looked for in, for this machine. */
export function libraryDirs(machine: string): string[] {
  const triplet = MULTIARCH[machine];
  return [...(triplet ? [`/usr/lib/${triplet}`, `/lib/${triplet}`] : []), "/usr/lib64", "/lib64", "/usr/lib", "/lib"];
}

// Found by file name, not dlopen: bun:ffi may only be imported in core/sys, and a check must not
// load code into the process. A library installed elsewhere (ld.so.conf) is reported missing.
function checkLibrary(soname: string, debianPackage: string, without: string): HostCheck {
  return {
    item: soname.replace(/\.so\..*$/, ""),
    run(facts) {
      const dirs = libraryDirs(facts.uname().machine);
      const found = dirs.map((d) => `${d}/${soname}`).find((p) => facts.exists(p));
      if (found) return result("ok", `found ${found}`);
      return result("warn", `${soname} not found in ${dirs.join(", ")}: ${without}`, `apt-get install ${debianPackage} (Debian/Ubuntu)`);
    },
  };
}

function checkPrivileges(facts: HostFacts): Omit<CheckResult, "item"> {
  const uid = facts.uid();
  if (uid === 0) return result("ok", "running as root: every feature is available");
  return result(
    "ok",
    `rootless (uid ${uid}): sandboxes map only your own uid and gid (no --map-users, no --map-host-root); ` +
      "network is none, loopback or host (zones need root for veth and nftables); cgroup limits need a delegated cgroup",
  );
}

// ---- the list ---------------------------------------------------------------------------------

/** Every check `nsbox check` runs, in the order it prints them. */
export const HOST_CHECKS: readonly HostCheck[] = [
  { item: "kernel", run: checkKernel },
  { item: "kernel config", run: checkKernelConfig },
  ...NS_KINDS.map(checkNamespace),
  { item: "unprivileged userns", run: checkUnprivilegedUserns },
  { item: "cgroup v2", run: checkCgroup2 },
  { item: "cgroup controllers", run: checkCgroupControllers },
  { item: "cgroup delegation", run: checkCgroupDelegation },
  { item: "memfd exec", run: checkMemfdExec },
  checkLibrary("libseccomp.so.2", "libseccomp2", "seccomp policies cannot be compiled"),
  checkLibrary("libnftables.so.1", "libnftables1", "zone networking (NAT, firewall) is unavailable"),
  { item: "privileges", run: checkPrivileges },
];

/** Runs the checks in order; one result per check. */
export function checkHost(facts: HostFacts, checks: readonly HostCheck[] = HOST_CHECKS): CheckResult[] {
  return checks.map((c) => ({ item: c.item, ...c.run(facts) }));
}
