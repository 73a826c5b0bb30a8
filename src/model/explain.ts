// explain(): the effective isolation of a normalised spec, as data and as a short human summary
// for `nsbox explain`: which namespaces are new, what the payload can see and write, how far its
// network reaches, what it keeps (capabilities, filter, limits, fds) and what was weakened on
// purpose. `describe` lists the steps; this says what they add up to. Pure.
import { describePublish } from "./publish.ts";
import { CAPABILITIES, capabilityMask } from "./capabilities.ts";
import { describeMount } from "./describe.ts";
import type { NormalSpec } from "./normalize.ts";
import { DANGEROUS_CAPABILITIES, riskWarnings } from "./risks.ts";
import { NS_KINDS, type IdRange, type NsKind, type Propagation } from "./schema.ts";
import { SECCOMP_ERRNOS, seccompRules, type SeccompErrno } from "./seccomp-policy.ts";
import { blocksNestedUserns } from "./userns.ts";
import { HOST_DATA_PLACES, rootModeOf, type RootMode } from "./root-view.ts";
import { visibleHostPaths } from "./host-visibility.ts";

export interface PathNote {
  path: string;
  what: string;
}

export interface Explanation {
  namespaces: { kind: NsKind; mode: "new" | "host" | "join"; path?: string; effect: string }[];
  users: {
    uid: number;
    gid: number;
    hostUid: number | null;
    hostGid: number | null;
    realHostRoot: boolean;
    /** The host ids the sandbox's own ids stand for (its user namespace's maps); null when it has none of its own. */
    range: IdRangeSummary | null;
  };
  /** null: the sandbox shares the host's mount namespace, so it sees the host's files as they are. */
  filesystem: {
    /** The root mode the mounts amount to (root-view.ts). */
    mode: RootMode | "custom";
    root: string;
    /** Host trees the payload sees, as `SRC` or `SRC at DST`, read-only or not. */
    hostVisible: string[];
    /** Host unix path sockets (listening) the payload sees: it may connect(2) to them. */
    hostSockets: string[];
    writable: PathNote[];
    readOnly: PathNote[];
    private: PathNote[];
    hidden: string[];
    frozen: string[];
    other: string[];
  } | null;
  propagation: { mode: Propagation; meaning: string } | null;
  network: { mode: "loopback" | "none" | "host" | "joined" | "zone"; path?: string; reach: string; published: string[] };
  capabilities: { kept: string[]; mask: string; dangerous: string[] };
  noNewPrivs: boolean;
  /** The stage always gives the payload a fresh session keyring. */
  sessionKeyring: "fresh";
  seccomp: {
    filter: boolean;
    base: string;
    deniedSyscalls: number;
    byErrno: Partial<Record<SeccompErrno, number>>;
    argumentRules: string[];
    /** Nested user namespaces: refused by the filter, blocked by the namespace limit, or allowed. */
    userNamespaces: "refused by the filter" | "blocked (user.max_user_namespaces=0 inside)" | "allowed";
    allow: string[];
    deny: string[];
  };
  limits: { rlimits: Record<string, { soft: number | "inf"; hard: number | "inf" }>; memoryBytes?: number; pids?: number; cpus?: number };
  process: { init: boolean; newSession: boolean; dieWithParent: boolean; fds: number[]; cwd: string; envCount: number };
  warnings: string[];
}

const NS_EFFECT: Record<NsKind, { new: string; host: string }> = {
  user: { new: "ids are mapped: root inside is not root on the host", host: "the host's users: ids inside are host ids" },
  mnt: { new: "a mount table of its own", host: "the host's mount table and every file as it is" },
  pid: { new: "sees and signals only its own processes", host: "sees the host's processes (and may signal those of its uid)" },
  net: { new: "a network stack of its own", host: "the host's interfaces, ports and abstract unix sockets" },
  uts: { new: "a hostname of its own", host: "the host's hostname (changing it needs CAP_SYS_ADMIN)" },
  ipc: { new: "SysV IPC and POSIX message queues of its own", host: "the host's SysV IPC objects and message queues" },
  cgroup: { new: "its own cgroup appears as the root", host: "the host's cgroup paths" },
  time: { new: "monotonic and boot clocks of its own", host: "the host's clocks (the usual choice)" },
};

