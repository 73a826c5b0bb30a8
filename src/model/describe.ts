// describe(): one line per decision of a normalised spec, for `nsbox plan` and debug logs
// (nsjail's describeMountPt, for the whole sandbox). Says what each choice means, not just its value.
import { NS_KINDS, type MountStep } from "./schema.ts";
import type { NormalSpec } from "./normalize.ts";
import { riskWarnings } from "./risks.ts";
import { blocksNestedUserns } from "./userns.ts";
import { describeSeccomp } from "./seccomp-policy.ts";
import { rootModeOf } from "./root-view.ts";
import { describePublish } from "./publish.ts";
import { describeLog } from "./output-log.ts";

const octal = (mode: number) => `0${mode.toString(8)}`;

/** One mount step as a line: `ro-bind /srv -> /srv`. */
export function describeMount(m: MountStep): string {
  switch (m.kind) {
    case "bind": {
      const verb = `${m.devices ? "dev-" : m.readonly ? "ro-" : ""}bind${m.optional ? "-try" : ""}`;
      if (m.state) return `state ${m.src} (given to the sandbox's root, bound writable)`;
      const idmap = m.idmap ? ` (idmapped inside:on-disk ${m.idmap.map((r) => `${r.inside}:${r.onDisk}:${r.count}`).join(",")})` : "";
      return `${m.src === m.dst ? `${verb} ${m.src}` : `${verb} ${m.src} -> ${m.dst}`}${idmap}`;
    }
    case "tmpfs":
      return `tmpfs ${m.dst} (mode ${octal(m.mode)}${m.size ? `, ${m.size} bytes` : ""})`;
    case "dir":
      return `dir ${m.dst} (mode ${octal(m.mode)})`;
    case "symlink":
      return `symlink ${m.dst} -> ${m.target}`;
    case "dev":
      return `dev ${m.dst} (null zero full random urandom tty, private devpts, private shm)`;
    case "proc":
    case "mqueue":
      return `${m.kind} ${m.dst}`;
    case "mask":
      return `mask ${m.dst} (hidden if present)`;
    case "remount-ro":
      return `read-only ${m.dst} (if present)`;
  }
}

const ROOT_MEANING = {
  os: "a read-only tmpfs with the host's OS read-only and none of its data",
  host: "the host's whole root, read-only",
  empty: "a read-only tmpfs with only what is mounted into it",
  custom: "another tree bound on /",
} as const;

/** The root mode and every host tree the sandbox sees. */
function describeRoot(mounts: readonly MountStep[]): string {
  const mode = rootModeOf(mounts);
  const host = mounts.flatMap((m) => (m.kind === "bind" ? [`${m.src}${m.readonly ? "" : " (writable)"}`] : []));
  return `root: ${mode}: ${ROOT_MEANING[mode]}; host paths visible: ${host.length ? host.join(" ") : "none"}`;
}

/** Mount lines; the long runs of masks and read-only paths are folded into one line each. */
function describeMounts(mounts: readonly MountStep[]): string[] {
  const folded = { mask: "mask (hidden where present):", "remount-ro": "read-only (where present):" } as const;
  const lines: string[] = [];
  let open: { kind: keyof typeof folded; paths: string[] } | undefined;
  const flush = () => {
    if (open) lines.push(`mount: ${folded[open.kind]} ${open.paths.join(" ")}`);
    open = undefined;
  };
  for (const m of mounts) {
    if (m.kind === "mask" || m.kind === "remount-ro") {
      if (open?.kind !== m.kind) flush();
      open ??= { kind: m.kind, paths: [] };
      open.paths.push(m.dst);
      continue;
    }
    flush();
    lines.push(`mount: ${describeMount(m)}`);
  }
  flush();
  return lines;
}

function describeLimits(spec: NormalSpec): string[] {
  const l = spec.limits;
  const rl = Object.entries(l.rlimits).map(([n, r]) => `${n}=${r.soft}${r.hard !== r.soft ? `:${r.hard}` : ""}`);
  const cg = [
    l.memory !== undefined ? `memory ${l.memory} bytes` : "",
    l.pids !== undefined ? `pids ${l.pids}` : "",
    l.cpuQuota !== undefined ? `cpu ${l.cpuQuota / 100_000} CPUs` : "",
  ].filter(Boolean);
  return [...(rl.length ? [`limits: rlimits ${rl.join(" ")}`] : []), ...(cg.length ? [`limits: cgroup ${cg.join(", ")} (the sandbox starts inside its cgroup)`] : [])];
}

