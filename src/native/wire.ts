// Encodes a normalised spec into the stage's wire format (WIRE.md beside this file): NUL-ended
// tokens, a magic and a version, fixed-arity records, `end`. Pure; the stage re-validates all of it.
import { capabilityMask } from "../model/capabilities.ts";
import { blocksNestedUserns } from "../model/userns.ts";
import type { NormalSpec } from "../model/normalize.ts";
import type { IdRange, MountStep, NsKind } from "../model/schema.ts";

export const WIRE_MAGIC = "nsbox-wire";
export const WIRE_VERSION = 1;

/** clone(2) flags per namespace kind; time is special-cased by the stage (unshare after clone). */
export const CLONE_FLAGS: Record<NsKind, number> = {
  user: 0x10000000,
  mnt: 0x00020000,
  pid: 0x20000000,
  net: 0x40000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  cgroup: 0x02000000,
  time: 0x00000080,
};

/** bind FLAGS bits (WIRE.md). */
const BIND_READONLY = 1;
const BIND_OPTIONAL = 2;
const BIND_DEVICES = 4;
const BIND_IDMAP = 8;
/**
 * SRC resolved without following symlinks: a state directory, which a sandbox may write around,
 * or a bind whose way the host found others can write (HostWire.noSymlinkBinds).
 */
const BIND_NO_SYMLINKS = 16;

type Record_ = readonly (string | number | bigint)[];

/**
 * What the host side adds to a spec for one execution: things that are not part of the sandbox
 * as a value (its description stays the same) but that the stage must do for this run.
 */
export interface HostWire {
  /** Files the supervisor removes when the sandbox ends: its state records. */
  onExitUnlink?: readonly string[];
  /** Fds (opened on namespace files) the stage joins through and closes before the payload. */
  nsFds?: readonly number[];
  /**
   * A network namespace nsbox made and wired for this run (a zone member's, one of nsFds): the
   * stage joins it where the spec asks for a new one. Host wiring, so the spec stays as planned.
   */
  netns?: number;
  /**
   * Fds nsbox opened for the payload (listening sockets), in order: the stage moves the i-th to
   * fd 3+i and sets LISTEN_PID to the payload's pid inside (sd_listen_fds(3)); the spec's env
   * carries LISTEN_FDS and LISTEN_FDNAMES.
   */
  passFds?: readonly number[];
  /**
   * Host listening sockets nsbox opened for --publish (core/publish-listeners.ts), each with the
   * port on the sandbox's loopback it forwards to: the stage's supervisor alone holds them.
   */
  publish?: readonly { fd: number; port: number }[];
  /**
   * --log (core/output-log.ts): the log's directory, opened by nsbox without following symlinks,
   * the file's name in it and the bytes of one generation: the supervisor writes and rotates it.
   */
  log?: { dir: number; name: string; max: number };
  /** The sandbox's cgroups (core/cgroup.ts): v2 to clone into, v1 dirs to join, counters to report. */
  cgroups?: {
    cloneInto?: string;
    join: readonly string[];
    watch: readonly { file: string; key: string; message: string }[];
    remove: readonly string[];
  };
  /** Persist mode: bind the new namespaces under `dir` (and at `links`) instead of running a payload. */
  persist?: { dir: string; links: readonly { kind: NsKind; path: string }[] };
  /**
   * spec.security.seccomp compiled to BPF (core/seccomp.ts): compiling needs libseccomp, which
   * this pure encoder does not call. The stage loads it last, just before execve.
   */
  seccompBpf?: Uint8Array;
  /**
   * Indexes in spec.mounts of binds whose SRC lies on a way someone besides root and the caller
   * can write (core/bind-sources.ts): the stage resolves them without following symlinks.
   */
  noSymlinkBinds?: readonly number[];
}

/** Lowercase hex, as the `seccomp` record takes it (natively: a per-byte loop costs ms at start-up). */
const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

function hostRecords(host: HostWire): Record_[] {
  return [
    ...(host.onExitUnlink ?? []).map((path) => ["on-exit-unlink", path] as const),
    ...(host.nsFds ?? []).map((fd) => ["ns-fd", fd] as const),
    ...(host.passFds ?? []).map((fd) => ["pass-fd", fd] as const),
    // Only the stage knows the payload's pid as seen inside its PID namespace.
    ...(host.passFds?.length ? [["env-pid", "LISTEN_PID"] as const] : []),
    ...(host.publish ?? []).map((p) => ["publish", p.fd, p.port] as const),
    ...(host.log ? [["log", host.log.dir, host.log.name, host.log.max] as const] : []),
    ...(host.persist ? [["persist", host.persist.dir] as const, ...host.persist.links.map((l) => ["persist-link", l.kind, l.path] as const)] : []),
    ...(host.seccompBpf ? [["seccomp", hex(host.seccompBpf)] as const] : []),
    ...(host.cgroups?.cloneInto ? [["cgroup", host.cgroups.cloneInto] as const] : []),
    ...(host.cgroups?.join ?? []).map((dir) => ["cgroup-join", dir] as const),
    ...(host.cgroups?.watch ?? []).map((w) => ["watch", w.file, w.key, w.message] as const),
    ...(host.cgroups?.remove ?? []).map((dir) => ["on-exit-rmdir", dir] as const),
  ];
}

