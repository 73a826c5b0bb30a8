// Which `nsbox run` lines the plan cache (core/plan-cache.ts) may keep: those whose planning reads
// nothing but argv and the PlanContext (ids, environment, cwd, subordinate ranges, host layout),
// which the cache key holds whole. Every sandbox option is in one of the two lists below (a test
// holds that), so a new option is not cached until someone has read what its planning reads.
// Plugins never get here: a line that names one is not looked up at all.
import { SECCOMP_BASES } from "../model/seccomp-rules.ts";
import type { OptionUse } from "./sandbox-command.ts";

/** Options whose planning reads more than argv and the context, and why. */
export const UNCACHED_OPTIONS: Readonly<Record<string, string>> = {
  join: "whether the persisted namespace exists",
  zone: "the zone's DNS settings",
  seccomp: "a policy file (a level, default/strict/none, is cached)",
  "seccomp-allow": "libseccomp's syscall table",
  "seccomp-deny": "libseccomp's syscall table",
};

/**
 * Options whose planning reads argv and the context alone. What some of them ask for is made at
 * each start (--state's directory, --memory's cgroup, --keep-fd's check, --publish's listener,
 * --log's directory):
 * only the spec is kept.
 * --name also plans in the name's recorded id range: the entry keeps that range, and a hit claims
 * the name's range again and must get the same one (cli/run-cache.ts).
 */
export const PURE_OPTIONS: ReadonlySet<string> = new Set([
  "unshare", "share", "hostname", "root", "propagation", "map-root", "map-host-root", "map-users", "uid", "gid",
  "chdir", "setenv", "unsetenv", "clearenv", "keep-fd", "no-init", "die-with-parent", "net", "cap-add", "rlimit",
  "memory", "pids", "cpu", "new-session", "allow-userns", "idmap-bind", "idmap-host-root", "state", "name", "publish", "log", "log-max",
  "ro-bind", "bind", "ro-bind-try", "bind-try", "tmpfs", "proc", "dev", "mqueue", "dir", "symlink",
]);

const isSeccompLevel = (value: string | undefined) => (SECCOMP_BASES as readonly (string | undefined)[]).includes(value);

/** Extra flags of `run` besides the options: only the log level, which the entry keeps (not --profile: a file). */
const PURE_EXTRAS = new Set(["quiet", "verbose"]);

/** Whether a plan made from these options and extra flags is a pure function of argv and the context. */
export function isCacheablePlan(uses: readonly OptionUse[], extras: ReadonlyMap<string, readonly string[]>): boolean {
  if ([...extras.keys()].some((name) => !PURE_EXTRAS.has(name))) return false;
  return uses.every((u) => PURE_OPTIONS.has(u.name) || (u.name === "seccomp" && isSeccompLevel(u.values[0])));
}
