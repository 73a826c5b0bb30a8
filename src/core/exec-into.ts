// `nsbox exec`: a new process inside a running sandbox, under every restriction the sandbox runs
// under. Once the sandbox is built (never while it starts), it joins the namespaces of the
// sandbox's first process through fds opened and checked here (a pid alone could be reused), and
// takes ids, capabilities, no_new_privs, seccomp, rlimits, cwd and environment from the sandbox's
// own record, so joining never weakens it (firejail's --join bypass, CVE-2022-31214, is what
// happens otherwise).
import { closeSync, existsSync } from "node:fs";
import type { HostWire } from "../native/wire.ts";
import { planCgroups, readCgroupHost, sandboxCgroupId } from "./cgroup.ts";
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { formatIssue, planSpec } from "../model/plan.ts";
import { NS_KINDS, type NsKind, type SandboxSpecInput } from "../model/schema.ts";
import { NsboxError, UsageError } from "../base/errors.ts";
import type { SandboxRecord } from "./sandbox-record.ts";
import { openSandboxNamespaces } from "./sandbox-namespaces.ts";
import { logger } from "./log.ts";

const log = logger("exec");

export interface ExecPlan {
  spec: NormalSpec;
  /** Open fds on the sandbox's namespace files, to join through. */
  nsFds: number[];
  /** The sandbox's own cgroups, joined (never created, never removed). */
  cgroups?: HostWire["cgroups"];
}

/** The cgroups the sandbox was started in: the same plan, to join only. Missing dirs: refuse. */
function sandboxCgroups(record: SandboxRecord): HostWire["cgroups"] {
  const plan = planCgroups(record.spec.limits, sandboxCgroupId(record.pid, record.startTime), readCgroupHost);
  if (!plan) return undefined;
  const missing = plan.dirs.find((d) => !existsSync(d.path));
  if (missing) throw new NsboxError(`the sandbox's cgroup ${missing.path} is gone: its limits cannot be re-applied`, 125, "exec refuses to weaken a sandbox");
  return { cloneInto: plan.wire.cloneInto, join: plan.wire.join, watch: [], remove: [] };
}

/** Kinds that carry the sandbox's root and ids: leaving them out could not re-apply either. */
const REQUIRED_KINDS: readonly NsKind[] = ["user", "mnt"];

export function planExec(record: SandboxRecord, argv: string[], only: NsKind[] | undefined, ctx: PlanContext): ExecPlan {
  const own = NS_KINDS.filter((k) => record.spec.namespaces[k].mode !== "host");
  const kinds = only ?? own;
  for (const k of kinds) {
    if (!own.includes(k)) throw new UsageError(`--ns: the sandbox ${record.name} has no ${k} namespace of its own`);
  }
  for (const k of REQUIRED_KINDS) {
    if (own.includes(k) && !kinds.includes(k))
      throw new UsageError(`--ns must include ${k}: without it nsbox cannot re-apply the sandbox's ${k === "user" ? "ids" : "root"}`, "exec refuses to weaken a sandbox");
  }
  const { pid: member, nsFds } = openSandboxNamespaces(record, kinds);
  try {
    const namespaces: Record<string, { mode: "join"; path: string } | { mode: "host" }> = {};
    for (const k of NS_KINDS) namespaces[k] = kinds.includes(k) ? { mode: "join", path: `/proc/self/fd/${nsFds[kinds.indexOf(k)]}` } : { mode: "host" };
    log.debug(`joining the namespaces of pid ${member}`);
    const s = record.spec;
    // The command's output is the caller's: the sandbox's --log keeps its own payload's.
    const { log: _payloadLog, ...joined } = s.process;
    const input: SandboxSpecInput = {
      namespaces,
      users: { uid: s.users.uid, gid: s.users.gid },
      mounts: [],
      network: { mode: kinds.includes("net") ? "none" : "host" },
      process: { ...joined, argv, keepFds: [], init: false, dieWithParent: false },
      security: s.security,
      limits: s.limits,
    };
    const plan = planSpec(input, ctx);
    if (!plan.ok) throw new UsageError(formatIssue(plan.issues[0]!));
    return { spec: plan.spec, nsFds, cgroups: sandboxCgroups(record) };
  } catch (e) {
    for (const fd of nsFds) closeSync(fd);
    throw e;
  }
}
