// Whether the zones' nftables policy is still in the host's ruleset, and putting it back. An
// admin's `nft flush ruleset` (nftables.service runs one on every start and reload) removes
// nsbox's tables with everyone else's; the bridges, routes and forwarding stay, so members would
// then reach the host's own services, other zones and the LAN, and lan zones the internet, but
// for each member's own copy of its zone's egress rules (zone.ts mirrorTable). What only the
// host's tables do (nothing new into a zone, NAT, the forward guard) is gone until they are back.
// Fail closed where nsbox acts: a new member is refused while its zone's tables are missing,
// `netzone show` says so, and `nsbox gc` puts them back.
import { NsboxError } from "../../base/errors.ts";
import type { Collector, Leftover } from "../gc-collector.ts";
import { nftClient, zoneTableName, type NftClient } from "../net/nft.ts";
import { openLibnftables } from "../sys/libnftables.ts";
import { FORWARD_GUARD_TABLE, forwardingIsOurs, installForwardGuard } from "./zone-host.ts";
import { listZones, zoneStore, type ZoneStore } from "./zone-store.ts";
import { zoneTable, type Zone } from "./zone.ts";

export interface MissingTable {
  /** `table inet nsbox_web`. */
  table: string;
  restore(): void;
}

/** The tables the given zones need that the ruleset lacks: their own, and the forward guard. */
export function missingTables(zones: readonly Zone[], nft: NftClient, store: ZoneStore): MissingTable[] {
  if (zones.length === 0) return [];
  const present = new Set(nft.listTables().filter((t) => t.family === "inet").map((t) => t.name));
  const missing: MissingTable[] = zones
    .filter((z) => !present.has(zoneTableName(z.name)))
    .map((z) => ({ table: `table inet ${zoneTableName(z.name)}`, restore: () => nft.applyZoneTable(zoneTable(z)) }));
  // The guard stands while nsbox has forwarding on for some zone (zone-host.ts enableForwarding).
  const forwarding = listZones(store.dir).some((z) => z.policy !== "isolated") && forwardingIsOurs(store);
  if (forwarding && !present.has(FORWARD_GUARD_TABLE)) missing.push({ table: `table inet ${FORWARD_GUARD_TABLE}`, restore: () => installForwardGuard(nft) });
  return missing;
}

/** Refuses a new member of `zone` while the policy it would rely on is not in the ruleset. */
export function requireZoneFirewall(zone: Zone, store: ZoneStore = zoneStore(), nft: NftClient = nftClient(openLibnftables())): void {
  const missing = missingTables([zone], nft, store);
  if (missing.length === 0) return;
  throw new NsboxError(
    `zone ${zone.name}: ${missing.map((m) => m.table).join(" and ")} missing from the host's nftables ruleset (flushed?): its policy is not enforced`,
    undefined,
    "nsbox gc puts it back",
  );
}

/** `netzone show`: one line on the zone's tables. */
export function firewallState(zone: Zone): string {
  const missing = missingTables([zone], nftClient(openLibnftables()), zoneStore());
  return missing.length === 0 ? "in place" : `MISSING ${missing.map((m) => m.table).join(", ")}: the policy is not enforced (nsbox gc puts it back)`;
}

/** `nsbox gc`: every zone table (and the guard) the ruleset lost, put back. */
export function zoneFirewallCollector(): Collector {
  return {
    key: "zone-firewall",
    name: "zone firewall",
    find(): Leftover[] {
      const zones = listZones();
      if (zones.length === 0) return [];
      return missingTables(zones, nftClient(openLibnftables()), zoneStore()).map((m) => ({ what: `${m.table} (missing from the ruleset)`, restores: true, remove: m.restore }));
    },
  };
}
