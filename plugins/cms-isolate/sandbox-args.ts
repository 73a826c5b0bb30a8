// An instance's sandbox as `nsbox run` options (read by ctx.sandbox, the same pipeline as
// `nsbox run`), and the one mount no option expresses (PHP's session dir, mode 1733). Pure.
//
// What the options give, on top of nsbox's defaults (every namespace but time new, the `os`
// root, private /tmp, /var/tmp, /run, /dev and /proc, no capabilities, no_new_privs, the default
// seccomp filter): the code read-only at its host path; the data a state directory (created,
// given to the instance's own id range without following symlinks, writable at its host path);
// hostname NAME; a sandbox name `cms-NAME` (its id range is stable per name, docs/ids.md);
// memory and process limits; loopback only, or a netzone zone for outbound access; and the
// host's ADDR:PORT published to the same port on the instance's loopback (args.ts innerAddress).
import type { SandboxSpecInput } from "nsbox/plugin";
import { sandboxName, type Instance } from "./args.ts";

/** PHP's session.save_path on Debian: files sessions are written there (php.ini, session.save_path). */
export const SESSION_DIR = "/var/lib/php/sessions";

/** The only variables the server sees: nothing of the caller's environment leaks in. */
export const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The run options; `iniDir` is the directory of the instance's php.ini additions, when it has
 * some; `log` the file its output goes to and the most it keeps on disk, when it has one.
 */
export function sandboxArgs(i: Instance, iniDir: string | undefined, log?: { path: string; max: string }): string[] {
  const args = [
    "--name", sandboxName(i.name),
    "--hostname", i.name,
    "--ro-bind", i.code, i.code,
    "--state", i.data,
    "--chdir", i.code,
    "--clearenv",
    "--setenv", "PATH", SANDBOX_PATH,
    "--setenv", "LANG", "C.UTF-8",
    // DokuWiki's preload (and any server script) finds its instance by these.
    "--setenv", "CMS_NAME", i.name,
    "--setenv", "CMS_DATA", i.data,
  ];
  if (iniDir !== undefined) {
    // PHP_INI_SCAN_DIR: a leading ':' keeps the distribution's scan dir (conf.d) before ours
    // (php.net "The configuration file": an empty element means the configure-time directory).
    args.push("--ro-bind", iniDir, iniDir, "--setenv", "PHP_INI_SCAN_DIR", `:${iniDir}`);
  }
  if (i.memory !== "none") args.push("--memory", i.memory);
  if (i.pids !== "none") args.push("--pids", i.pids);
  if (i.zone !== undefined) args.push("--zone", i.zone);
  // nsbox listens on the host's ADDR:PORT; the stage's supervisor forwards each connection into
  // the instance's own network namespace, to its loopback at PORT, where the server listens.
  args.push("--publish", `${i.listen}:${i.port}`);
  // The server's stdout and stderr are a pipe; the stage's supervisor writes them to the log and
  // rotates it (log → log.1) so both stay under the cap, whatever the server or its visitors do.
  if (log) args.push("--log", log.path, "--log-max", log.max);
  return [...args, "--", ...i.command];
}

type MountInput = NonNullable<SandboxSpecInput["mounts"]>[number];

/**
 * The sandbox ctx.sandbox parsed, with PHP's session dir as a private tmpfs, mode 1733 like
 * Debian's (write and search for all, no listing, sticky: a session id is the only way to a
 * session file).
 */
export function withSessionDir(spec: SandboxSpecInput): SandboxSpecInput {
  const sessions: MountInput = { kind: "tmpfs", dst: SESSION_DIR, mode: 0o1733 };
  return { ...spec, mounts: [...(spec.mounts ?? []), sessions] };
}
