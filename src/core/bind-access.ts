// Writable binds the sandbox cannot write: started by root, a sandbox's ids are an unprivileged
// host range, so a bind of a directory root owns is writable in name only. Said at run, plan and
// explain, before anyone finds out from an EACCES deep inside a service.
import { statSync } from "node:fs";
import type { NormalSpec } from "../model/normalize.ts";
import { payloadHostIds } from "../model/payload-ids.ts";

/** Whether host uid:gid has a permission bit (2 write, 1 search) on a file by its owner and mode. */
export function permits(st: { uid: number; gid: number; mode: number }, uid: number, gid: number, bit: 2 | 1): boolean {
  if (st.uid === uid) return (st.mode & (bit << 6)) !== 0;
  if (st.gid === gid) return (st.mode & (bit << 3)) !== 0;
  return (st.mode & bit) !== 0;
}

/** One warning per writable bind whose source the payload's host ids cannot write. */
export function unwritableBindWarnings(spec: NormalSpec, stat: (path: string) => { uid: number; gid: number; mode: number } | undefined = statQuietly): string[] {
  const ids = payloadHostIds(spec);
  if (ids.uid === null || ids.gid === null || ids.uid === 0) return [];
  const who = spec.users.uid === 0 ? "the sandbox's root" : `the sandbox's uid ${spec.users.uid}`;
  return spec.mounts.flatMap((m) => {
    if (m.kind !== "bind" || m.readonly || m.state || m.idmap) return [];
    const st = stat(m.src);
    if (!st || permits(st, ids.uid!, ids.gid!, 2)) return [];
    return [`writes to ${m.dst} will fail: owned by host uid ${st.uid}, ${who} is host uid ${ids.uid}; use --state ${m.dst} or --idmap-bind ${m.src} ${m.dst} INSIDE:ONDISK`];
  });
}

function statQuietly(path: string): { uid: number; gid: number; mode: number } | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
