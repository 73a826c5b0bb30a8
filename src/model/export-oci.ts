// A normalised spec as an OCI runtime bundle (runtime-spec 1.2 config.json plus the rootfs
// directory): namespaces, id maps, the mount steps in order, masked and read-only paths, the
// seccomp policy, capabilities, rlimits, cgroup limits and no_new_privs. What OCI cannot say is
// returned as notes. Pure: the host facts it needs (the host root's top level, which paths exist)
// come in as data, and the CLI writes the files.
import { describePublish } from "./publish.ts";
import type { NormalSpec } from "./normalize.ts";
import type { MountStep, NsKind } from "./schema.ts";
import { blocksNestedUserns } from "./userns.ts";
import { ociSeccomp, type OciSeccomp } from "./export-oci-seccomp.ts";

export const OCI_VERSION = "1.2.0";

/** The stage's PATH when the spec's environment has none (WIRE.md `argv`). */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
const RLIM_INFINITY = 2n ** 64n - 1n;

/** runtime-spec config-linux.md namespace types. */
const OCI_NS_TYPE: Record<NsKind, string> = {
  user: "user", mnt: "mount", pid: "pid", net: "network", uts: "uts", ipc: "ipc", cgroup: "cgroup", time: "time",
};

/** One entry of the host root's top level (`ls -l /`). */
export interface HostRootEntry {
  name: string;
  type: "dir" | "symlink" | "other";
  /** A symlink's target. */
  target?: string;
  /** A directory others may enter (mode o+x); root-only ones (/lost+found, /root) are not bound. */
  othersCanEnter?: boolean;
}

