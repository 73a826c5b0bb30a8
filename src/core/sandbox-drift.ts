// Drift: how a running sandbox differs from its spec. Namespaces (each new one must differ from
// nsbox's own, each shared one must be it, each joined one must be the joined file's), capability
// sets (nothing beyond the kept mask), no_new_privs, seccomp, and the mount table against the one
// the mount steps imply. Pure: /proc data in, findings out (process-facts.ts reads it).
import { CAPABILITIES, capabilityMask } from "../model/capabilities.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { NS_KINDS, type NsKind } from "../model/schema.ts";
import { seccompRules } from "../model/seccomp-policy.ts";
import type { MountInfo } from "./mountinfo.ts";
import type { NsInodes, StatusSecurity } from "./process-facts.ts";

export type DriftArea = "namespaces" | "capabilities" | "no_new_privs" | "seccomp" | "mounts";

export interface DriftItem {
  area: DriftArea;
  /** What drifted: a namespace kind, a capability set, a mount point. */
  subject: string;
  message: string;
}

export interface AreaCheck {
  area: DriftArea;
  ok: boolean;
  /** What was compared, in a few words (also when it matched). */
  summary: string;
}

export interface DriftReport {
  checks: AreaCheck[];
  drift: DriftItem[];
}

/** The nodes the stage's `dev` step binds (src/native/stage/dev.c), each its own mount. */
const DEV_NODES = ["null", "zero", "full", "random", "urandom", "tty"];

const under = (path: string, dir: string) => dir === "/" ? path !== "/" : path.startsWith(`${dir}/`);
const joinPath = (dir: string, rest: string) => (dir === "/" ? rest : rest === "/" ? dir : `${dir}${rest}`);

export function compareNamespaces(spec: NormalSpec, live: NsInodes, self: NsInodes, joined: NsInodes): DriftItem[] {
  const drift: DriftItem[] = [];
  for (const kind of NS_KINDS) {
    const mode = spec.namespaces[kind];
    const ino = live[kind];
    if (ino === undefined) continue; // this kernel has no such namespace
    const item = (message: string) => drift.push({ area: "namespaces", subject: kind, message: `${kind}: ${message}` });
    if (mode.mode === "new" && ino === self[kind]) item(`the host's namespace (${kind}:[${ino}]), though the spec makes a new one`);
    if (mode.mode === "host" && self[kind] !== undefined && ino !== self[kind]) item(`${kind}:[${ino}], though the spec shares the host's (${kind}:[${self[kind]}])`);
    if (mode.mode === "join" && joined[kind] !== undefined && ino !== joined[kind]) item(`${kind}:[${ino}], not the joined ${mode.path} (${kind}:[${joined[kind]}])`);
  }
  return drift;
}

function capNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

export function compareSecurity(spec: NormalSpec, status: StatusSecurity): DriftItem[] {
  const drift: DriftItem[] = [];
  const keep = capabilityMask(spec.security.capabilities);
  const sets: [string, bigint][] = [["CapEff", status.capEff], ["CapPrm", status.capPrm], ["CapBnd", status.capBnd], ["CapAmb", status.capAmb], ["CapInh", status.capInh]];
  for (const [name, value] of sets) {
    const extra = value & ~keep;
    if (extra !== 0n) {
      const names = capNames(extra);
      drift.push({ area: "capabilities", subject: name, message: `${name} holds ${names.length ? names.join(", ") : `0x${extra.toString(16)}`}, which the spec does not keep` });
    }
  }
  if (spec.security.noNewPrivs && status.noNewPrivs !== 1) drift.push({ area: "no_new_privs", subject: "NoNewPrivs", message: `NoNewPrivs is ${status.noNewPrivs}, the spec sets it` });
  if (seccompRules(spec.security.seccomp).length > 0 && status.seccomp !== 2) {
    drift.push({ area: "seccomp", subject: "Seccomp", message: `Seccomp is ${status.seccomp}, the spec loads a filter (2)` });
  }
  return drift;
}

export interface MountBounds {
  /** Mounts the spec makes there for certain. */
  min: number;
  /** At most this many may be there (host mounts under a recursive bind come and go). */
  max: number;
  /** Why anything is expected there, for messages. */
  why: string[];
}

/**
 * The mount points the spec implies, as seen from inside, each with how many mounts may be
 * stacked there: the mount steps themselves, the nodes, devpts and shm of `dev`, and every host
 * mount under a bind's source (binds are recursive; with slave propagation host mounts made
 * later arrive too, and unmounts leave, so those are allowed, never required).
 */
