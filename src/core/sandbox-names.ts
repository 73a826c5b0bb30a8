// Names for namespaces in `nsbox ns ls`: a running sandbox's own namespaces carry its name, a
// persisted namespace the name it was persisted under. Keyed by kind and inode, never by pid.
import { statSync } from "node:fs";
import type { NsRef } from "./ns-list.ts";
import { persistRoot } from "./persist.ts";
import { runningRecords, sandboxInit, sandboxNsFile } from "./sandbox-record.ts";
import { NS_KINDS } from "../model/schema.ts";

export function sandboxNamer(): (ns: NsRef) => string | null {
  const names = new Map<string, string>();
  for (const r of runningRecords()) {
    const init = sandboxInit(r);
    if (init === undefined) continue;
    for (const k of NS_KINDS) {
      if (r.spec.namespaces[k].mode !== "new") continue;
      try {
        names.set(`${k}:${statSync(`/proc/${init}/ns/${sandboxNsFile(k)}`).ino}`, r.name);
      } catch {
        // it ended while we looked
      }
    }
  }
  const persisted = `${persistRoot()}/`;
  return (ns) => {
    const byInode = names.get(`${ns.kind}:${ns.inode}`);
    if (byInode) return byInode;
    if (ns.path?.startsWith(persisted)) return ns.path.slice(persisted.length).split("/")[0] ?? null;
    return null;
  };
}

