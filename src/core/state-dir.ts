// Where nsbox keeps what outlives one command: records of running sandboxes, persistent
// namespaces. Root uses /run/nsbox (a tmpfs: nothing survives a reboot, as nothing it describes
// does); rootless users their XDG runtime dir. Everything is recorded here before it is made.
import { join } from "node:path";
import { NsboxError } from "../base/errors.ts";
import { nodeFs } from "./sys/node-fs.ts";
import type { HostFs } from "./sys/sys.ts";

export function stateRoot(uid: number = process.getuid!(), env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (uid === 0) return "/run/nsbox";
  return join(env.XDG_RUNTIME_DIR || `/tmp/nsbox-${uid}`, "nsbox");
}

function assertPrivate(fs: HostFs, root: string, dir: string): void {
  for (const d of [root, dir]) {
    const st = fs.lstat(d);
    // Records hold environments and paths: another user must not read or plant them.
    if (!st.isDirectory || st.uid !== process.getuid!() || (st.mode & 0o022) !== 0) {
      throw new NsboxError(`state directory ${d} is not private to you`, 125, "it must be a directory you own, not writable by others");
    }
  }
}

function privateDir(fs: HostFs, root: string, parts: string[]): string {
  const dir = join(root, ...parts);
  fs.mkdir(dir, { recursive: true, mode: 0o700 });
  assertPrivate(fs, root, dir);
  return dir;
}

/** A private directory under the state root (mode 0700, ours), created when missing. */
export function stateDir(...parts: string[]): string {
  return stateDirOn(nodeFs, ...parts);
}

/** stateDir, made through `fs`. */
export function stateDirOn(fs: HostFs, ...parts: string[]): string {
  return privateDir(fs, stateRoot(), parts);
}

/** The same directory for reading: undefined when it does not exist yet (nothing is created). */
export function existingStateDir(...parts: string[]): string | undefined {
  return existingStateDirOn(nodeFs, ...parts);
}

/** existingStateDir, looked up through `fs`. */
export function existingStateDirOn(fs: HostFs, ...parts: string[]): string | undefined {
  const root = stateRoot();
  const dir = join(root, ...parts);
  if (!fs.exists(dir)) return undefined;
  assertPrivate(fs, root, dir);
  return dir;
}

/**
 * Where nsbox keeps what must survive a reboot, because data on disk depends on it: the id
 * ranges given to named sandboxes and the stamps of state directories. Root: /var/lib/nsbox.
 */
export function persistentRoot(uid: number = process.getuid!(), env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (uid === 0) return "/var/lib/nsbox";
  return join(env.XDG_STATE_HOME || join(env.HOME || `/tmp/nsbox-${uid}`, ".local/state"), "nsbox");
}

/** A private directory under the persistent root (mode 0700, ours), created when missing. */
export function persistentDir(...parts: string[]): string {
  return privateDir(nodeFs, persistentRoot(), parts);
}
