// Makes and removes zones in the host's network namespace: the bridge `nz-NAME` with the gateway
// address, the zone's `table inet nsbox_NAME` (forward, input and NAT policy), and IPv4
// forwarding with a guard that forwards zone traffic only; the previous value is kept to restore
// when the last zone goes.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { UsageError } from "../../base/errors.ts";
import { openNetlink, type NetlinkClient } from "../net/client.ts";
import { NetlinkError } from "../../base/errors.ts";
import { nftClient, type NftClient } from "../net/nft.ts";
import { openLibnftables } from "../sys/libnftables.ts";
import { bridgeName, buildZone, zoneTable, type HostView, type Zone, type ZoneInput } from "./zone.ts";
import { forwardFile, leaseDir, listZones, liveLeases, readZone, removeZoneRecord, withZoneLock, writeZone, zoneStore, type ZoneStore } from "./zone-store.ts";
import { selfOwner } from "../net/net-record.ts";
import { ERRNO } from "../../base/errno.ts";
import { removeZoneResolv } from "./zone-resolv.ts";

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";

export interface ZoneDeps {
  store?: ZoneStore;
  netlink?: () => NetlinkClient;
  nft?: () => NftClient;
}

/** The IPv4 default route's interface, from /proc/net/route (this thread's namespace). */
export function defaultRouteDev(): string | undefined {
  const lines = readFileSync("/proc/net/route", "utf8").trim().split("\n").slice(1);
  for (const l of lines) {
    const f = l.trim().split(/\s+/);
    if (f[1] === "00000000" && f[7] === "00000000") return f[0];
  }
  return undefined;
}

export function hostView(nl: NetlinkClient, store: ZoneStore): HostView {
  const links = nl.listLinks();
  const byIndex = new Map(links.map((l) => [l.index, l.name]));
  const zones = listZones(store.dir);
  const zoneBridges = new Set(zones.map((z) => bridgeName(z.name)));
  // A zone's own gateway is not "the host's network" to the next zone.
  const addresses = nl
    .listAddresses()
    .filter((a) => !zoneBridges.has(byIndex.get(a.index) ?? ""))
    .map((a) => `${a.address}/${a.prefix}`);
  return { addresses, links: links.map((l) => l.name), defaultRouteDev: defaultRouteDev(), zones };
}

function ignoreNoDev(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof NetlinkError && e.errno === ERRNO.ENODEV)) throw e;
  }
}

function writeSysctl(path: string, value: string): void {
  if (existsSync(path)) writeFileSync(path, value);
}

/**
 * While forwarding is on because of nsbox, the host forwards zone traffic and nothing else: an
 * nsbox-owned forward chain drops every forwarded packet that neither enters nor leaves a zone
 * bridge. A drop in any table is final, an accept is not, so the zones' own tables still decide
 * what zone traffic may do. Installed before forwarding goes on, removed after it goes off.
 */
export const FORWARD_GUARD_TABLE = "nsbox_forward_guard";
const FORWARD_GUARD = [
  `table inet ${FORWARD_GUARD_TABLE}`,
  `delete table inet ${FORWARD_GUARD_TABLE}`,
  `table inet ${FORWARD_GUARD_TABLE} {`,
  "  chain forward {",
  "    type filter hook forward priority -10; policy drop;",
  '    iifname "nz-*" accept',
  '    oifname "nz-*" accept',
  "  }",
  "}",
  "",
].join("\n");

/**
 * Turns IPv4 forwarding on, keeping the value found the first time (restoreForwarding puts it
 * back). A host that already forwarded was made a router by its admin: nsbox then leaves its
 * forwarding policy alone; otherwise it installs the guard first.
 */
function enableForwarding(store: ZoneStore, nft: NftClient): void {
  const now = readFileSync(IP_FORWARD, "utf8").trim();
  if (!existsSync(forwardFile(store))) writeFileSync(forwardFile(store), `${now}\n`, { mode: 0o600 });
  if (now === "1") return;
  installForwardGuard(nft);
  writeFileSync(IP_FORWARD, "1");
}

/** Makes (or remakes) the forward guard, atomically. */
export function installForwardGuard(nft: NftClient): void {
  nft.run(FORWARD_GUARD, `table inet ${FORWARD_GUARD_TABLE}`);
}

/** Whether nsbox turned forwarding on (the guard must then stand while zones exist). */
export function forwardingIsOurs(store: ZoneStore): boolean {
  try {
    return readFileSync(forwardFile(store), "utf8").trim() === "0";
  } catch {
    return false;
  }
}

