// The sandbox options of `run`, `plan` and the commands built on them, as one table. Flags and
// profile files both become a list of (option, values) applied in order to a spec draft, so the
// two can never disagree. Order matters like in bubblewrap: `--clearenv --setenv A 1` keeps A.
import * as v from "valibot";
import { AbsPath, NS_KINDS, NET_MODES, PROPAGATIONS, type NsKind, type SandboxSpecInput } from "../model/schema.ts";
import { PRIVATE_MOUNTS } from "../model/defaults.ts";
import { ROOT_MODES, rootMounts } from "../model/root-view.ts";
import { UsageError } from "../base/errors.ts";
import type { PlanContext } from "../model/context.ts";
import { existsSync } from "node:fs";
import { persistedPath } from "../core/persist.ts";
import { checkName } from "./names.ts";
import { isCapabilityName } from "../model/capabilities.ts";
import { parseBytes, parseCpu, parseRlimit } from "../model/limits.ts";
import { SECCOMP_OPTIONS } from "./seccomp-options.ts";
import { parseIdmap, stateDirProblem } from "../model/host-data.ts";
import { parsePublish } from "../model/publish.ts";
import { DEFAULT_LOG_MAX, logPathProblem, MIN_LOG_MAX } from "../model/output-log.ts";
import type { MountInput, SandboxOption, SpecDraft } from "./spec-draft.ts";

export type { SandboxOption, SpecDraft };

function parseNumber(value: string, where: string, max = 0xffffffff): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || Number(value) > max)
    throw new UsageError(`${where}: '${value}' is not a whole number from 0 to ${max}`);
  return Number(value);
}

function parseKinds(list: string, where: string): NsKind[] {
  const kinds = list.split(",").map((k) => k.trim());
  if (kinds.length === 1 && kinds[0] === "all") return [...NS_KINDS];
  for (const k of kinds) {
    if (!(NS_KINDS as readonly string[]).includes(k))
      throw new UsageError(`${where}: unknown namespace '${k}' (use ${NS_KINDS.join(",")} or all)`);
  }
  return kinds as NsKind[];
}

