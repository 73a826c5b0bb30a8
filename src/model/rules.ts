// Cross-field rules: what a schema-valid spec may still get wrong ("hostname requires a uts
// namespace"). Each rule returns issues with a path and a way out; nothing throws.
import type { PlanContext } from "./context.ts";
import type { IdRange, SandboxSpec } from "./schema.ts";
import { MAX_PUBLISH, publishKey } from "./publish.ts";
import { seccompIssues } from "./seccomp-policy.ts";
import { hostDataIssues } from "./host-data.ts";

export interface SpecIssue {
  message: string;
  /** Dotted path into the spec, e.g. `mounts.0.dst`. */
  path: string;
}

type Rule = (spec: SandboxSpec, ctx: PlanContext) => SpecIssue[];

const isNew = (spec: SandboxSpec, kind: keyof SandboxSpec["namespaces"]) => spec.namespaces[kind].mode === "new";

function inRanges(id: number, ranges: IdRange[]): boolean {
  return ranges.some((r) => id >= r.inside && id < r.inside + r.count);
}

function overlaps(ranges: IdRange[], side: "inside" | "outside"): boolean {
  const sorted = [...ranges].sort((a, b) => a[side] - b[side]);
  return sorted.some((r, i) => i > 0 && sorted[i - 1]![side] + sorted[i - 1]!.count > r[side]);
}

const namespaceRules: Rule = (spec, ctx) => {
  const issues: SpecIssue[] = [];
  if (spec.hostname !== undefined && !isNew(spec, "uts"))
    issues.push({ path: "hostname", message: "--hostname requires a new uts namespace (drop --share uts)" });
  if (spec.mounts.length > 0 && !isNew(spec, "mnt"))
    issues.push({ path: "mounts", message: "mount steps require a new mnt namespace (drop --share mnt, or --root empty with no mounts)" });
  if (spec.network.mode !== "host" && spec.namespaces.net.mode === "host")
    issues.push({ path: "network.mode", message: `--net ${spec.network.mode} requires a new net namespace (use --net host to share the host's)` });
  if (spec.network.mode === "zone" && spec.network.zone === undefined)
    issues.push({ path: "network.zone", message: "network mode zone needs a zone name (--zone NAME)" });
  if (spec.network.mode === "zone" && spec.namespaces.net.mode === "join")
    issues.push({ path: "network.mode", message: "--zone makes the sandbox's network namespace: it cannot be combined with joining one" });
  if (spec.network.mode !== "zone" && spec.network.zone !== undefined)
    issues.push({ path: "network.zone", message: "a zone name needs network mode zone (--zone NAME)" });
  // The member's veth is plugged into a host bridge and policed by host nft tables: root's work.
  if (spec.network.mode === "zone" && ctx.uid !== 0)
    issues.push({ path: "network.zone", message: "--zone needs root: a zone member is wired to the zone's bridge on the host" });
  spec.mounts.forEach((m, i) => {
    if (m.kind === "mqueue" && !isNew(spec, "ipc"))
      issues.push({ path: `mounts.${i}`, message: "an mqueue mount requires a new ipc namespace" });
    if (m.kind === "proc" && !isNew(spec, "pid") && isNew(spec, "user"))
      issues.push({ path: `mounts.${i}`, message: "a proc mount in a new user namespace requires a new pid namespace" });
  });
  return issues;
};

const userRules: Rule = (spec, ctx) => {
  const issues: SpecIssue[] = [];
  const u = spec.users;
  const userIsNew = isNew(spec, "user");
  const explicitMaps = u.uidMap.length > 0 || u.gidMap.length > 0;
  if (u.mapHostRoot && ctx.uid !== 0)
    issues.push({ path: "users.mapHostRoot", message: "--map-host-root needs nsbox to run as root" });
  if (u.mapHostRoot && (explicitMaps || u.mapRoot))
    issues.push({ path: "users.mapHostRoot", message: "--map-host-root cannot be combined with --map-users or --map-root" });
  if (explicitMaps && !userIsNew)
    issues.push({ path: "users.uidMap", message: "--map-users requires a new user namespace (drop --share user)" });
  if (explicitMaps && (u.uidMap.length === 0 || u.gidMap.length === 0))
    issues.push({ path: "users.gidMap", message: "give both a uid map and a gid map" });
  if (u.uidMap.length > 340 || u.gidMap.length > 340)
    issues.push({ path: "users.uidMap", message: "at most 340 map lines (user_namespaces(7))" });
  for (const [side, path] of [["inside", "users.uidMap"], ["outside", "users.uidMap"]] as const) {
    if (overlaps(u.uidMap, side) || overlaps(u.gidMap, side))
      issues.push({ path, message: `map ranges overlap on the ${side} side` });
  }
  if (ctx.uid !== 0) {
    if (spec.namespaces.user.mode === "host")
      issues.push({ path: "namespaces.user", message: "without root, nsbox needs a user namespace of its own (drop --share user)" });
    const own = (m: IdRange[], id: number) => m.every((r) => r.outside === id && r.count === 1) && m.length <= 1;
    if (explicitMaps && !(own(u.uidMap, ctx.uid) && own(u.gidMap, ctx.gid)))
      issues.push({ path: "users.uidMap", message: `without root only your own ids can be mapped (uid ${ctx.uid}, gid ${ctx.gid}, count 1)` });
  }
  if (userIsNew && explicitMaps) {
    if (u.uid !== undefined && !inRanges(u.uid, u.uidMap))
      issues.push({ path: "users.uid", message: `uid ${u.uid} is not mapped inside the user namespace` });
    if (u.gid !== undefined && !inRanges(u.gid, u.gidMap))
      issues.push({ path: "users.gid", message: `gid ${u.gid} is not mapped inside the user namespace` });
  }
  return issues;
};

