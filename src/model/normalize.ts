// The normaliser: turns a valid spec into the exact one the stage runs. It derives what follows
// from other fields (id maps from who runs nsbox, the network namespace from the network mode,
// the resolv.conf bind from the network and the host's layout) and orders mounts parents first
// with later duplicates winning. Pure: same input, same output.
import { DEFAULT_HOSTNAME } from "./defaults.ts";
import type { PlanContext } from "./context.ts";
import type { IdRange, MountStep, SandboxSpec } from "./schema.ts";
import { resolvConfMount } from "./resolv-conf.ts";

/** A spec after normalisation: every decision made, nothing left to "auto". */
export type NormalSpec = SandboxSpec & {
  users: SandboxSpec["users"] & { uid: number; gid: number; setgroups: "allow" | "deny" };
};

const FULL_RANGE = 0xffffffff;

function pathDepth(path: string): number {
  return path === "/" ? 0 : path.split("/").length - 1;
}

/**
 * Orders mounts so every parent comes before what is mounted under it, keeping the given order
 * otherwise (stable sort by depth), and drops earlier steps whose destination a later step
 * replaces: a flag the caller gave overrides a default for the same path. systemd's namespace.c
 * sorts the same way; there the first entry wins, here the last, because defaults come first.
 */
export function orderMounts(mounts: readonly MountStep[]): MountStep[] {
  const lastIndex = new Map<string, number>();
  mounts.forEach((m, i) => lastIndex.set(m.dst, i));
  const kept = mounts.filter((m, i) => lastIndex.get(m.dst) === i);
  return kept
    .map((m, i) => ({ m, i }))
    .sort((a, b) => pathDepth(a.m.dst) - pathDepth(b.m.dst) || a.i - b.i)
    .map(({ m }) => m);
}

/** Id maps for a new user namespace when the spec did not give any (user_namespaces(7)). */
function defaultIdMaps(spec: SandboxSpec, ctx: PlanContext): { uidMap: IdRange[]; gidMap: IdRange[] } {
  if (ctx.uid === 0) {
    if (spec.users.mapHostRoot) {
      return { uidMap: [{ inside: 0, outside: 0, count: FULL_RANGE }], gidMap: [{ inside: 0, outside: 0, count: FULL_RANGE }] };
    }
    // Root inside is an unprivileged host id: host files stay protected by plain permissions.
    return {
      uidMap: [{ inside: 0, outside: ctx.subuid.start, count: ctx.subuid.count }],
      gidMap: [{ inside: 0, outside: ctx.subgid.start, count: ctx.subgid.count }],
    };
  }
  // Rootless: the kernel lets an unprivileged process map exactly its own ids, once.
  const uidInside = spec.users.mapRoot ? 0 : ctx.uid;
  const gidInside = spec.users.mapRoot ? 0 : ctx.gid;
  return {
    uidMap: [{ inside: uidInside, outside: ctx.uid, count: 1 }],
    gidMap: [{ inside: gidInside, outside: ctx.gid, count: 1 }],
  };
}

function normalizeUsers(spec: SandboxSpec, ctx: PlanContext): NormalSpec["users"] {
  const users = spec.users;
  if (spec.namespaces.user.mode !== "new") {
    return { ...users, uidMap: [], gidMap: [], uid: users.uid ?? ctx.uid, gid: users.gid ?? ctx.gid, setgroups: "allow" };
  }
  const maps = users.uidMap.length > 0 ? { uidMap: users.uidMap, gidMap: users.gidMap } : defaultIdMaps(spec, ctx);
  const first = (m: IdRange[]) => m[0]?.inside ?? 0;
  return {
    ...users,
    ...maps,
    uid: users.uid ?? (ctx.uid === 0 || users.mapRoot ? 0 : first(maps.uidMap)),
    gid: users.gid ?? (ctx.uid === 0 || users.mapRoot ? 0 : first(maps.gidMap)),
    // An unprivileged writer must deny setgroups before writing gid_map (since Linux 3.19).
    setgroups: users.setgroups ?? (ctx.uid === 0 ? "allow" : "deny"),
  };
}

/** Makes every implicit decision explicit. Call after `checkRules` found no issue. */
export function normalizeSpec(spec: SandboxSpec, ctx: PlanContext): NormalSpec {
  const namespaces = { ...spec.namespaces };
  // `--net host` means sharing the host's network namespace; there is nothing else to set up.
  if (spec.network.mode === "host") namespaces.net = { mode: "host" };
  const normal: SandboxSpec = { ...spec, namespaces };
  const pidIsNew = namespaces.pid.mode === "new";
  const dns = resolvConfMount(normal, ctx);
  return {
    ...normal,
    users: normalizeUsers(normal, ctx),
    mounts: namespaces.mnt.mode === "new" ? orderMounts(dns ? [...spec.mounts, dns] : spec.mounts) : [],
    hostname: namespaces.uts.mode === "new" ? (spec.hostname ?? spec.name ?? DEFAULT_HOSTNAME) : spec.hostname,
    // The init is PID 1 of the sandbox's own PID namespace; there is none to be init of otherwise.
    process: { ...spec.process, init: spec.process.init && pidIsNew },
  };
}