const PROPAGATION_MEANING: Record<Propagation, string> = {
  slave: "host mounts made later appear inside; nothing made inside reaches the host",
  private: "no mount events cross in either direction",
  shared: "mount events cross between the sandbox's namespaces and arrive from the host; none go back to it",
  unchanged: "the host's propagation is kept as it is",
};

function mapId(ranges: readonly IdRange[], inside: number): number | null {
  const r = ranges.find((x) => x.inside <= inside && inside < x.inside + x.count);
  return r ? r.outside + (inside - r.inside) : null;
}

/** The host uid and gid the payload runs as; null when its id is not mapped (the stage refuses that). */
export function payloadHostIds(spec: NormalSpec): { uid: number | null; gid: number | null } {
  const u = spec.users;
  if (spec.namespaces.user.mode === "join") return { uid: null, gid: null }; // the joined namespace's maps decide
  if (spec.namespaces.user.mode !== "new") return { uid: u.uid, gid: u.gid };
  return { uid: mapId(u.uidMap, u.uid), gid: mapId(u.gidMap, u.gid) };
}

/** Where inside id 0 lands on the host and how many ids follow it, per map. */
export interface IdRangeSummary {
  uid: { start: number; count: number };
  gid: { start: number; count: number };
}

/** The range `ps` and `explain` show: the map line holding inside id 0 (or the first line). */
export function idRangeOf(spec: NormalSpec): IdRangeSummary | null {
  if (spec.namespaces.user.mode !== "new") return null;
  const pick = (m: readonly IdRange[]) => m.find((r) => r.inside === 0) ?? m[0];
  const u = pick(spec.users.uidMap);
  const g = pick(spec.users.gidMap);
  return u && g ? { uid: { start: u.outside, count: u.count }, gid: { start: g.outside, count: g.count } } : null;
}

function bindKind(m: Extract<NormalSpec["mounts"][number], { kind: "bind" }>): string {
  if (m.state) return "a state directory given to the sandbox's root; ";
  if (m.idmap) return `idmapped (inside:on-disk ${m.idmap.map((r) => `${r.inside}:${r.onDisk}${r.count > 1 ? `:${r.count}` : ""}`).join(",")}; other owners read-only as nobody); `;
  return "";
}

const ROOT_TEXT: Record<RootMode | "custom", string> = {
  os: `os: a read-only tmpfs with the host's OS read-only (programs, libraries, /etc); no host data (${HOST_DATA_PLACES.join(" ")} empty or absent)`,
  host: "host: the host's root, read-only (with everything mounted under it): every file the payload's uid may read",
  empty: "empty: a read-only tmpfs holding only what is mounted into it",
  custom: "",
};

/** Facts from the host that explain weighs the plan against (the CLI reads them). */
export interface ExplainHost {
  /** Paths of the host's listening unix sockets (/proc/net/unix). */
  unixSockets?: readonly string[];
}