function pickOne<T extends string>(value: string, allowed: readonly T[], where: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${where}: '${value}' is not one of ${allowed.join(", ")}`);
  return value as T;
}

/** Checks path-shaped values where the flag is named, so the message points at the flag. */
function checkPaths(values: string[], metas: readonly string[], where: string): void {
  values.forEach((value, i) => {
    if (metas[i] === "TARGET") return; // a symlink target may be relative
    const result = v.safeParse(AbsPath, value);
    if (!result.success) throw new UsageError(`${where}: ${metas[i]} '${value}' ${result.issues[0].message}`);
  });
}

function mountOption(name: string, args: string[], help: string, make: (v: string[]) => MountInput): SandboxOption {
  return {
    name, args, help,
    apply: (d, values, where) => {
      checkPaths(values, args, where);
      d.mounts.push(make(values));
    },
  };
}

/** A later --net, --zone, --share net or --join net replaces the mode, not the --publish list. */
const keptPublish = (d: SpecDraft) => (d.spec.network.publish ? { publish: d.spec.network.publish } : {});

const YES_NO = ["yes", "no"] as const;
/** One kind, or all: a comma list completes one kind at a time. */
const NS_CHOICES = [...NS_KINDS, "all"] as const;

const bind = (readonly: boolean, optional: boolean) => (v: string[]): MountInput => ({ kind: "bind", src: v[0]!, dst: v[1]!, readonly, optional });

export const SANDBOX_OPTIONS: readonly SandboxOption[] = [
  {
    name: "unshare", args: ["LIST"], help: "create these namespaces (user,mnt,pid,net,uts,ipc,cgroup,time or all)", choices: NS_CHOICES,
    apply: (d, [list], w) => parseKinds(list!, w).forEach((k) => (d.namespaces[k] = { mode: "new" })),
  },
  {
    name: "share", args: ["LIST"], help: "use the host's namespaces of these kinds instead of new ones", choices: NS_CHOICES,
    apply: (d, [list], w) =>
      parseKinds(list!, w).forEach((k) => {
        d.namespaces[k] = { mode: "host" };
        if (k === "net") d.spec.network = { mode: "host", ...keptPublish(d) };
      }),
  },
  {
    name: "join", args: ["KIND=PATH|NAME"], help: "join an existing namespace: a ns file, or one persisted with `nsbox ns persist NAME` (repeatable)",
    apply: (d, [spec], w) => {
      const eq = spec!.indexOf("=");
      const [kind] = parseKinds(eq > 0 ? spec!.slice(0, eq) : "", w);
      const target = eq > 0 ? spec!.slice(eq + 1) : "";
      if (!kind || !target) throw new UsageError(`${w}: '${spec}' is not KIND=PATH or KIND=NAME`);
      const path = target.startsWith("/") ? target : persistedPath(checkName(target, w), kind);
      checkPaths([path], ["PATH"], w);
      if (!existsSync(path)) throw new UsageError(`${w}: ${path} does not exist`, target.startsWith("/") ? undefined : `persist it first: nsbox ns persist ${target} --unshare ${kind}`);
      d.namespaces[kind] = { mode: "join", path };
      if (kind === "net") d.spec.network = { mode: "none", ...keptPublish(d) };
    },
  },
  { name: "hostname", args: ["NAME"], help: "hostname inside (default: nsbox, or the sandbox name)", apply: (d, [n]) => void (d.spec.hostname = n) },
  {
    name: "root", args: ["MODE"], choices: ROOT_MODES,
    help: "os (default): the host's /usr, /etc, /bin, /sbin, /lib* read-only, no host data; host: the whole host root read-only; empty: a bare read-only tmpfs root",
    apply: (d, [m], w) => void (d.root = pickOne(m!, ROOT_MODES, w)),
  },
  mountOption("ro-bind", ["SRC", "DST"], "bind SRC read-only at DST", bind(true, false)),
  mountOption("bind", ["SRC", "DST"], "bind SRC writable at DST (writes reach the host)", bind(false, false)),
  mountOption("ro-bind-try", ["SRC", "DST"], "like --ro-bind, skipped when SRC does not exist", bind(true, true)),
  mountOption("bind-try", ["SRC", "DST"], "like --bind, skipped when SRC does not exist", bind(false, true)),
  {
    name: "state", args: ["DIR"], help: "a state directory: DIR is created if missing, given to the sandbox's root and bound writable at DIR (repeatable)",
    apply: (d, values, w) => {
      checkPaths(values, ["DIR"], w);
      const problem = stateDirProblem(values[0]!);
      if (problem) throw new UsageError(`${w}: ${problem}`);
      d.mounts.push({ kind: "bind", src: values[0]!, dst: values[0]!, state: true });
    },
  },
  {
    name: "idmap-bind", args: ["SRC", "DST", "INSIDE:ONDISK[:COUNT]"], help: "bind SRC writable at DST through an idmapped mount: on-disk ids ONDISK.. are the sandbox's INSIDE.. (comma-separate ranges); nothing else is writable",
    apply: (d, [src, dst, map], w) => {
      checkPaths([src!, dst!], ["SRC", "DST"], w);
      const idmap = parseIdmap(map!);
      if (typeof idmap === "string") throw new UsageError(`${w}: ${idmap}`);
      d.mounts.push({ kind: "bind", src: src!, dst: dst!, idmap });
    },
  },
  {
    name: "idmap-host-root", args: [], help: "DANGEROUS: let --idmap-bind map on-disk uid/gid 0 (files written there are host root's)",
    apply: (d) => void (d.spec.users.idmapHostRoot = true),
  },
  mountOption("tmpfs", ["DST"], "a fresh tmpfs at DST", ([dst]) => ({ kind: "tmpfs", dst: dst!, mode: 0o755 })),
  mountOption("proc", ["DST"], "a procfs of the sandbox's PID namespace at DST", ([dst]) => ({ kind: "proc", dst: dst! })),
  mountOption("dev", ["DST"], "a minimal /dev at DST", ([dst]) => ({ kind: "dev", dst: dst! })),
  mountOption("mqueue", ["DST"], "a POSIX message queue filesystem at DST", ([dst]) => ({ kind: "mqueue", dst: dst! })),
  mountOption("dir", ["DST"], "create the directory DST", ([dst]) => ({ kind: "dir", dst: dst!, mode: 0o755 })),
  mountOption("symlink", ["TARGET", "LINK"], "create the symlink LINK pointing to TARGET", ([target, dst]) => ({ kind: "symlink", target: target!, dst: dst! })),
  {
    name: "propagation", args: ["MODE"], help: "what / becomes: slave (default), private, shared or unchanged", choices: PROPAGATIONS,
    apply: (d, [m], w) => void (d.spec.propagation = pickOne(m!, PROPAGATIONS, w)),
  },
  { name: "map-root", args: [], help: "rootless: map your uid to root inside", apply: (d) => void (d.spec.users.mapRoot = true) },
  {
    name: "map-host-root", args: [], help: "DANGEROUS: root inside is real host root (default: an unprivileged host range)",
    apply: (d) => void (d.spec.users.mapHostRoot = true),
  },
  {
    name: "map-users", args: ["INSIDE:OUTSIDE:COUNT"], help: "map a uid and gid range (repeatable; replaces the default map)",
    apply: (d, [spec], w) => {
      const parts = spec!.split(":");
      if (parts.length !== 3) throw new UsageError(`${w}: '${spec}' is not INSIDE:OUTSIDE:COUNT`);
      const [inside, outside, count] = parts.map((p) => parseNumber(p, w)) as [number, number, number];
      const users = d.spec.users;
      users.uidMap = [...(users.uidMap ?? []), { inside, outside, count }];
      users.gidMap = [...(users.gidMap ?? []), { inside, outside, count }];
    },
  },
  { name: "uid", args: ["UID"], help: "uid the command runs as, inside (default 0)", apply: (d, [n], w) => void (d.spec.users.uid = parseNumber(n!, w)) },
  { name: "gid", args: ["GID"], help: "gid the command runs as, inside (default 0)", apply: (d, [n], w) => void (d.spec.users.gid = parseNumber(n!, w)) },
  {
    name: "chdir", args: ["DIR"], help: "working directory inside (default /)",
    apply: (d, values, w) => {
      checkPaths(values, ["DIR"], w);
      d.spec.process.cwd = values[0];
    },
  },
  { name: "setenv", args: ["KEY", "VALUE"], help: "set an environment variable", apply: (d, [k, val]) => void (d.env[k!] = val!) },
  { name: "unsetenv", args: ["KEY"], help: "remove an environment variable", apply: (d, [k]) => void delete d.env[k!] },
  { name: "clearenv", args: [], help: "start from an empty environment", apply: (d) => void (d.env = {}) },
  {
    name: "keep-fd", args: ["FD"], help: "pass this fd to the command (repeatable); all others are closed",
    apply: (d, [fd], w) => void (d.spec.process.keepFds = [...(d.spec.process.keepFds ?? []), parseNumber(fd!, w, 65535)]),
  },
  { name: "no-init", args: [], help: "run the command as PID 1 itself (it then must reap and handle signals)", apply: (d) => void (d.spec.process.init = false) },
  { name: "die-with-parent", args: [], help: "kill the sandbox when nsbox's parent dies", apply: (d) => void (d.spec.process.dieWithParent = true) },
  {
    name: "log", args: ["FILE"], help: `the command's stdout and stderr to FILE, written by nsbox's supervisor and rotated to FILE.1 so both stay under --log-max (default ${DEFAULT_LOG_MAX / 1024 / 1024}M)`,
    apply: (d, values, w) => {
      checkPaths(values, ["FILE"], w);
      const problem = logPathProblem(values[0]!);
      if (problem) throw new UsageError(`${w}: '${values[0]}': ${problem}`);
      d.spec.process.log = { maxBytes: DEFAULT_LOG_MAX, ...d.spec.process.log, path: values[0]! };
    },
  },
  {
    name: "log-max", args: ["SIZE"], help: "most bytes --log keeps on disk, FILE and FILE.1 together, e.g. 8M (at least 64K)",
    apply: (d, [text], w) => {
      const bytes = parseBytes(text!);
      if (bytes === undefined || bytes < MIN_LOG_MAX) throw new UsageError(`${w}: '${text}' is not a size of at least 64K (e.g. 512K, 8M)`);
      // Kept when --log comes later; one without --log is refused by toSpecInput.
      d.spec.process.log = { path: "", ...d.spec.process.log, maxBytes: bytes };
    },
  },
  {
    name: "net", args: ["MODE"], help: "loopback (default): only lo; none: no interface; host: the host's network", choices: NET_MODES,
    apply: (d, [m], w) => {
      const mode = pickOne(m!, NET_MODES, w);
      d.spec.network = { mode, ...keptPublish(d) };
      d.namespaces.net = { mode: mode === "host" ? "host" : "new" };
    },
  },
  {
    name: "zone", args: ["NAME"], help: "join the netzone zone NAME: a veth on its bridge, its address and policy (nsbox netzone create)",
    apply: (d, [z]) => {
      d.spec.network = { mode: "zone", zone: z!, ...keptPublish(d) };
      d.namespaces.net = { mode: "new" };
    },
  },
  {
    name: "publish", args: ["HOSTADDR:PORT[:INNERPORT]"],
    help: "forward the host's HOSTADDR:PORT to INNERPORT (default PORT) on the sandbox's loopback; needs a network namespace of its own (repeatable)",
    apply: (d, [text], w) => {
      const p = parsePublish(text!);
      if (typeof p === "string") throw new UsageError(`${w}: ${p}`);
      d.spec.network = { ...d.spec.network, publish: [...(d.spec.network.publish ?? []), p] };
    },
  },
  {
    name: "cap-add", args: ["CAP[,CAP...]"], help: "keep these capabilities (default: none); CAP_ prefix optional",
    apply: (d, [list], w) => {
      const caps = list!.split(",").map((c) => c.trim().toUpperCase()).map((c) => (c.startsWith("CAP_") ? c : `CAP_${c}`));
      for (const c of caps) if (!isCapabilityName(c)) throw new UsageError(`${w}: unknown capability '${c}' (see capabilities(7))`);
      d.spec.security.capabilities = [...new Set([...(d.spec.security.capabilities ?? []), ...caps])];
    },
  },
  {
    name: "rlimit", args: ["NAME=SOFT[:HARD]"], help: "a setrlimit(2) limit for the command, e.g. NOFILE=1024:4096 (repeatable)",
    apply: (d, [text], w) => {
      const r = parseRlimit(text!);
      if (typeof r === "string") throw new UsageError(`${w}: ${r}`);
      d.spec.limits.rlimits = { ...d.spec.limits.rlimits, [r.name]: { soft: r.soft, hard: r.hard } };
    },
  },
  {
    name: "memory", args: ["BYTES"], help: "memory limit for the whole sandbox (cgroup), e.g. 256M, 2G",
    apply: (d, [text], w) => {
      const bytes = parseBytes(text!);
      if (bytes === undefined) throw new UsageError(`${w}: '${text}' is not a size (e.g. 512K, 256M, 2G)`);
      d.spec.limits.memory = bytes;
    },
  },
  {
    name: "pids", args: ["N"], help: "most processes and threads at once (cgroup)",
    apply: (d, [n], w) => void (d.spec.limits.pids = parseNumber(n!, w, 4194304)),
  },
  {
    name: "cpu", args: ["CPUS"], help: "CPU time as a number of CPUs, e.g. 0.5 (cgroup)",
    apply: (d, [text], w) => {
      const quota = parseCpu(text!);
      if (quota === undefined) throw new UsageError(`${w}: '${text}' is not a number of CPUs from 0.01 to 4096`);
      d.spec.limits.cpuQuota = quota;
    },
  },
  {
    name: "new-session", args: ["yes|no"], help: "no: keep the caller's session (TIOCSTI stays blocked by seccomp); default yes", choices: YES_NO,
    apply: (d, [yn], w) => void (d.spec.process.newSession = pickOne(yn!, YES_NO, w) === "yes"),
  },
  {
    name: "name", args: ["NAME"], help: "name of the sandbox (also its default hostname)",
    apply: (d, [n]) => void (d.spec.name = n),
  },
  ...SECCOMP_OPTIONS,
];

const BY_NAME = new Map(SANDBOX_OPTIONS.map((o) => [o.name, o]));

export function findSandboxOption(name: string): SandboxOption | undefined {
  return BY_NAME.get(name);
}

export function newDraft(ctx: PlanContext): SpecDraft {
  return {
    namespaces: {},
    root: "os",
    layout: ctx.host,
    mounts: [],
    env: { ...ctx.env },
    spec: { users: {}, network: {}, process: {}, security: {}, limits: {} },
  };
}

/** The SandboxSpec input for a draft with the command to run: defaults first, then what was asked. */
export function toSpecInput(draft: SpecDraft, argv: string[]): SandboxSpecInput {
  // Not a new namespace: shared with the host, or joined.
  const shared = (k: NsKind) => draft.namespaces[k] !== undefined && draft.namespaces[k]!.mode !== "new";
  // A mount namespace that is not new (the host's, or a joined one) gets no mounts at all: its
  // tree is what it is. A PID namespace that is not new gets no proc of our own (the kernel
  // refuses it from a new user namespace): the host's stays visible, through the root bind of
  // `host`, through a read-only bind of it under `os`.
  const procOf = (m: MountInput): MountInput[] =>
    m.kind !== "proc" || !shared("pid") ? [m] : draft.root === "os" ? [{ kind: "bind", src: "/proc", dst: "/proc", readonly: true }] : [];
  const defaults = shared("mnt") ? [] : [...rootMounts(draft.root, draft.layout), ...PRIVATE_MOUNTS.flatMap(procOf)];
  if (draft.spec.process.log?.path === "") throw new UsageError("--log-max: there is no --log FILE to cap");
  return {
    ...draft.spec,
    namespaces: draft.namespaces,
    mounts: [...defaults, ...draft.mounts],
    process: { ...draft.spec.process, argv, env: draft.env },
  };
}