/** Where a symlink in the new root leads: its target, resolved against the link's directory. */
function linkTarget(dst: string, target: string): string {
  const parts = target.startsWith("/") ? [] : dst.split("/").slice(1, -1);
  for (const c of target.split("/")) {
    if (c === "..") parts.pop();
    else if (c !== "" && c !== ".") parts.push(c);
  }
  return `/${parts.join("/")}`;
}

/**
 * A mount under a symlink the plan itself makes (`/bin -> usr/bin` of the os root) would land
 * wherever the link leads, usually under a read-only bind: say so with the path to use instead.
 * A step at the link's own path replaces the link (the last step for a path wins).
 */
const symlinkRules: Rule = (spec) => {
  const last = new Map(spec.mounts.map((m, i) => [m.dst, i]));
  const links = spec.mounts.filter((m, i) => m.kind === "symlink" && last.get(m.dst) === i);
  const issues: SpecIssue[] = [];
  spec.mounts.forEach((m, i) => {
    const link = links.find((l) => m.dst.startsWith(`${l.dst}/`));
    if (!link || link.kind !== "symlink" || last.get(m.dst) !== i) return;
    const real = `${linkTarget(link.dst, link.target)}${m.dst.slice(link.dst.length)}`;
    issues.push({ path: `mounts.${i}.dst`, message: `${m.dst} is under the symlink ${link.dst} -> ${link.target} in the sandbox's root: use ${real}` });
  });
  return issues;
};

const processRules: Rule = (spec) => {
  const fds = spec.process.keepFds;
  return new Set(fds).size === fds.length ? [] : [{ path: "process.keepFds", message: "an fd is given twice in --keep-fd" }];
};

/**
 * --publish forwards into the sandbox's own network namespace: with the host's (or a joined one,
 * which may be the host's) the server would already be reachable, or the forward could reach
 * host services. Each is one listener the supervisor polls; one address twice cannot be bound.
 */
const publishRules: Rule = (spec) => {
  const publish = spec.network.publish ?? [];
  if (!publish.length) return [];
  const issues: SpecIssue[] = [];
  if (spec.namespaces.net.mode !== "new" || spec.network.mode === "host")
    issues.push({ path: "network.publish", message: "--publish needs a network namespace of the sandbox's own (not --net host, --share net or --join net)" });
  if (publish.length > MAX_PUBLISH) issues.push({ path: "network.publish", message: `at most ${MAX_PUBLISH} --publish` });
  const seen = new Set<string>();
  publish.forEach((p, i) => {
    const key = publishKey(p);
    if (seen.has(key)) issues.push({ path: `network.publish.${i}.host`, message: `--publish ${key} is given twice` });
    seen.add(key);
  });
  return issues;
};

/** `pid-N` names the sandboxes started without --name; a user's name must not look like one. */
const nameRules: Rule = (spec) =>
  spec.name !== undefined && /^pid-\d+$/.test(spec.name) ? [{ path: "name", message: "names of the form pid-N are reserved for unnamed sandboxes" }] : [];

/** A syscall both allowed and denied: which one was meant is not ours to guess. */
const seccompRule: Rule = (spec) => seccompIssues(spec.security.seccomp);

const RULES: readonly Rule[] = [namespaceRules, symlinkRules, userRules, processRules, publishRules, nameRules, seccompRule, hostDataIssues];

/** Every cross-field issue of a schema-valid spec; empty when it can run. */
export function checkRules(spec: SandboxSpec, ctx: PlanContext): SpecIssue[] {
  return RULES.flatMap((rule) => rule(spec, ctx));
}
