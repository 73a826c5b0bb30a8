// The updater's sandbox as `nsbox run` options (what the supervising nsbox starts as its child):
// the `os` root, the package databases read-only, private /tmp and /var/tmp (defaults), only the
// state dirs writable, the five capabilities a package manager needs to drop privileges, kept
// inside the sandbox's own user namespace, and no network unless asked.
import { existsSync } from "node:fs";
import type { UpdaterJob } from "./args.ts";

/**
 * apt switches to `_apt` (setuid/setgid) and chowns its partial downloads to it; dnf and apt
 * write as root over files of other owners. Inside the user namespace these act only on the ids
 * of the sandbox's own range (user_namespaces(7): capabilities of a non-initial namespace act on
 * objects it owns; files of unmapped ids stay untouchable), never on the host's.
 */
export const KEPT_CAPABILITIES = ["CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_FOWNER", "CAP_DAC_OVERRIDE"] as const;

/** The package databases shown read-only at the same place when the host has them. */
export const PACKAGE_DATABASES = ["/var/lib/dpkg", "/var/lib/rpm"] as const;

/** Cron's environment has no PATH: the sandbox gets a fixed one, and nothing of the caller's. */
export const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function sandboxName(job: UpdaterJob): string {
  return `updater-${job.name}`;
}

export function runArgs(job: UpdaterJob, exists: (path: string) => boolean = existsSync): string[] {
  const args = ["run", "--name", sandboxName(job), "--die-with-parent", "--cap-add", KEPT_CAPABILITIES.join(",")];
  for (const db of PACKAGE_DATABASES) if (exists(db)) args.push("--ro-bind", db, db);
  for (const p of job.ro) args.push("--ro-bind", p, p);
  for (const d of job.state) args.push("--state", d);
  if (job.net.mode === "none") args.push("--net", "none");
  else if (job.net.mode === "host") args.push("--net", "host");
  else args.push("--zone", job.net.zone);
  args.push("--clearenv", "--setenv", "PATH", SANDBOX_PATH, "--setenv", "HOME", "/root", "--setenv", "LANG", "C.UTF-8");
  for (const [k, val] of job.setenv) args.push("--setenv", k, val);
  return [...args, "--", ...job.command];
}
