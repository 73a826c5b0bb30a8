// The rule a plugin's plan must keep (define.ts PluginPlanContext.base): it may add to the
// sandbox the flags and defaults asked for, never open it up. This finds where a planned spec is
// looser than its base, one line each. Pure. It checks what can be compared without judgement
// (namespaces, ids, capabilities, the syscall filter, limits, read-only and masked paths); new
// writable binds are a plugin's right, visible in `nsbox plan --plugin NAME`.
import type { NormalSpec } from "../model/normalize.ts";
import { NS_KINDS } from "../model/schema.ts";
import { seccompRules } from "../model/seccomp-policy.ts";
import { rootModeOf } from "../model/root-view.ts";

const LIMITS = [["memory", "memory limit"], ["pids", "process limit"], ["cpuQuota", "CPU limit"]] as const;

function ruleKey(r: ReturnType<typeof seccompRules>[number]): string {
  return `${r.syscall} ${r.when.map((c) => `${c.arg}&${c.mask}=${c.value}`).join(",")}`;
}

/** Where `planned` is looser than `base`; empty when it keeps everything base asked for. */
export function loosenings(base: NormalSpec, planned: NormalSpec): string[] {
  const found: string[] = [];
  for (const kind of NS_KINDS) {
    if (base.namespaces[kind].mode !== "host" && planned.namespaces[kind].mode === "host") {
      found.push(`it shares the host's ${kind} namespace`);
    }
  }
  if (!base.users.mapHostRoot && planned.users.mapHostRoot) found.push("it maps real host root into the sandbox");
  if (!base.users.idmapHostRoot && planned.users.idmapHostRoot) found.push("it lets an idmapped bind map on-disk root");
  const extraCaps = planned.security.capabilities.filter((c) => !base.security.capabilities.includes(c));
  if (extraCaps.length > 0) found.push(`it keeps capabilities ${extraCaps.join(",")}`);
  const plannedRules = new Set(seccompRules(planned.security.seccomp).map(ruleKey));
  const dropped = seccompRules(base.security.seccomp).filter((r) => !plannedRules.has(ruleKey(r)));
  if (dropped.length > 0) found.push(`its system call filter allows ${[...new Set(dropped.map((r) => r.syscall))].slice(0, 5).join(", ")}${dropped.length > 5 ? ", ..." : ""}`);
  for (const [key, what] of LIMITS) {
    const was = base.limits[key];
    const now = planned.limits[key];
    if (was !== undefined && (now === undefined || now > was)) found.push(`it raises the ${what}`);
  }
  if (base.process.newSession && !planned.process.newSession) found.push("it keeps the caller's session");
  // `os` and `empty` hide the host's data: a plan that puts a host tree on / shows it all again.
  const baseRoot = rootModeOf(base.mounts);
  const newRoot = planned.mounts.find((m) => m.kind === "bind" && m.dst === "/");
  if (baseRoot !== "host" && baseRoot !== "custom" && newRoot?.kind === "bind") found.push(`it puts the host's ${newRoot.src} on / (asked for: --root ${baseRoot})`);
  for (const m of base.mounts) {
    if (m.kind === "mask" || m.kind === "remount-ro") {
      if (!planned.mounts.some((p) => p.kind === m.kind && p.dst === m.dst)) found.push(`it drops the ${m.kind} of ${m.dst}`);
    } else if (m.kind === "bind" && m.readonly) {
      if (planned.mounts.some((p) => p.kind === "bind" && p.dst === m.dst && !p.readonly)) found.push(`it makes ${m.dst} writable`);
    }
  }
  return found;
}
