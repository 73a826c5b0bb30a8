// The host ids a sandbox's payload runs as: its inside uid and gid through the user namespace's
// maps. Its own module so that a start (core/bind-access.ts) needs none of explain's tables.
import type { NormalSpec } from "./normalize.ts";
import type { IdRange } from "./schema.ts";

function mapId(ranges: readonly IdRange[], inside: number): number | null {
  const r = ranges.find((x) => x.inside <= inside && inside < x.inside + x.count);
  return r ? r.outside + (inside - r.inside) : null;
}

/** The host uid and gid the payload runs as; null when its id is not mapped (the stage refuses that). */
export function payloadHostIds(spec: NormalSpec): { uid: number | null; gid: number | null } {
  const u = spec.users;
  if (spec.namespaces.user.mode === "join") return { uid: null, gid: null }; // the joined namespace's maps decide
  if (spec.namespaces.user.mode !== "new") return { uid: u.uid, gid: u.gid };
  return { uid: mapId(u.uidMap, u.uid), gid: mapId(u.gidMap, u.gid) };
}