function mountRecord(m: MountStep, noSymlinks: boolean): Record_ {
  switch (m.kind) {
    case "bind": {
      const flags = (m.readonly ? BIND_READONLY : 0) | (m.optional ? BIND_OPTIONAL : 0) | (m.devices ? BIND_DEVICES : 0) | (m.idmap ? BIND_IDMAP : 0) | (m.state || noSymlinks ? BIND_NO_SYMLINKS : 0);
      return ["bind", m.src, m.dst, flags];
    }
    case "tmpfs":
      return ["tmpfs", m.dst, m.mode.toString(8), m.size];
    case "dir":
      return ["dir", m.dst, m.mode.toString(8)];
    case "symlink":
      return ["symlink", m.target, m.dst];
    case "proc":
    case "dev":
    case "mqueue":
    case "mask":
    case "remount-ro":
      return [m.kind, m.dst];
  }
}

/** The host id of an inside id under a user namespace map; rules.ts made sure it is mapped. */
function hostId(map: readonly IdRange[], inside: number): number {
  const r = map.find((x) => inside >= x.inside && inside < x.inside + x.count);
  if (!r) throw new Error(`id ${inside} is not mapped (the rules should have refused this spec)`);
  return r.outside + (inside - r.inside);
}

/**
 * The map of each idmapped bind, as the stage's helper namespace takes it: on-disk ids are its
 * inside ids, and the host ids the sandbox's own ids stand for are its outside ids (idmap.c).
 */
function bindIdmapRecords(spec: NormalSpec): Record_[] {
  return spec.mounts.flatMap((m) =>
    m.kind === "bind" && m.idmap
      ? m.idmap.flatMap((r) => [
          ["bind-idmap", m.dst, "uid", r.onDisk, hostId(spec.users.uidMap, r.inside), r.count] as const,
          ["bind-idmap", m.dst, "gid", r.onDisk, hostId(spec.users.gidMap, r.inside), r.count] as const,
        ])
      : [],
  );
}

/** The records of a spec, in the order the wire carries them. */
export function wireRecords(spec: NormalSpec, host: Pick<HostWire, "netns" | "noSymlinkBinds"> = {}): Record_[] {
  const records: Record_[] = [];
  let cloneFlags = 0;
  if (host.netns !== undefined && spec.namespaces.net.mode !== "new") throw new Error("internal: a prepared network namespace for a spec that does not ask for a new one");
  for (const [kind, ns] of Object.entries(spec.namespaces) as [NsKind, NormalSpec["namespaces"][NsKind]][]) {
    if (kind === "net" && host.netns !== undefined) records.push(["join", kind, `/proc/self/fd/${host.netns}`]);
    else if (ns.mode === "new") cloneFlags |= CLONE_FLAGS[kind];
    else if (ns.mode === "join") records.push(["join", kind, ns.path]);
  }
  records.unshift(["clone", cloneFlags >>> 0]);
  const u = spec.users;
  if (spec.namespaces.user.mode === "new") {
    records.push(["setgroups", u.setgroups]);
    for (const r of u.uidMap) records.push(["uidmap", r.inside, r.outside, r.count]);
    for (const r of u.gidMap) records.push(["gidmap", r.inside, r.outside, r.count]);
  }
  if (spec.namespaces.mnt.mode === "new") {
    records.push(["propagation", spec.propagation]);
    records.push(...spec.mounts.map((m, i) => mountRecord(m, host.noSymlinkBinds?.includes(i) ?? false)), ...bindIdmapRecords(spec));
  }
  if (spec.hostname !== undefined && spec.namespaces.uts.mode === "new") records.push(["hostname", spec.hostname]);
  // --publish relays to the sandbox's loopback, so lo is up for it even with --net none.
  const loopback = spec.network.mode === "loopback" || (spec.network.mode === "none" && (spec.network.publish?.length ?? 0) > 0);
  if (loopback && spec.namespaces.net.mode === "new") records.push(["lo-up"]);
  const p = spec.process;
  records.push(["uid", u.uid], ["gid", u.gid], ["cwd", p.cwd]);
  for (const [k, val] of Object.entries(p.env)) records.push(["env", `${k}=${val}`]);
  for (const fd of p.keepFds) records.push(["keep-fd", fd]);
  records.push(["init", p.init ? 1 : 0], ["new-session", p.newSession ? 1 : 0], ["die-with-parent", p.dieWithParent ? 1 : 0]);
  records.push(["no-new-privs", 1], ["caps", capabilityMask(spec.security.capabilities)]);
  for (const [name, r] of Object.entries(spec.limits.rlimits)) records.push(["rlimit", name, r.soft, r.hard]);
  // Nested user namespaces are off unless asked: the limit lives in the sandbox's own user
  // namespace, where the payload has no CAP_SYS_RESOURCE to raise it (user_namespaces(7)).
  // It is written through the sandbox's /proc, so only where the sandbox has one.
  if (blocksNestedUserns(spec)) records.push(["sysctl", "user/max_user_namespaces", "0"]);
  for (const arg of p.argv) records.push(["argv", arg]);
  return records;
}

/** The wire bytes the stage reads from its spec fd. */
export function encodeWire(spec: NormalSpec, host: HostWire = {}): Uint8Array {
  const tokens: string[] = [WIRE_MAGIC, String(WIRE_VERSION)];
  for (const record of [...wireRecords(spec, host), ...hostRecords(host)]) for (const t of record) tokens.push(String(t));
  tokens.push("end");
  return new TextEncoder().encode(tokens.map((t) => `${t}\0`).join(""));
}
