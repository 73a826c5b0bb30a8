// Host unix sockets a sandbox is allowed to reach (`--allow-unix PATH`): the path must be a
// socket, and the sandbox's user must be able to connect(2) to it, which takes write permission
// on the socket file (unix(7)). Started by root, the sandbox's root is an unprivileged host uid
// (README "Where root's users go"), so a socket only root may write refuses it with EACCES.
import { statSync } from "node:fs";
import { UsageError } from "../base/errors.ts";

export interface SocketOwner {
  uid: number;
  gid: number;
  mode: number;
}

/**
 * Whether host `uid`:`gid`, with no supplementary groups (the stage clears them) and no
 * capability, may write the file: the owner, group or other write bit that applies (the first
 * class that matches decides, as in the kernel's acl_permission_check). POSIX ACLs are not read.
 */
export function mayWrite(file: SocketOwner, uid: number, gid: number): boolean {
  if (file.uid === uid) return (file.mode & 0o200) !== 0;
  if (file.gid === gid) return (file.mode & 0o020) !== 0;
  return (file.mode & 0o002) !== 0;
}

/** The host id an id inside maps to (user_namespaces(7)); the id itself without a map (shared user namespace). */
export function hostId(map: readonly { inside: number; outside: number; count: number }[], inside: number): number | undefined {
  if (map.length === 0) return inside;
  const r = map.find((m) => inside >= m.inside && inside < m.inside + m.count);
  return r ? r.outside + (inside - r.inside) : undefined;
}

/**
 * Checks an `--allow-unix` path on the host. Throws when it is missing or not a socket; returns
 * a warning when the sandbox's host uid/gid cannot write it (connect would fail with EACCES).
 */
export function checkAllowedSocket(path: string, where: string, host: { uid: number | undefined; gid: number | undefined }): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UsageError(`${where} ${path}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : (e as Error).message}`, "start the backend first");
  }
  if (!st.isSocket()) throw new UsageError(`${where} ${path}: not a unix socket`);
  if (host.uid === undefined || host.gid === undefined) return undefined;
  if (mayWrite({ uid: st.uid, gid: st.gid, mode: st.mode }, host.uid, host.gid)) return undefined;
  return (
    `${where} ${path}: the sandbox runs as host uid ${host.uid} gid ${host.gid}, which may not write this socket ` +
    `(owner ${st.uid}:${st.gid}, mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}), so connect(2) will fail with EACCES; ` +
    `allow it with chmod o+w, a group (chgrp ${host.gid} and chmod g+w) or an ACL (setfacl -m u:${host.uid}:rw)`
  );
}