export function expectedMounts(spec: NormalSpec, hostMounts: readonly MountInfo[]): Map<string, MountBounds> {
  const bounds = new Map<string, MountBounds>();
  const add = (path: string, min: number, max: number, why: string) => {
    const b = bounds.get(path) ?? { min: 0, max: 0, why: [] };
    bounds.set(path, { min: b.min + min, max: b.max + max, why: [...b.why, why] });
  };
  if (!spec.mounts.some((m) => m.kind === "bind" && m.dst === "/")) add("/", 1, 1, "the new root");
  for (const m of spec.mounts) {
    switch (m.kind) {
      case "bind":
        add(m.dst, m.optional ? 0 : 1, 1, `bind ${m.src}`);
        for (const h of hostMounts) {
          if (under(h.mountPoint, m.src)) add(joinPath(m.dst, m.src === "/" ? h.mountPoint : h.mountPoint.slice(m.src.length)), 0, 1, `host mount under ${m.src}`);
        }
        break;
      case "tmpfs":
      case "proc":
      case "mqueue":
        add(m.dst, 1, 1, m.kind);
        break;
      case "dev":
        add(m.dst, 1, 1, "dev");
        for (const n of [...DEV_NODES, "pts", "shm"]) add(joinPath(m.dst, `/${n}`), 1, 1, "dev");
        break;
      case "mask":
        add(m.dst, 0, 1, "mask (where present)");
        break;
      case "remount-ro":
        // A path that is not a mount root becomes one: a recursive clone of itself, submounts
        // included, attached on itself. So everything under it may be there twice.
        for (const [path, b] of bounds) if (under(path, m.dst)) bounds.set(path, { ...b, max: b.max * 2 });
        add(m.dst, 0, 1, "read-only (where present)");
        break;
      default:
        break; // dir, symlink: no mount
    }
  }
  return bounds;
}

export function compareMounts(spec: NormalSpec, live: readonly MountInfo[], hostMounts: readonly MountInfo[]): DriftItem[] {
  const expected = expectedMounts(spec, hostMounts);
  const byPath = new Map<string, MountInfo[]>();
  for (const m of live) byPath.set(m.mountPoint, [...(byPath.get(m.mountPoint) ?? []), m]);
  const drift: DriftItem[] = [];
  for (const [path, mounts] of [...byPath].sort(([a], [b]) => a.localeCompare(b))) {
    const b = expected.get(path);
    const top = mounts.at(-1)!;
    const what = `${top.fstype} from ${top.source}`;
    if (!b || b.max === 0) drift.push({ area: "mounts", subject: path, message: `${path}: a mount the spec does not make (${what})` });
    else if (mounts.length > b.max) drift.push({ area: "mounts", subject: path, message: `${path}: ${mounts.length} mounts stacked, the spec allows ${b.max} (the top one: ${what})` });
  }
  for (const [path, b] of [...expected].sort(([a], [c]) => a.localeCompare(c))) {
    const n = byPath.get(path)?.length ?? 0;
    if (n < b.min) drift.push({ area: "mounts", subject: path, message: `${path}: missing (the spec mounts ${b.why.join(", ")} there)` });
  }
  return drift;
}

export interface LiveSandbox {
  ns: NsInodes;
  status: StatusSecurity;
  mounts: readonly MountInfo[];
}

/** Every comparison, with a one-line summary per area whether or not it drifted. */
export function checkSandbox(spec: NormalSpec, live: LiveSandbox, host: { ns: NsInodes; joined: NsInodes; mounts: readonly MountInfo[] }): DriftReport {
  const ns = compareNamespaces(spec, live.ns, host.ns, host.joined);
  const security = compareSecurity(spec, live.status);
  const mountNsShared = spec.namespaces.mnt.mode !== "new";
  const mounts = mountNsShared ? [] : compareMounts(spec, live.mounts, host.mounts);
  const kinds = (mode: string) => NS_KINDS.filter((k: NsKind) => spec.namespaces[k].mode === mode && live.ns[k] !== undefined);
  const of = (area: DriftArea) => security.filter((d) => d.area === area);
  const keep = spec.security.capabilities;
  const checks: AreaCheck[] = [
    { area: "namespaces", ok: ns.length === 0, summary: `new ${kinds("new").join(",") || "none"}; host ${kinds("host").join(",") || "none"}${kinds("join").length ? `; joined ${kinds("join").join(",")}` : ""}` },
    { area: "capabilities", ok: of("capabilities").length === 0, summary: `every set within ${keep.length ? keep.join(",") : "none"}` },
    { area: "no_new_privs", ok: of("no_new_privs").length === 0, summary: `NoNewPrivs ${live.status.noNewPrivs}` },
    { area: "seccomp", ok: of("seccomp").length === 0, summary: `Seccomp ${live.status.seccomp}` },
    { area: "mounts", ok: mounts.length === 0, summary: mountNsShared ? "the host's mount namespace: not compared" : `${live.mounts.length} mounts at ${new Set(live.mounts.map((m) => m.mountPoint)).size} mount points` },
  ];
  return { checks, drift: [...ns, ...security, ...mounts] };
}