function explainFilesystem(spec: NormalSpec, host: ExplainHost): Explanation["filesystem"] {
  if (spec.namespaces.mnt.mode !== "new") return null;
  const mode = rootModeOf(spec.mounts);
  const fs: NonNullable<Explanation["filesystem"]> = {
    mode, root: ROOT_TEXT[mode], hostVisible: [], hostSockets: visibleHostPaths(spec.mounts, host.unixSockets ?? []),
    writable: [], readOnly: [], private: [], hidden: [], frozen: [], other: [],
  };
  const pidShared = spec.namespaces.pid.mode !== "new";
  for (const m of spec.mounts) {
    switch (m.kind) {
      case "bind":
        fs.hostVisible.push(`${m.src}${m.src === m.dst ? "" : ` at ${m.dst}`} (${m.readonly ? "read-only" : "WRITABLE"}${m.optional ? ", if it exists" : ""})`);
        if (m.dst === "/" && mode === "custom") fs.root = `custom: the host's ${m.src}, ${m.readonly ? "read-only (with everything mounted under it)" : "WRITABLE: writes reach the host"}`;
        if (m.readonly && m.dst !== "/") fs.readOnly.push({ path: m.dst, what: `host ${m.src}${m.optional ? " (if it exists)" : ""}` });
        if (!m.readonly) fs.writable.push({ path: m.dst, what: `host ${m.src}: ${bindKind(m)}writes reach the host${m.devices ? "; device nodes usable" : ""}${m.optional ? " (if it exists)" : ""}` });
        break;
      case "tmpfs":
        fs.writable.push({ path: m.dst, what: `private tmpfs, mode 0${m.mode.toString(8)}${m.size ? `, ${m.size} bytes` : ""}, gone when the sandbox ends` });
        break;
      case "dev":
        fs.private.push({ path: m.dst, what: "minimal /dev: null zero full random urandom tty, a private devpts" });
        fs.writable.push({ path: `${m.dst === "/" ? "" : m.dst}/shm`, what: "private tmpfs for POSIX shm, gone when the sandbox ends" });
        break;
      case "proc":
        fs.private.push({ path: m.dst, what: pidShared ? "procfs of the host's PID namespace: every host process is listed" : "procfs of its own PID namespace" });
        break;
      case "mqueue":
        fs.private.push({ path: m.dst, what: "POSIX message queues of its IPC namespace" });
        break;
      case "mask":
        fs.hidden.push(m.dst);
        break;
      case "remount-ro":
        fs.frozen.push(m.dst);
        break;
      case "dir":
      case "symlink":
        break; // shape the tree; they isolate nothing
      default:
        fs.other.push(describeMount(m));
    }
  }
  return fs;
}

/** What reaches in, besides the mode: host ports the supervisor relays to the sandbox's loopback. */
function explainNetwork(spec: NormalSpec): Explanation["network"] {
  return { ...explainNetworkMode(spec), published: (spec.network.publish ?? []).map(describePublish) };
}

function explainNetworkMode(spec: NormalSpec): Omit<Explanation["network"], "published"> {
  const net = spec.namespaces.net;
  if (net.mode === "join") return { mode: "joined", path: net.path, reach: `whatever the namespace at ${net.path} reaches` };
  if (net.mode === "host" || spec.network.mode === "host") {
    return { mode: "host", reach: "the host's network: every interface, services on the host's 127.0.0.1 and the host's abstract unix sockets" };
  }
  if (spec.network.mode === "none" && spec.network.publish?.length) return { mode: "none", reach: "its own loopback only (up for --publish): 127.0.0.1 inside is not the host's; no route out" };
  if (spec.network.mode === "none") return { mode: "none", reach: "nothing: no interface is up, not even loopback" };
  if (spec.network.mode === "zone") return { mode: "zone", reach: `what zone ${spec.network.zone}'s policy allows (nsbox netzone show ${spec.network.zone})` };
  return { mode: "loopback", reach: "its own loopback only: 127.0.0.1 inside is not the host's; no route out" };
}

function explainSeccomp(spec: NormalSpec): Explanation["seccomp"] {
  const policy = spec.security.seccomp;
  const rules = seccompRules(policy);
  const whole = rules.filter((r) => r.when.length === 0);
  const byErrno: Partial<Record<SeccompErrno, number>> = {};
  for (const e of SECCOMP_ERRNOS) {
    const n = whole.filter((r) => r.errno === e).length;
    if (n) byErrno[e] = n;
  }
  const conditional = (names: string[]) => rules.some((r) => names.includes(r.syscall) && r.when.length > 0);
  const argumentRules = [
    conditional(["ioctl"]) && "ioctl TIOCSTI/TIOCLINUX",
    conditional(["personality"]) && "personality changes",
    conditional(["clone", "unshare"]) && "clone/unshare with CLONE_NEWUSER",
  ].filter((x): x is string => typeof x === "string");
  const usernsDenied = conditional(["clone", "unshare"]) || whole.some((r) => r.syscall === "unshare");
  return {
    filter: rules.length > 0,
    base: policy.base,
    deniedSyscalls: whole.length,
    byErrno,
    argumentRules,
    userNamespaces: usernsDenied ? "refused by the filter" : blocksNestedUserns(spec) ? "blocked (user.max_user_namespaces=0 inside)" : "allowed",
    allow: [...policy.allow],
    deny: [...policy.deny],
  };
}

