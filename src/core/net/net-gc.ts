// The gc collector for network leftovers: links and nft tables recorded by an owner process that
// is gone. It acts only in the namespace the record names, and never on a name that a live
// owner's record also claims (a later run may have reused it).
import { rmSync } from "node:fs";
import type { Collector, Leftover } from "../gc-collector.ts";
import { openLibnftables } from "../sys/libnftables.ts";
import { openNetlink, type NetlinkClient } from "./client.ts";
import { NetlinkError } from "../../base/errors.ts";
import { nftClient, zoneTableName, type NftClient } from "./nft.ts";
import { currentNetns, listNetRecords, type NetRecord } from "./net-record.ts";
import { isSameProcess } from "../proc.ts";
import { ERRNO } from "../../base/errno.ts";


export interface NetGcDeps {
  records?: () => { file: string; record: NetRecord }[];
  isAlive?: (r: NetRecord) => boolean;
  netns?: () => number;
  netlink?: () => NetlinkClient;
  nft?: () => NftClient;
}

function describe(r: NetRecord): string {
  const things = [...r.links.map((l) => `link ${l}`), ...r.zones.map((z) => `table inet ${zoneTableName(z)}`)];
  return `network ${things.length ? things.join(", ") : "record"} (pid ${r.pid}, gone)`;
}

export function netCollector(deps: NetGcDeps = {}): Collector {
  const records = deps.records ?? (() => listNetRecords());
  const isAlive = deps.isAlive ?? ((r: NetRecord) => isSameProcess(r.pid, r.startTime));
  const netns = deps.netns ?? currentNetns;
  const netlink = deps.netlink ?? openNetlink;
  const nft = deps.nft ?? (() => nftClient(openLibnftables()));
  return {
    key: "net",
    name: "network",
    find(): Leftover[] {
      const recs = records();
      if (recs.length === 0) return [];
      const here = netns();
      const all = recs.filter(({ record }) => record.netns === here);
      const live = all.filter(({ record }) => isAlive(record));
      const claimedLinks = new Set(live.flatMap(({ record }) => record.links));
      const claimedZones = new Set(live.flatMap(({ record }) => record.zones));
      return all
        .filter(({ record }) => !isAlive(record))
        .map(({ file, record }) => ({
          what: describe(record),
          pid: record.pid,
          remove() {
            const links = record.links.filter((l) => !claimedLinks.has(l));
            const zones = record.zones.filter((z) => !claimedZones.has(z));
            if (links.length > 0) {
              const nl = netlink();
              try {
                for (const l of links) {
                  try {
                    nl.deleteLink(l);
                  } catch (e) {
                    // Gone already (its namespace died, or the run removed it): nothing to do.
                    if (!(e instanceof NetlinkError && e.errno === ERRNO.ENODEV)) throw e;
                  }
                }
              } finally {
                nl.close();
              }
            }
            if (zones.length > 0) {
              const n = nft();
              for (const z of zones) n.deleteZoneTable(z);
            }
            rmSync(file, { force: true });
          },
        }));
    },
  };
}
