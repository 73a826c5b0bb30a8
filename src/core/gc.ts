// `nsbox gc`: finds and removes what killed runs left behind. It only ever looks at what nsbox
// recorded before making it (DESIGN.md §2), so it never guesses and never touches anything else.
// Each collector lists leftovers of one kind; later kinds (cgroups, veths, nft tables) add one.
import { readFileSync, rmdirSync, rmSync } from "node:fs";
import { listRecords, recordFiles } from "./sandbox-record.ts";
import { isRunning } from "./sandbox-record.ts";
import { parseMountinfo } from "./mountinfo.ts";
import { listPersistRecords, persistRoot, releasePrivateMount, removePersisted } from "./persist.ts";
import { emptyNsboxCgroupParents, removeCgroupDirs, staleCgroupRecords } from "./cgroup.ts";
import { netCollector } from "./net/net-gc.ts";
import { zoneFirewallCollector } from "./zone/zone-firewall.ts";
import type { Collector, Leftover } from "./gc-collector.ts";
import { staleStamps } from "./state-directories.ts";
import { planCacheCollector } from "./plan-cache-gc.ts";

export type { Collector, Leftover };

const sandboxRecords: Collector = {
  key: "records",
  name: "sandbox records",
  find: () =>
    listRecords().flatMap(({ file, record }) => {
      if (record && isRunning(record)) return [];
      const files = record ? recordFiles(record.name, record.pid) : undefined;
      return [{
        what: record ? `sandbox record ${record.name} (pid ${record.pid}, gone)` : `unreadable sandbox record ${file}`,
        pid: record?.pid,
        remove() {
          rmSync(file, { force: true });
          // The name file is only the dead sandbox's if it still points at its pid.
          if (files && readPid(files.name) === record!.pid) rmSync(files.name, { force: true });
        },
      }];
    }),
};

function readPid(file: string): number | undefined {
  try {
    return Number(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** The private mount persisted namespaces live under, once none is left (a killed `ns rm`). */
const persistMount: Collector = {
  key: "persist-mount",
  name: "persistent namespace mount",
  find: () => {
    const root = persistRoot();
    const mounted = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")).some((m) => m.mountPoint === root);
    return mounted && listPersistRecords().length === 0 ? [{ what: `private mount ${root} (no persistent namespaces left)`, remove: () => void releasePrivateMount() }] : [];
  },
};

/** Persisted namespaces whose bind mounts are not all there: a persist that was killed midway. */
const halfPersisted: Collector = {
  key: "persist",
  name: "persistent namespaces",
  find() {
    const mounted = new Set(parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")).filter((m) => m.fstype === "nsfs").map((m) => m.mountPoint));
    return listPersistRecords()
      .filter((r) => !r.files.every((f) => mounted.has(f)))
      .map((r) => ({ what: `half-made persistent namespaces ${r.name}`, remove: () => removePersisted(r) }));
  },
};

/** Cgroup dirs of sandboxes that are gone (the supervisor removes them itself when it can). */
const cgroups: Collector = {
  key: "cgroups",
  name: "cgroups",
  find: () =>
    staleCgroupRecords().map(({ file, record }) => ({
      what: `cgroup ${record.dirs.join(", ")} (pid ${record.pid}, gone)`,
      pid: record.pid,
      remove() {
        removeCgroupDirs(record.dirs);
        rmSync(file, { force: true });
      },
    })),
};

/** The `nsbox` parent cgroups, once no sandbox cgroup is left under them. */
const cgroupParents: Collector = {
  key: "cgroup-parents",
  name: "cgroup parents",
  find: () =>
    emptyNsboxCgroupParents().map((dir) => ({ what: `empty cgroup ${dir}`, remove: () => rmdirSync(dir) })),
};

/** Stamps of state directories that no longer exist (docs/ids.md); the directories are data, never collected. */
const stateStamps: Collector = { key: "stamps", name: "state-directory stamps", find: staleStamps };

export const COLLECTORS: Collector[] = [sandboxRecords, halfPersisted, persistMount, cgroups, cgroupParents, netCollector(), zoneFirewallCollector(), stateStamps, planCacheCollector()];

export interface GcResult {
  removed: string[];
  restored: string[];
  failed: { what: string; error: string }[];
}

/**
 * Which leftovers one gc takes: those of the collectors named `only` (all when absent), and of
 * those, with `pid`, only what the run with that pid made (a leftover that names no run is left).
 */
export interface GcFilter {
  only?: readonly string[];
  pid?: number;
}

export function collectGarbage(dryRun: boolean, collectors: readonly Collector[] = COLLECTORS, filter: GcFilter = {}): GcResult {
  const result: GcResult = { removed: [], restored: [], failed: [] };
  for (const c of collectors.filter((x) => !filter.only || filter.only.includes(x.key))) {
    for (const left of c.find().filter((l) => filter.pid === undefined || l.pid === filter.pid)) {
      const done = left.restores ? result.restored : result.removed;
      if (dryRun) {
        done.push(left.what);
        continue;
      }
      try {
        left.remove();
        done.push(left.what);
      } catch (e) {
        result.failed.push({ what: left.what, error: (e as Error).message });
      }
    }
  }
  return result;
}