/** Host path sockets in view: those the mounts show, or every one in the host's own mount namespace. */
function socketWarning(fs: Explanation["filesystem"], host: ExplainHost): string[] {
  const sockets = fs ? fs.hostSockets : [...(host.unixSockets ?? [])];
  if (!sockets.length) return [];
  const shown = sockets.slice(0, 8).join(" ");
  const hint = !fs ? "; a mount namespace of its own with --root os shows none of them" : fs.mode === "host" ? "; --root os shows none of them" : "";
  return [`${sockets.length} host unix socket${sockets.length === 1 ? " is" : "s are"} in view and may accept connect(2) (a read-only mount does not stop it; the socket file's write permission decides): ${shown}${sockets.length > 8 ? " ..." : ""}${hint}`];
}

export function explainSpec(spec: NormalSpec, host: ExplainHost = {}): Explanation {
  const filesystem = explainFilesystem(spec, host);
  const ids = payloadHostIds(spec);
  const caps = spec.security.capabilities;
  const limits = spec.limits;
  return {
    namespaces: NS_KINDS.map((kind) => {
      const ns = spec.namespaces[kind];
      if (ns.mode === "join") return { kind, mode: "join" as const, path: ns.path, effect: `joins the namespace at ${ns.path}` };
      return { kind, mode: ns.mode, effect: NS_EFFECT[kind][ns.mode] };
    }),
    users: { uid: spec.users.uid, gid: spec.users.gid, hostUid: ids.uid, hostGid: ids.gid, realHostRoot: ids.uid === 0, range: idRangeOf(spec) },
    filesystem,
    propagation: spec.namespaces.mnt.mode === "new" ? { mode: spec.propagation, meaning: PROPAGATION_MEANING[spec.propagation] } : null,
    network: explainNetwork(spec),
    capabilities: {
      kept: [...caps].sort((a, b) => CAPABILITIES.indexOf(a as never) - CAPABILITIES.indexOf(b as never)),
      mask: `0x${capabilityMask(caps).toString(16).padStart(16, "0")}`,
      dangerous: caps.filter((c) => c in DANGEROUS_CAPABILITIES),
    },
    noNewPrivs: spec.security.noNewPrivs,
    sessionKeyring: "fresh",
    seccomp: explainSeccomp(spec),
    limits: {
      rlimits: { ...limits.rlimits },
      ...(limits.memory !== undefined ? { memoryBytes: limits.memory } : {}),
      ...(limits.pids !== undefined ? { pids: limits.pids } : {}),
      ...(limits.cpuQuota !== undefined ? { cpus: limits.cpuQuota / 100_000 } : {}),
    },
    process: {
      init: spec.process.init,
      newSession: spec.process.newSession,
      dieWithParent: spec.process.dieWithParent,
      fds: [...spec.process.keepFds],
      cwd: spec.process.cwd,
      envCount: Object.keys(spec.process.env).length,
    },
    warnings: [...riskWarnings(spec), ...socketWarning(filesystem, host)],
  };
}

/** `1879048192+65536`: a range as ps and explain print it. */
export const formatRange = (r: { start: number; count: number }) => `${r.start}+${r.count}`;

function formatUsers(u: Explanation["users"]): string {
  const inside = `${u.uid}:${u.gid}`;
  if (u.hostUid === null) return `users: runs as ${inside} inside; its host ids are decided by the joined user namespace`;
  if (u.realHostRoot) return `users: runs as ${inside}, which is REAL ROOT on the host`;
  const range = u.range ? `; its ids are host uids ${formatRange(u.range.uid)}, gids ${formatRange(u.range.gid)}` : "";
  return `users: runs as ${inside} inside = host ${u.hostUid}:${u.hostGid}, unprivileged on the host${range}`;
}