const PROPAGATION_MEANING = {
  slave: "host mounts made later appear inside, without the read-only flag; nothing made inside reaches the host",
  private: "no mount events cross in either direction",
  shared: "mount events cross both ways; mounts made inside can appear on the host",
  unchanged: "the host's propagation is kept as it is",
} as const;

function describeMaps(spec: NormalSpec): string {
  const u = spec.users;
  if (spec.namespaces.user.mode !== "new") return `users: host user namespace; payload runs as ${u.uid}:${u.gid}`;
  const map = (ranges: typeof u.uidMap) =>
    ranges.map((r) => (r.count === 1 ? `${r.inside}->${r.outside}` : `${r.inside}-${r.inside + r.count - 1}->${r.outside}-${r.outside + r.count - 1}`)).join(", ");
  const hostRoot = u.uidMap.some((r) => r.inside <= u.uid && u.uid < r.inside + r.count && r.outside + (u.uid - r.inside) === 0);
  return `users: uid ${map(u.uidMap)}; gid ${map(u.gidMap)}; setgroups ${u.setgroups}; payload runs as ${u.uid}:${u.gid}${hostRoot ? " (REAL HOST ROOT)" : ""}`;
}

function describeNetwork(spec: NormalSpec): string[] {
  return [describeNetworkMode(spec), ...(spec.network.publish ?? []).map((p) => `network: ${describePublish(p)} (relayed by the supervisor)`)];
}

function describeNetworkMode(spec: NormalSpec): string {
  const net = spec.namespaces.net;
  if (net.mode === "join") return `network: the joined namespace ${net.path}, as it is`;
  switch (spec.network.mode) {
    case "host":
      return "network: the host's network namespace (no network isolation)";
    case "none":
      return spec.network.publish?.length
        ? "network: new namespace, only loopback up (for --publish), no other interface"
        : "network: new namespace, no interface up (not even loopback)";
    case "loopback":
      return "network: new namespace with loopback only (lo up)";
    case "zone":
      return `network: new namespace with a veth on zone ${spec.network.zone}'s bridge (its address, routes and policy)`;
  }
}

function describeProcess(spec: NormalSpec): string[] {
  const p = spec.process;
  const envKeys = Object.keys(p.env);
  return [
    `process: ${p.init ? "init as PID 1 forwards signals and reaps, payload is PID 2" : "payload is PID 1 (no init)"}; ${p.newSession ? "new session (setsid)" : "caller's session"}${p.dieWithParent ? "; dies with its parent" : ""}`,
    ...(p.log ? [describeLog(p.log)] : []),
    `process: cwd ${p.cwd}; env ${envKeys.length} variable${envKeys.length === 1 ? "" : "s"}${envKeys.length ? ` (${envKeys.slice(0, 6).join(", ")}${envKeys.length > 6 ? ", ..." : ""})` : ""}; fds 0-2${p.keepFds.length ? `, ${p.keepFds.join(", ")}` : ""}, every other fd closed`,
  ];
}

/** The whole sandbox, one line per step, in the order the stage performs them. */
export function describeSpec(spec: NormalSpec): string[] {
  const created = NS_KINDS.filter((k) => spec.namespaces[k].mode === "new");
  const shared = NS_KINDS.filter((k) => spec.namespaces[k].mode === "host");
  const lines = [
    `namespaces: new ${created.join(", ") || "none"}${shared.length ? `; host ${shared.join(", ")}` : ""}`,
    ...NS_KINDS.flatMap((k) => {
      const ns = spec.namespaces[k];
      return ns.mode === "join" ? [`namespaces: join ${k} ${ns.path}`] : [];
    }),
    describeMaps(spec),
  ];
  if (spec.namespaces.mnt.mode === "new") {
    lines.push(`propagation: / is ${spec.propagation} (${PROPAGATION_MEANING[spec.propagation]})`);
    lines.push(describeRoot(spec.mounts));
    lines.push(...describeMounts(spec.mounts));
  }
  if (spec.hostname !== undefined) lines.push(`hostname: ${spec.hostname}`);
  lines.push(...describeNetwork(spec));
  lines.push(...describeProcess(spec));
  const caps = spec.security.capabilities;
  lines.push(`security: no_new_privs; capabilities: ${caps.length ? caps.join(", ") : "none (all sets empty)"}`);
  lines.push(describeSeccomp(spec.security.seccomp));
  if (blocksNestedUserns(spec)) lines.push("security: no nested user namespaces (user.max_user_namespaces=0 inside)");
  lines.push("security: a fresh session keyring (the caller's keys are out of reach)");
  lines.push(...describeLimits(spec));
  lines.push(...riskWarnings(spec).map((w) => `warning: ${w}`));
  lines.push(`command: ${spec.process.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}`);
  return lines;
}
