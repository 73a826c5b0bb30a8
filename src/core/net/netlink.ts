// rtnetlink messages as bytes: pure encoders for the requests nsbox sends (links, addresses,
// routes); the decoders are in netlink-decode.ts, the numbers in netlink-constants.ts (both
// re-exported here). No I/O; the layouts are those of netlink(7) and rtnetlink(7).
import type { Cidr, IpAddress } from "./address.ts";
import { UsageError } from "../../base/errors.ts";
import {
  RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK, RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR, RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNEIGH, NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_EXCL, NLM_F_CREATE, AF_UNSPEC, AF_INET, AF_INET6, IFLA_ADDRESS, IFLA_IFNAME, IFLA_MASTER, IFLA_LINKINFO, IFLA_NET_NS_FD, IFLA_EXT_MASK, IFLA_INFO_KIND, IFLA_INFO_DATA, VETH_INFO_PEER, RTEXT_FILTER_SKIP_STATS, IFF_UP, IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS, RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_TABLE, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RTN_UNICAST, NLMSG_HDRLEN, NLA_HDRLEN, NLA_F_NESTED, HOST_LE, align4,
} from "./netlink-constants.ts";
export * from "./netlink-constants.ts";
export * from "./netlink-decode.ts";

// ---------------------------------------------------------------------------------------------
// Encoding

export type Attr = { type: number; data: Uint8Array } | { type: number; nested: readonly Attr[] };

export const u32Attr = (type: number, value: number): Attr => ({ type, data: u32Bytes(value) });
/** A NUL-terminated string, as iproute2 sends IFLA_IFNAME. */
export const strAttr = (type: number, s: string): Attr => ({ type, data: new TextEncoder().encode(`${s}\0`) });
/** A string without NUL, as iproute2 sends IFLA_INFO_KIND (the kernel accepts both). */
export const kindAttr = (type: number, s: string): Attr => ({ type, data: new TextEncoder().encode(s) });
export const bytesAttr = (type: number, data: Uint8Array): Attr => ({ type, data });
export const nestAttr = (type: number, nested: readonly Attr[]): Attr => ({ type, nested });

function u32Bytes(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, HOST_LE);
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** rtattrs back to back; nla_len counts header and data but not the padding after it. */
export function encodeAttrs(attrs: readonly Attr[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const a of attrs) {
    const data = "nested" in a ? encodeAttrs(a.nested) : a.data;
    const len = NLA_HDRLEN + data.length;
    if (len > 0xffff) throw new RangeError(`netlink attribute ${a.type} is too long (${len} bytes)`);
    const buf = new Uint8Array(align4(len));
    const dv = new DataView(buf.buffer);
    dv.setUint16(0, len, HOST_LE);
    dv.setUint16(2, a.type, HOST_LE);
    buf.set(data, NLA_HDRLEN);
    parts.push(buf);
  }
  return concat(parts);
}

export interface IfInfoMsg {
  family?: number;
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}

/** struct ifinfomsg (16 bytes): family u8, pad u8, type u16, index i32, flags u32, change u32. */
export function encodeIfInfoMsg(m: IfInfoMsg = {}): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint8(0, m.family ?? AF_UNSPEC);
  dv.setUint16(2, m.type ?? 0, HOST_LE);
  dv.setInt32(4, m.index ?? 0, HOST_LE);
  dv.setUint32(8, (m.flags ?? 0) >>> 0, HOST_LE);
  dv.setUint32(12, (m.change ?? 0) >>> 0, HOST_LE);
  return b;
}

/** struct ifaddrmsg (8 bytes): family, prefixlen, flags, scope (u8 each), index u32. */
export function encodeIfAddrMsg(m: { family: number; prefix: number; flags?: number; scope?: number; index: number }): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint8(0, m.family);
  dv.setUint8(1, m.prefix);
  dv.setUint8(2, (m.flags ?? 0) & 0xff);
  dv.setUint8(3, m.scope ?? RT_SCOPE_UNIVERSE);
  dv.setUint32(4, m.index, HOST_LE);
  return b;
}

/** struct rtmsg (12 bytes): family, dst_len, src_len, tos, table, protocol, scope, type (u8), flags u32. */
export function encodeRtMsg(m: { family: number; dstLen: number; table: number; protocol: number; scope: number; type: number }): Uint8Array {
  const b = new Uint8Array(12);
  b.set([m.family, m.dstLen, 0, 0, m.table, m.protocol, m.scope, m.type]);
  return b;
}