function formatSeccomp(s: Explanation["seccomp"]): string {
  if (!s.filter) return `seccomp: none (no system call filter); new user namespaces ${s.userNamespaces}`;
  const errnos = Object.entries(s.byErrno).map(([e, n]) => `${n} with ${e}`).join(", ");
  const args = s.argumentRules.length ? `; refused by argument: ${s.argumentRules.join(", ")}` : "";
  const lists = [...(s.allow.length ? [`allow ${s.allow.join(",")}`] : []), ...(s.deny.length ? [`deny ${s.deny.join(",")}`] : [])];
  return `seccomp: ${s.base} policy, ${s.deniedSyscalls} syscalls denied whole (${errnos || "none"})${args}; new user namespaces ${s.userNamespaces}${lists.length ? `; ${lists.join("; ")}` : ""}`;
}

function formatLimits(l: Explanation["limits"]): string {
  const parts = [
    ...Object.entries(l.rlimits).map(([n, r]) => `${n}=${r.soft}${r.hard !== r.soft ? `:${r.hard}` : ""}`),
    ...(l.memoryBytes !== undefined ? [`memory ${l.memoryBytes} bytes`] : []),
    ...(l.pids !== undefined ? [`pids ${l.pids}`] : []),
    ...(l.cpus !== undefined ? [`cpu ${l.cpus} CPUs`] : []),
  ];
  return `limits: ${parts.length ? parts.join(", ") : "none beyond the host's"}`;
}

/** The explanation as lines of text, most important first. */
export function formatExplanation(e: Explanation): string[] {
  const created = e.namespaces.filter((n) => n.mode === "new").map((n) => n.kind);
  const lines = [`namespaces: new ${created.join(", ") || "none"}`];
  for (const n of e.namespaces.filter((x) => x.mode !== "new")) lines.push(`  ${n.kind}: ${n.mode === "join" ? n.effect : `shared with the host: ${n.effect}`}`);
  lines.push(formatUsers(e.users));
  const fs = e.filesystem;
  if (!fs) {
    lines.push("files: the host's mount namespace: every host file, as far as the payload's uid may reach it");
  } else {
    lines.push(`root: ${fs.root}`);
    lines.push(`  host visible: ${fs.hostVisible.length ? fs.hostVisible.join(", ") : "nothing"}`);
    for (const w of fs.writable) lines.push(`  writable: ${w.path} (${w.what})`);
    for (const r of fs.readOnly) lines.push(`  read-only: ${r.path} (${r.what})`);
    for (const p of fs.private) lines.push(`  private: ${p.path} (${p.what})`);
    if (fs.hidden.length) lines.push(`  hidden: ${fs.hidden.join(" ")}`);
    if (fs.frozen.length) lines.push(`  read-only kernel interfaces: ${fs.frozen.join(" ")}`);
    for (const o of fs.other) lines.push(`  also: ${o}`);
  }
  if (e.propagation) lines.push(`propagation: ${e.propagation.mode} (${e.propagation.meaning})`);
  lines.push(`network: ${e.network.mode}: ${e.network.reach}`);
  for (const p of e.network.published) lines.push(`  ${p} (the host reaches in; the sandbox gets no way out)`);
  const c = e.capabilities;
  lines.push(`capabilities: ${c.kept.length ? `${c.kept.join(", ")} (mask ${c.mask})` : "none: every set is empty"}`);
  lines.push(`no_new_privs: ${e.noNewPrivs ? "on: setuid bits and file capabilities grant nothing" : "off"}`);
  lines.push(formatSeccomp(e.seccomp));
  lines.push("keyring: a fresh session keyring: the caller's keys are out of reach");
  lines.push(formatLimits(e.limits));
  const p = e.process;
  lines.push(`fds: 0-2${p.fds.length ? ` and ${p.fds.join(", ")} (passed on purpose)` : " only"}; every other fd is closed`);
  lines.push(`process: ${p.init ? "a tiny init is PID 1" : "the command is PID 1 of its namespace, or has none"}; ${p.newSession ? "a new session: no controlling terminal" : "the caller's session and terminal"}${p.dieWithParent ? "; dies with its parent" : ""}`);
  for (const w of e.warnings) lines.push(`warning: ${w}`);
  return lines;
}