function restoreForwarding(store: ZoneStore, nft: NftClient): void {
  const file = forwardFile(store);
  if (!existsSync(file)) return;
  const orig = readFileSync(file, "utf8").trim();
  if (orig === "0" || orig === "1") writeFileSync(IP_FORWARD, orig);
  if (orig === "0") nft.run(`table inet ${FORWARD_GUARD_TABLE}\ndelete table inet ${FORWARD_GUARD_TABLE}\n`, `delete table inet ${FORWARD_GUARD_TABLE}`);
  rmSync(file, { force: true });
}

/** Fails with the install hint when libnftables is missing: zones cannot be policed without it. */
export function requireNftables(): void {
  openLibnftables();
}

/** Builds the zone from the flags (every check first), records it, then makes it; undone on failure. */
export function createZone(input: ZoneInput, deps: ZoneDeps = {}): Zone {
  const store = deps.store ?? zoneStore();
  return withZoneLock(store, selfOwner(), () => createLocked(input, store, deps));
}

function createLocked(input: ZoneInput, store: ZoneStore, deps: ZoneDeps): Zone {
  const nl = (deps.netlink ?? openNetlink)();
  try {
    const zone = buildZone(input, hostView(nl, store));
    const nft = (deps.nft ?? (() => nftClient(openLibnftables())))();
    writeZone(store, zone);
    try {
      mkdirSync(leaseDir(store, zone.name), { recursive: true, mode: 0o700 });
      applyZone(zone, nl, nft, store);
    } catch (e) {
      undoZone(zone.name, nl, nft);
      removeZoneRecord(store, zone.name);
      if (listZones(store.dir).length === 0) restoreForwarding(store, nft);
      throw e;
    }
    return zone;
  } finally {
    nl.close();
  }
}

function applyZone(zone: Zone, nl: NetlinkClient, nft: NftClient, store: ZoneStore): void {
  const br = bridgeName(zone.name);
  // A MAC of its own: a bridge that takes its ports' lowest changes it when members come and go,
  // and each change flushes its neighbour table, the members' permanent entries too (pinPort).
  nl.createBridge(br, randomMac());
  // The zone is IPv4 only: no link-local address, no router solicitations on its bridge.
  writeSysctl(`/proc/sys/net/ipv6/conf/${br}/disable_ipv6`, "1");
  nl.addAddress(br, `${zone.gateway}/${zone.subnet.split("/")[1]}`);
  nl.setUp(br);
  nft.applyZoneTable(zoneTable(zone));
  if (zone.policy !== "isolated") enableForwarding(store, nft);
}

/** A random locally administered unicast MAC (IEEE 802: bit 1 set, bit 0 clear in the first byte). */
function randomMac(): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  b[0] = (b[0]! & 0xfc) | 0x02;
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
}

function undoZone(name: string, nl: NetlinkClient, nft: NftClient): void {
  ignoreNoDev(() => nl.deleteLink(bridgeName(name)));
  nft.deleteZoneTable(name);
}

/** Removes a zone and all of it; refused while members run unless `force`. */
export function removeZone(name: string, opts: { force?: boolean } = {}, deps: ZoneDeps = {}): void {
  const store = deps.store ?? zoneStore();
  withZoneLock(store, selfOwner(), () => removeLocked(name, opts, store, deps));
}

function removeLocked(name: string, opts: { force?: boolean }, store: ZoneStore, deps: ZoneDeps): void {
  const zone = readZone(store, name);
  if (!zone) throw new UsageError(`no zone ${name}`, "nsbox netzone ls");
  const members = liveLeases(store, name);
  if (members.length > 0 && !opts.force) {
    throw new UsageError(`zone ${name} has ${members.length} running member(s): ${members.map((m) => `${m.address} (pid ${m.pid})`).join(", ")}`, "stop them first, or --force");
  }
  const nl = (deps.netlink ?? openNetlink)();
  const nft = (deps.nft ?? (() => nftClient(openLibnftables())))();
  try {
    // Deleting the bridge releases its ports; members (with --force) lose their link out.
    undoZone(name, nl, nft);
  } finally {
    nl.close();
  }
  removeZoneRecord(store, name);
  removeZoneResolv(name);
  if (!listZones(store.dir).some((z) => z.policy !== "isolated")) restoreForwarding(store, nft);
}