/** One request, before it gets its sequence number. */
export interface Request {
  /** RTM_*. */
  type: number;
  /** NLM_F_* beyond REQUEST and ACK, which every request carries. */
  flags: number;
  /** The family header and its attributes. */
  body: Uint8Array;
  /** What the request is about, for errors: `veth nsbox0`, `address 10.0.0.1/30 on nsbox0`. */
  object: string;
}

/**
 * The request as sent: nlmsghdr + body. NLM_F_ACK on every request, so that every one gets an
 * NLMSG_ERROR answer (errno 0 on success) and no failure passes silently (netlink(7)).
 */
export function encodeRequest(req: Request, seq: number, pid = 0): Uint8Array {
  const len = NLMSG_HDRLEN + req.body.length;
  const b = new Uint8Array(align4(len));
  const dv = new DataView(b.buffer);
  dv.setUint32(0, len, HOST_LE);
  dv.setUint16(4, req.type, HOST_LE);
  dv.setUint16(6, req.flags | NLM_F_REQUEST | NLM_F_ACK, HOST_LE);
  dv.setUint32(8, seq >>> 0, HOST_LE);
  dv.setUint32(12, pid >>> 0, HOST_LE);
  b.set(req.body, NLMSG_HDRLEN);
  return b;
}

function macBytes(mac: string): Uint8Array {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) throw new UsageError(`not a MAC address: ${JSON.stringify(mac)}`);
  return new Uint8Array(mac.split(":").map((x) => parseInt(x, 16)));
}

export type LinkKind = "veth" | "bridge" | "dummy";

export interface NewLink {
  kind: LinkKind;
  name: string;
  /** Veth only: the other end, born directly in the namespace of `nsFd` when given. */
  peer?: { name: string; nsFd?: number };
  /** Create this end in the namespace of this fd rather than the socket's. */
  nsFd?: number;
  /** IFLA_ADDRESS: its MAC, chosen (a bridge then keeps it instead of taking its ports' lowest). */
  mac?: string;
}

/**
 * RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL (an existing name is EEXIST, never reused).
 * A veth's peer is described by VETH_INFO_PEER: a nested ifinfomsg followed by its own
 * attributes; IFLA_NET_NS_FD there makes the kernel create the peer in that namespace, so it
 * never exists in ours (veth(4), linux/veth.h).
 */
export function newLinkRequest(link: NewLink): Request {
  const data: Attr[] = [];
  if (link.kind === "veth") {
    if (!link.peer) throw new TypeError("a veth needs a peer");
    const peerAttrs: Attr[] = [strAttr(IFLA_IFNAME, link.peer.name)];
    if (link.peer.nsFd !== undefined) peerAttrs.push(u32Attr(IFLA_NET_NS_FD, link.peer.nsFd));
    data.push(nestAttr(IFLA_INFO_DATA, [bytesAttr(VETH_INFO_PEER, concat([encodeIfInfoMsg(), encodeAttrs(peerAttrs)]))]));
  }
  const attrs: Attr[] = [strAttr(IFLA_IFNAME, link.name)];
  if (link.nsFd !== undefined) attrs.push(u32Attr(IFLA_NET_NS_FD, link.nsFd));
  if (link.mac !== undefined) attrs.push(bytesAttr(IFLA_ADDRESS, macBytes(link.mac)));
  attrs.push(nestAttr(IFLA_LINKINFO, [kindAttr(IFLA_INFO_KIND, link.kind), ...data]));
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_CREATE | NLM_F_EXCL,
    body: concat([encodeIfInfoMsg(), encodeAttrs(attrs)]),
    object: `${link.kind} ${link.name}`,
  };
}

export interface LinkChange {
  /** IFF_UP on or off (ifi_change says which flag bits to apply). */
  up?: boolean;
  /** IFLA_MASTER: the bridge's index; 0 releases the link from its master. */
  master?: number;
  /** IFLA_NET_NS_FD: move the link into that namespace. */
  nsFd?: number;
}

/**
 * RTM_NEWLINK without NLM_F_CREATE on an existing link, found by IFLA_IFNAME (ifi_index 0 makes
 * the kernel look the name up), as `ip link set` does.
 */
export function setLinkRequest(name: string, change: LinkChange): Request {
  const attrs: Attr[] = [strAttr(IFLA_IFNAME, name)];
  if (change.master !== undefined) attrs.push(u32Attr(IFLA_MASTER, change.master));
  if (change.nsFd !== undefined) attrs.push(u32Attr(IFLA_NET_NS_FD, change.nsFd));
  const updown = change.up === undefined ? {} : { flags: change.up ? IFF_UP : 0, change: IFF_UP };
  return { type: RTM_NEWLINK, flags: 0, body: concat([encodeIfInfoMsg(updown), encodeAttrs(attrs)]), object: `link ${name}` };
}

