// A zone member's network namespace, made before the stage runs (DESIGN.md §2): a new netns (fd),
// a veth with one end on the zone's bridge and the other born inside as eth0, the leased address,
// a default route via the gateway (not in isolated zones), lo up, IPv6 off, and the zone's egress
// policy mirrored in its own nftables (zone.ts mirrorTable). The stage joins it
// through the fd (HostWire.netns); when the sandbox ends the namespace dies and takes the veth
// with it, and the stage unlinks the lease and the veth's record. The spec is not changed here:
// planning already bound the zone's resolv.conf (zone-resolv.ts), so `plan` shows what runs.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { UsageError } from "../../base/errors.ts";
import { openNetlink, openNetlinkIn } from "../net/client.ts";
import { NetRecorder, selfOwner } from "../net/net-record.ts";
import { closeNetns, createNetns, withNetns } from "../sys/netns-window.ts";
import type { NormalSpec } from "../../model/normalize.ts";
import type { HostWire } from "../../native/wire.ts";
import { bridgeName, MEMBER_LINK, mirrorTable } from "./zone.ts";
import { nftClient } from "../net/nft.ts";
import { openLibnftables } from "../sys/libnftables.ts";
import { tracePhase } from "../trace.ts";
import { readZone, takeLease, zoneStore } from "./zone-store.ts";
import { writeZoneResolv } from "./zone-resolv.ts";
import { requireZoneFirewall } from "./zone-firewall.ts";

/** The host end of a member's veth: `nzv` + the owner's pid in base 36 (≤ 15 characters). */
export const memberLinkName = (pid: number) => `nzv${pid.toString(36)}`;

export interface ZoneNetns {
  host: HostWire;
  /** Removes what was made, for a start that fails before the stage takes over. */
  undo(): void;
}

export function prepareZoneNetns(spec: NormalSpec): ZoneNetns {
  const name = spec.network.zone;
  if (spec.network.mode !== "zone" || !name) throw new UsageError("internal: prepareZoneNetns without a zone");
  const store = zoneStore();
  const zone = readZone(store, name);
  if (!zone) throw new UsageError(`no zone ${name}`, `create it first: nsbox netzone create ${name}`);
  requireZoneFirewall(zone, store);
  const nl = openNetlink();
  const undo: (() => void)[] = [];
  const undoAll = () => {
    for (const u of undo.reverse()) {
      try {
        u();
      } catch {}
    }
  };
  try {
    const br = bridgeName(name);
    if (!nl.getLink(br)) throw new UsageError(`zone ${name}: its bridge ${br} is missing`, `recreate it: nsbox netzone rm ${name} && nsbox netzone create ${name} ...`);
    const owner = selfOwner();
    const lease = takeLease(store, zone, owner);
    undo.push(() => rmSync(lease.file, { force: true }));
    const fd = createNetns();
    undo.push(() => closeNetns(fd));
    const hostEnd = memberLinkName(owner.pid);
    const rec = new NetRecorder(owner);
    rec.link(hostEnd);
    undo.push(() => rec.discard());
    nl.createVeth(hostEnd, MEMBER_LINK, fd);
    undo.push(() => {
      const n = openNetlink();
      try {
        n.deleteLink(hostEnd);
      } finally {
        n.close();
      }
    });
    nl.setMaster(hostEnd, br);
    // Frames between two ports of one bridge never reach the inet hooks (no br_netfilter):
    // isolated ports keep members apart at layer 2 unless the zone allows peers.
    if (!zone.peers) nl.setPortIsolated(hostEnd, true);
    nl.setUp(hostEnd);
    // IPv6 off inside before eth0 is up: no link-local address, no SLAAC, nothing to police.
    withNetns(fd, () => {
      for (const f of ["all", "default"]) {
        const p = `/proc/sys/net/ipv6/conf/${f}/disable_ipv6`;
        if (existsSync(p)) writeFileSync(p, "1");
      }
      // ping(8) without CAP_NET_RAW (ICMP datagram sockets), as most distributions allow on the host.
      writeFileSync("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
    });
    // The zone's egress policy inside the member too, before eth0 is up: the host's
    // tables go with a flush of its ruleset, this one does not (zone.ts mirrorTable).
    tracePhase("zone: member's namespace and veth");
    nftClient(openLibnftables(), { nsFd: fd }).applyZoneTable(mirrorTable(zone));
    tracePhase("zone: member's own table");
    const inner = openNetlinkIn(fd);
    let mac: string | undefined;
    try {
      inner.setUp("lo");
      inner.addAddress(MEMBER_LINK, `${lease.address}/${zone.subnet.split("/")[1]}`);
      inner.setUp(MEMBER_LINK);
      if (zone.policy !== "isolated") inner.addRoute({ dst: "default", gateway: zone.gateway, dev: MEMBER_LINK });
      mac = inner.getLink(MEMBER_LINK)?.mac;
    } finally {
      inner.close();
    }
    // A member that may change its MAC or answer ARP for another's address (real root with
    // CAP_NET_ADMIN or CAP_NET_RAW) must not draw the other's traffic to itself: the host's
    // bridge knows each member by its port, its MAC and its address, and learns nothing more.
    if (!mac) throw new UsageError(`internal: eth0 of the zone ${name} member has no MAC address`);
    nl.pinPort(hostEnd, br, mac, lease.address);
    // The file planning bound at /etc/resolv.conf (shared by the zone's members, removed with it).
    if (spec.namespaces.mnt.mode === "new") writeZoneResolv(zone);
    return { host: { nsFds: [fd], netns: fd, onExitUnlink: [lease.file, rec.file] }, undo: undoAll };
  } catch (e) {
    undoAll();
    throw e;
  } finally {
    nl.close();
  }
}