export interface OciFacts {
  /** SCMP_ARCH_* of this machine (export-oci-seccomp.ts OCI_SECCOMP_ARCH). */
  arch: string;
  /** The host root's top level: a bind of `/` becomes one bind per directory and a symlink per link. */
  hostRoot: readonly HostRootEntry[];
  /** Whether a host path exists (optional binds are left out when their source is missing). */
  exists(path: string): boolean;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciBundle {
  /** config.json as a value; numbers above 2^53 are bigints (`ociConfigJson` writes them exactly). */
  config: Record<string, unknown>;
  /** What to create in the bundle's rootfs directory before the root is made read-only. */
  rootfs: { dirs: string[]; symlinks: { path: string; target: string }[] };
  /** What the sandbox has and OCI cannot express, one line each. */
  notes: string[];
}

/** A bind of `/` at `/`: the host root, read-only unless the spec says otherwise. */
const isHostRoot = (m: MountStep) => m.kind === "bind" && m.src === "/" && m.dst === "/";

function bindOptions(readonly: boolean, devices: boolean): string[] {
  // "rro" is recursive read-only (runtime-spec 1.1, mount_setattr AT_RECURSIVE): nsbox's binds
  // are read-only with every submount, and a plain "ro" would leave submounts writable.
  return ["rbind", "nosuid", ...(devices ? [] : ["nodev"]), ...(readonly ? ["rro"] : [])];
}

/** The mounts a `dev` step makes: a tmpfs the runtime fills with its default devices, devpts, shm. */
function devMounts(dst: string): OciMount[] {
  return [
    { destination: dst, type: "tmpfs", source: "tmpfs", options: ["nosuid", "noexec", "mode=755", "size=65536k"] },
    { destination: `${dst}/pts`, type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
    { destination: `${dst}/shm`, type: "tmpfs", source: "shm", options: ["nosuid", "nodev", "noexec", "mode=1777", "size=65536k"] },
  ];
}

interface MountPlan {
  mounts: OciMount[];
  masked: string[];
  readonly: string[];
  rootfs: OciBundle["rootfs"];
  notes: string[];
}

/** Under `path` or at it. */
const within = (path: string, dir: string) => dir === "/" || path === dir || path.startsWith(`${dir}/`);

function planMounts(steps: readonly MountStep[], facts: OciFacts): MountPlan {
  const plan: MountPlan = { mounts: [], masked: [], readonly: [], rootfs: { dirs: [], symlinks: [] }, notes: [] };
  // Destinations of mounts made so far: a dir or symlink step below one of them cannot be made in
  // the bundle's rootfs (it lives in a mounted tree), and OCI has no step of its own for it.
  const mounted = () => plan.mounts.map((m) => m.destination);
  // Paths another step mounts over: the host root's entry there is not bound first.
  const mountsOwn = new Set(steps.filter((m) => !["mask", "remount-ro", "dir", "symlink"].includes(m.kind)).map((m) => m.dst));
  for (const m of steps) {
    switch (m.kind) {
      case "bind":
        if (isHostRoot(m)) {
          // OCI mounts nothing at "/" (root.path is the root): the host root's top level instead,
          // each directory bound as it is, each symlink (merged /usr: /bin -> usr/bin) recreated.
          for (const e of facts.hostRoot) {
            const path = `/${e.name}`;
            if (mountsOwn.has(path)) continue; // /proc, /dev, /tmp ... have steps of their own
            // A directory only host root may enter stays an empty mount point: the runtime opens
            // sources as the container's mapped root, which may not, and neither could the payload.
            if (e.type === "dir" && !e.othersCanEnter) plan.rootfs.dirs.push(path);
            else if (e.type === "dir") plan.mounts.push({ destination: path, type: "bind", source: path, options: bindOptions(m.readonly, m.devices) });
            else if (e.type === "symlink" && e.target !== undefined) plan.rootfs.symlinks.push({ path, target: e.target });
          }
          if (!m.readonly) plan.notes.push("a writable host root: the root directory itself stays read-only (root.readonly)");
          break;
        }
        if (m.optional && !facts.exists(m.src)) {
          plan.notes.push(`bind-try ${m.src}: left out, the source does not exist now (OCI has no optional bind)`);
          break;
        }
        plan.mounts.push({ destination: m.dst, type: "bind", source: m.src, options: bindOptions(m.readonly, m.devices) });
        // Host work nsbox does at each start, which a bundle cannot carry.
        if (m.state) plan.notes.push(`state directory ${m.src}: create it and give it to the container's root before the first run (nsbox run does that at each start)`);
        if (m.idmap) plan.notes.push(`idmapped bind ${m.src}: bound without its id map (its files keep their on-disk owners)`);
        break;
      case "tmpfs":
        plan.mounts.push({
          destination: m.dst, type: "tmpfs", source: "tmpfs",
          options: ["nosuid", "nodev", `mode=${m.mode.toString(8).padStart(4, "0")}`, ...(m.size ? [`size=${m.size}`] : [])],
        });
        break;
      case "proc":
        plan.mounts.push({ destination: m.dst, type: "proc", source: "proc", options: ["nosuid", "nodev", "noexec"] });
        break;
      case "dev":
        plan.mounts.push(...devMounts(m.dst));
        break;
      case "mqueue":
        plan.mounts.push({ destination: m.dst, type: "mqueue", source: "mqueue", options: ["nosuid", "nodev", "noexec"] });
        break;
      case "mask":
        plan.masked.push(m.dst);
        break;
      case "remount-ro":
        plan.readonly.push(m.dst);
        break;
      case "dir":
      case "symlink":
        if (mounted().some((d) => within(m.dst, d))) {
          plan.notes.push(`${m.kind} ${m.dst}: not made, it lies inside a mount and OCI has no step to create it`);
        } else if (m.kind === "dir") plan.rootfs.dirs.push(m.dst);
        else plan.rootfs.symlinks.push({ path: m.dst, target: m.target });
        break;
    }
  }
  return plan;
}

function namespacesOf(spec: NormalSpec): { type: string; path?: string }[] {
  return (Object.entries(spec.namespaces) as [NsKind, NormalSpec["namespaces"][NsKind]][]).flatMap(([kind, ns]) =>
    ns.mode === "new" ? [{ type: OCI_NS_TYPE[kind] }] : ns.mode === "join" ? [{ type: OCI_NS_TYPE[kind], path: ns.path }] : [],
  );
}

function processNotes(spec: NormalSpec): string[] {
  const p = spec.process;
  return [
    ...(p.init ? ["no PID-1 init: the command is PID 1 and must reap its children (or use the runtime's own, e.g. docker --init)"] : []),
    ...(p.keepFds.length ? [`keep-fd ${p.keepFds.join(",")}: pass them with the runtime (crun run --preserve-fds N)`] : []),
    ...(p.dieWithParent ? ["die-with-parent: the runtime's caller decides the container's lifetime"] : []),
    ...(p.log ? [`log ${p.log.path}: not expressible in config.json (the engine keeps the output: podman/docker --log-opt max-size)`] : []),
    ...(spec.network.mode === "zone" ? [`zone ${spec.network.zone}: a new network namespace without the zone's veth (wire it with a CNI plugin)`] : []),
    // Runtimes allow only sysctls they know to be namespaced (kernel.*, net.* ...), not user.*:
    // the seccomp filter still refuses new user namespaces.
    ...(blocksNestedUserns(spec) ? ["user.max_user_namespaces=0: runtimes refuse user.* sysctls; seccomp still blocks new user namespaces"] : []),
    ...(spec.network.mode === "none" ? ["net none: runtimes bring lo up in a new network namespace"] : []),
    ...(spec.network.publish ?? []).map((p) => `${describePublish(p)}: not expressible in config.json (port forwards are the engine's: podman/docker -p, or a CNI portmap plugin)`),
  ];
}

function rlimitsOf(spec: NormalSpec): { type: string; soft: number | bigint; hard: number | bigint }[] {
  const value = (n: number | "inf") => (n === "inf" ? RLIM_INFINITY : n);
  return Object.entries(spec.limits.rlimits).map(([name, r]) => ({ type: `RLIMIT_${name}`, soft: value(r.soft), hard: value(r.hard) }));
}

function resourcesOf(spec: NormalSpec): Record<string, unknown> | undefined {
  const l = spec.limits;
  const resources = {
    ...(l.memory !== undefined ? { memory: { limit: l.memory } } : {}),
    ...(l.pids !== undefined ? { pids: { limit: l.pids } } : {}),
    ...(l.cpuQuota !== undefined ? { cpu: { quota: l.cpuQuota, period: 100_000 } } : {}),
  };
  return Object.keys(resources).length ? resources : undefined;
}

/** The bundle for a normalised spec. */
export function ociBundle(spec: NormalSpec, facts: OciFacts): OciBundle {
  const mounts = planMounts(spec.mounts, facts);
  const caps = [...spec.security.capabilities];
  // A uid other than 0 loses permitted capabilities at execve unless they are ambient (capabilities(7)).
  const ambient = spec.users.uid === 0 ? [] : caps;
  const env = { ...spec.process.env };
  env.PATH ??= DEFAULT_PATH;
  const seccomp: OciSeccomp | undefined = ociSeccomp(spec.security.seccomp, facts.arch);
  const linux: Record<string, unknown> = {
    namespaces: namespacesOf(spec),
    ...(spec.namespaces.user.mode === "new"
      ? {
          uidMappings: spec.users.uidMap.map((r) => ({ containerID: r.inside, hostID: r.outside, size: r.count })),
          gidMappings: spec.users.gidMap.map((r) => ({ containerID: r.inside, hostID: r.outside, size: r.count })),
        }
      : {}),
    ...(spec.propagation !== "unchanged" ? { rootfsPropagation: spec.propagation } : {}),
    maskedPaths: mounts.masked,
    readonlyPaths: mounts.readonly,
    ...(resourcesOf(spec) ? { resources: resourcesOf(spec) } : {}),
    ...(seccomp ? { seccomp } : {}),
  };
  const config = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: spec.users.uid, gid: spec.users.gid },
      args: [...spec.process.argv],
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      cwd: spec.process.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: ambient, ambient },
      rlimits: rlimitsOf(spec),
      noNewPrivileges: spec.security.noNewPrivs,
    },
    // The tree is the mounts; the directory under them is never written (runtime-spec config.md).
    root: { path: "rootfs", readonly: true },
    ...(spec.hostname !== undefined && spec.namespaces.uts.mode === "new" ? { hostname: spec.hostname } : {}),
    mounts: mounts.mounts,
    linux,
    annotations: { "org.nsbox.spec-version": String(spec.version) },
  };
  return { config, rootfs: mounts.rootfs, notes: [...mounts.notes, ...processNotes(spec)] };
}

/** config.json text: bigints (RLIM_INFINITY) written as exact integers, which JSON allows. */
export function ociConfigJson(config: Record<string, unknown>): string {
  const marker = "\u0000u64:";
  const text = JSON.stringify(config, (_k, value) => (typeof value === "bigint" ? `${marker}${value}` : value), 2);
  return `${text.replace(/"\\u0000u64:(\d+)"/g, "$1")}\n`;
}