const AF_BRIDGE = 7;
const IFLA_PROTINFO = 12;
const IFLA_BRPORT_ISOLATED = 33;

/**
 * RTM_SETLINK in the AF_BRIDGE family (rtnl_bridge_setlink, which finds the port by index only):
 * IFLA_PROTINFO nested with IFLA_BRPORT_ISOLATED. An isolated port forwards frames only to
 * ports that are not isolated (the bridge itself), never to another isolated one.
 */
export function bridgePortIsolatedRequest(name: string, index: number, isolated: boolean): Request {
  // br_setlink reads IFLA_PROTINFO as nested only when NLA_F_NESTED says so (else as an old u8 state).
  const attrs: Attr[] = [nestAttr(IFLA_PROTINFO | NLA_F_NESTED, [{ type: IFLA_BRPORT_ISOLATED, data: new Uint8Array([isolated ? 1 : 0]) }])];
  return { type: RTM_SETLINK, flags: 0, body: concat([encodeIfInfoMsg({ family: AF_BRIDGE, index }), encodeAttrs(attrs)]), object: `bridge port ${name}` };
}

const IFLA_BRPORT_LEARNING = 8;
const IFLA_BRPORT_UNICAST_FLOOD = 9;

/**
 * RTM_SETLINK in AF_BRIDGE: a port that learns no source address and gets no frame for an
 * unknown one (IFLA_BRPORT_LEARNING and IFLA_BRPORT_UNICAST_FLOOD off). Frames reach it by its
 * static FDB entry only, so a device behind another port that takes its MAC draws nothing away.
 */
export function bridgePortLockRequest(name: string, index: number): Request {
  const off = new Uint8Array([0]);
  const attrs: Attr[] = [nestAttr(IFLA_PROTINFO | NLA_F_NESTED, [{ type: IFLA_BRPORT_LEARNING, data: off }, { type: IFLA_BRPORT_UNICAST_FLOOD, data: off }])];
  return { type: RTM_SETLINK, flags: 0, body: concat([encodeIfInfoMsg({ family: AF_BRIDGE, index }), encodeAttrs(attrs)]), object: `bridge port ${name}` };
}

const NDA_DST = 1;
const NDA_LLADDR = 2;
const NUD_NOARP = 0x40;
const NUD_PERMANENT = 0x80;
const NTF_MASTER = 0x04;
const NLM_F_REPLACE = 0x100;

/**
 * RTM_NEWNEIGH (create or replace), rtnetlink(7) ndmsg then NDA_*. With `address`: the host's
 * neighbour entry for it on `index`, NUD_PERMANENT, which no ARP packet updates (arp_process
 * leaves permanent entries alone). Without: `bridge fdb replace MAC dev PORT master static`.
 */
export function neighbourRequest(n: { index: number; ifname: string; mac: string; address?: IpAddress }): Request {
  const nd = new Uint8Array(12);
  const dv = new DataView(nd.buffer);
  nd[0] = n.address ? (n.address.family === 4 ? AF_INET : AF_INET6) : AF_BRIDGE;
  dv.setInt32(4, n.index, HOST_LE);
  dv.setUint16(8, n.address ? NUD_PERMANENT : NUD_NOARP, HOST_LE);
  nd[10] = n.address ? 0 : NTF_MASTER;
  const attrs: Attr[] = [...(n.address ? [{ type: NDA_DST, data: n.address.bytes }] : []), { type: NDA_LLADDR, data: macBytes(n.mac) }];
  const what = n.address ? `neighbour ${n.address.text} on ${n.ifname}` : `fdb entry ${n.mac} on ${n.ifname}`;
  return { type: RTM_NEWNEIGH, flags: NLM_F_CREATE | NLM_F_REPLACE, body: concat([nd, encodeAttrs(attrs)]), object: what };
}

/** RTM_DELLINK by name. Deleting either end of a veth deletes both (veth(4)). */
export function deleteLinkRequest(name: string): Request {
  return { type: RTM_DELLINK, flags: 0, body: concat([encodeIfInfoMsg(), encodeAttrs([strAttr(IFLA_IFNAME, name)])]), object: `link ${name}` };
}

/** RTM_GETLINK for one link by name; the answer is one RTM_NEWLINK, then the ack. */
export function getLinkRequest(name: string): Request {
  const attrs = [u32Attr(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS), strAttr(IFLA_IFNAME, name)];
  return { type: RTM_GETLINK, flags: 0, body: concat([encodeIfInfoMsg(), encodeAttrs(attrs)]), object: `link ${name}` };
}

/** RTM_GETLINK with NLM_F_DUMP: every link, in as many NLM_F_MULTI parts as it takes, then NLMSG_DONE. */
export function dumpLinksRequest(): Request {
  const attrs = [u32Attr(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)];
  return { type: RTM_GETLINK, flags: NLM_F_DUMP, body: concat([encodeIfInfoMsg(), encodeAttrs(attrs)]), object: "links" };
}

const familyOf = (a: IpAddress) => (a.family === 4 ? AF_INET : AF_INET6);

/**
 * RTM_NEWADDR / RTM_DELADDR. IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer
 * on point-to-point links and the same address otherwise (rtnetlink(7)), as iproute2 sends it.
 */
export function addressRequest(op: "add" | "delete", a: { index: number; ifname: string; cidr: Cidr; flags?: number }): Request {
  const flags = a.flags ?? 0;
  const attrs: Attr[] = [bytesAttr(IFA_LOCAL, a.cidr.address.bytes), bytesAttr(IFA_ADDRESS, a.cidr.address.bytes)];
  // ifa_flags is a u8; IFA_FLAGS carries the flags that do not fit (if_addr.h).
  if (flags > 0xff) attrs.push(u32Attr(IFA_FLAGS, flags));
  const header = encodeIfAddrMsg({ family: familyOf(a.cidr.address), prefix: a.cidr.prefix, flags, index: a.index });
  return {
    type: op === "add" ? RTM_NEWADDR : RTM_DELADDR,
    flags: op === "add" ? NLM_F_CREATE | NLM_F_EXCL : 0,
    body: concat([header, encodeAttrs(attrs)]),
    object: `address ${a.cidr.text} on ${a.ifname}`,
  };
}

/** RTM_GETADDR with NLM_F_DUMP: every address of every link (of `family`, or all). */
export function dumpAddressesRequest(family: number = AF_UNSPEC): Request {
  return { type: RTM_GETADDR, flags: NLM_F_DUMP, body: encodeIfAddrMsg({ family, prefix: 0, index: 0 }), object: "addresses" };
}

export interface RouteRequest {
  /** The destination network; null for the default route (dst_len 0, no RTA_DST). */
  dst: Cidr | null;
  family: 4 | 6;
  gateway?: IpAddress;
  oif?: { index: number; name: string };
  table?: number;
  metric?: number;
}

/**
 * RTM_NEWROUTE (NLM_F_CREATE|NLM_F_EXCL) / RTM_DELROUTE, shaped as `ip route` sends them: main
 * table, protocol boot, scope link when there is no gateway (the destination is on the link),
 * scope universe otherwise, and scope nowhere ("any") when deleting.
 */
export function routeRequest(op: "add" | "delete", r: RouteRequest): Request {
  const table = r.table ?? RT_TABLE_MAIN;
  const scope = op === "delete" ? RT_SCOPE_NOWHERE : r.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  const attrs: Attr[] = [];
  if (r.dst && r.dst.prefix > 0) attrs.push(bytesAttr(RTA_DST, r.dst.address.bytes));
  if (r.gateway) attrs.push(bytesAttr(RTA_GATEWAY, r.gateway.bytes));
  if (r.oif) attrs.push(u32Attr(RTA_OIF, r.oif.index));
  if (r.metric !== undefined) attrs.push(u32Attr(RTA_PRIORITY, r.metric));
  // rtm_table is a u8: tables above 255 travel in RTA_TABLE with rtm_table 0 (RT_TABLE_UNSPEC).
  if (table > 255) attrs.push(u32Attr(RTA_TABLE, table));
  const header = encodeRtMsg({
    family: r.family === 4 ? AF_INET : AF_INET6,
    dstLen: r.dst?.prefix ?? 0,
    table: table > 255 ? 0 : table,
    protocol: op === "add" ? RTPROT_BOOT : 0,
    scope,
    type: RTN_UNICAST,
  });
  const parts = [r.dst && r.dst.prefix > 0 ? r.dst.text : "default", r.gateway ? `via ${r.gateway.text}` : "", r.oif ? `dev ${r.oif.name}` : ""];
  return {
    type: op === "add" ? RTM_NEWROUTE : RTM_DELROUTE,
    flags: op === "add" ? NLM_F_CREATE | NLM_F_EXCL : 0,
    body: concat([header, encodeAttrs(attrs)]),
    object: `route ${parts.filter(Boolean).join(" ")}`,
  };
}

