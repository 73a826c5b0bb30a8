// rtnetlink messages as bytes: pure encoders for the requests nsbox sends (links, addresses,
// routes) and decoders for what the kernel answers (errors, link and address dumps). No I/O
// here; the layouts are those of netlink(7), rtnetlink(7) and linux/{netlink,rtnetlink,if_link}.h.
import type { Cidr, IpAddress } from "./address.ts";
import { formatAddress } from "./address.ts";

// netlink(7): message types every family shares.
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

// rtnetlink(7) message types.
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;

const TYPE_NAMES: Record<number, string> = {
  [NLMSG_NOOP]: "NLMSG_NOOP", [NLMSG_ERROR]: "NLMSG_ERROR", [NLMSG_DONE]: "NLMSG_DONE", [NLMSG_OVERRUN]: "NLMSG_OVERRUN",
  [RTM_NEWLINK]: "RTM_NEWLINK", [RTM_DELLINK]: "RTM_DELLINK", [RTM_GETLINK]: "RTM_GETLINK", [RTM_SETLINK]: "RTM_SETLINK",
  [RTM_NEWADDR]: "RTM_NEWADDR", [RTM_DELADDR]: "RTM_DELADDR", [RTM_GETADDR]: "RTM_GETADDR",
  [RTM_NEWROUTE]: "RTM_NEWROUTE", [RTM_DELROUTE]: "RTM_DELROUTE",
};

/** `RTM_NEWLINK` for 16: how errors name the request that failed. */
export function messageTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `message type ${type}`;
}

// nlmsghdr.nlmsg_flags (netlink(7)).
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP = 0x300; // NLM_F_ROOT | NLM_F_MATCH
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
// On an NLMSG_ERROR: the echoed request was cut to its header; extended-ack TLVs follow.
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;
const NLMSGERR_ATTR_OFFS = 2;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

// if_link.h: link attributes.
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_FD = 28;
export const IFLA_EXT_MASK = 29;
export const IFLA_LINK_NETNSID = 37;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const VETH_INFO_PEER = 1;
/** rtnetlink.h RTEXT_FILTER_SKIP_STATS: link replies without the counters (smaller, cheaper). */
const RTEXT_FILTER_SKIP_STATS = 1 << 3;

// if.h: net_device_flags.
export const IFF_UP = 0x1;
export const IFF_LOOPBACK = 0x8;
export const IFF_LOWER_UP = 0x10000;

// if_addr.h: address attributes and flags.
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_FLAGS = 8;
/** No duplicate address detection: an IPv6 address is usable at once instead of "tentative". */
export const IFA_F_NODAD = 0x02;

// rtnetlink.h: route attributes and rtmsg values.
export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_TABLE = 15;
export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_NOWHERE = 255;
export const RTN_UNICAST = 1;

const NLMSG_HDRLEN = 16;
const NLA_HDRLEN = 4;
/** nla_type's top bits flag nesting and byte order; the type is the rest (netlink.h NLA_TYPE_MASK). */
const NLA_TYPE_MASK = 0x3fff;
const NLA_F_NESTED = 0x8000;

/** Netlink is host byte order; nsbox runs on x86-64 and aarch64, both little-endian. */
const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** NLMSG_ALIGN / NLA_ALIGN: everything is padded to 4 bytes. */
export const align4 = (n: number): number => (n + 3) & ~3;

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

export type LinkKind = "veth" | "bridge" | "dummy";

export interface NewLink {
  kind: LinkKind;
  name: string;
  /** Veth only: the other end, born directly in the namespace of `nsFd` when given. */
  peer?: { name: string; nsFd?: number };
  /** Create this end in the namespace of this fd rather than the socket's. */
  nsFd?: number;
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

// ---------------------------------------------------------------------------------------------
// Decoding

/** A malformed message from the kernel: a length that does not fit. */
export class NetlinkDecodeError extends Error {}

export interface NlMsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The bytes after the 16-byte header, up to nlmsg_len. */
  payload: Uint8Array;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Every message in one datagram (a dump packs several per recv). */
export function parseMessages(buf: Uint8Array): NlMsg[] {
  const out: NlMsg[] = [];
  const dv = view(buf);
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = dv.getUint32(off, HOST_LE);
    if (len < NLMSG_HDRLEN || off + len > buf.length) throw new NetlinkDecodeError(`netlink message at byte ${off} claims ${len} bytes of ${buf.length - off}`);
    out.push({
      type: dv.getUint16(off + 4, HOST_LE),
      flags: dv.getUint16(off + 6, HOST_LE),
      seq: dv.getUint32(off + 8, HOST_LE),
      pid: dv.getUint32(off + 12, HOST_LE),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

export interface RawAttr {
  type: number;
  nested: boolean;
  data: Uint8Array;
}

/** rtattrs from `bytes`; a truncated tail shorter than a header is ignored, as RTA_OK does. */
export function parseAttrs(bytes: Uint8Array): RawAttr[] {
  const out: RawAttr[] = [];
  const dv = view(bytes);
  let off = 0;
  while (off + NLA_HDRLEN <= bytes.length) {
    const len = dv.getUint16(off, HOST_LE);
    const rawType = dv.getUint16(off + 2, HOST_LE);
    if (len < NLA_HDRLEN || off + len > bytes.length) throw new NetlinkDecodeError(`netlink attribute ${rawType & NLA_TYPE_MASK} claims ${len} bytes of ${bytes.length - off}`);
    out.push({ type: rawType & NLA_TYPE_MASK, nested: (rawType & NLA_F_NESTED) !== 0, data: bytes.subarray(off + NLA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

/** The first attribute of each type. */
function attrMap(bytes: Uint8Array): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (const a of parseAttrs(bytes)) if (!m.has(a.type)) m.set(a.type, a.data);
  return m;
}

const readU32 = (b: Uint8Array | undefined) => (b && b.length >= 4 ? view(b).getUint32(0, HOST_LE) : undefined);
const readI32 = (b: Uint8Array | undefined) => (b && b.length >= 4 ? view(b).getInt32(0, HOST_LE) : undefined);
/** A C string attribute: up to the first NUL. */
function readString(b: Uint8Array | undefined): string | undefined {
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? b : b.subarray(0, nul));
}

export interface NetlinkErrorInfo {
  /** A positive errno; 0 is the acknowledgement of a request that succeeded. */
  errno: number;
  /** The header of the request this answers (the kernel echoes it). */
  request: { len: number; type: number; flags: number; seq: number; pid: number };
  /** NLMSGERR_ATTR_MSG: the kernel's own words, when extended acks are on (netlink(7)). */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: the byte offset of the offending attribute in the request. */
  offset?: number;
}

/**
 * struct nlmsgerr: int error (a negative errno, or 0 for an ack), then the request's nlmsghdr
 * and, unless NLM_F_CAPPED, its payload; then extended-ack TLVs when NLM_F_ACK_TLVS.
 */
export function decodeError(msg: NlMsg): NetlinkErrorInfo {
  const p = msg.payload;
  if (p.length < 4 + NLMSG_HDRLEN) throw new NetlinkDecodeError(`NLMSG_ERROR of ${p.length} bytes is too short`);
  const dv = view(p);
  const request = {
    len: dv.getUint32(4, HOST_LE),
    type: dv.getUint16(8, HOST_LE),
    flags: dv.getUint16(10, HOST_LE),
    seq: dv.getUint32(12, HOST_LE),
    pid: dv.getUint32(16, HOST_LE),
  };
  const info: NetlinkErrorInfo = { errno: negate(dv.getInt32(0, HOST_LE)), request };
  if (msg.flags & NLM_F_ACK_TLVS) {
    const tlvStart = 4 + (msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(request.len));
    if (tlvStart <= p.length) {
      const tlvs = attrMap(p.subarray(tlvStart));
      const message = readString(tlvs.get(NLMSGERR_ATTR_MSG));
      if (message) info.message = message;
      const offset = readU32(tlvs.get(NLMSGERR_ATTR_OFFS));
      if (offset !== undefined) info.offset = offset;
    }
  }
  return info;
}

/** NLMSG_DONE carries an int: 0, or a negative errno when the dump failed part-way. */
export function decodeDone(msg: NlMsg): number {
  return negate(readI32(msg.payload) ?? 0);
}

/** -error as a positive errno (and 0, not -0, for success). */
const negate = (n: number) => (n === 0 ? 0 : -n);

export interface LinkInfo {
  index: number;
  name: string;
  /** IFLA_INFO_KIND: "veth", "bridge", "dummy"…; absent for plain devices such as lo. */
  kind?: string;
  /** net_device_flags (IFF_*). */
  flags: number;
  up: boolean;
  mtu?: number;
  /** The index of the bridge (or bond) this link is enslaved to. */
  master?: number;
  /** IFLA_LINK: for a veth, the peer's index (in the peer's namespace). */
  link?: number;
  /** IFLA_LINK_NETNSID: set when the peer lives in another namespace. */
  linkNetnsId?: number;
  /** The hardware address as `aa:bb:cc:dd:ee:ff`. */
  mac?: string;
  /** RFC 2863 operational state: "UP", "DOWN", "LOWERLAYERDOWN", "UNKNOWN"… */
  operstate?: string;
}

const OPERSTATES = ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"];

/** An RTM_NEWLINK (from a dump or a get): ifinfomsg, then IFLA_* attributes. */
export function decodeLink(msg: NlMsg): LinkInfo {
  if (msg.payload.length < 16) throw new NetlinkDecodeError(`link message of ${msg.payload.length} bytes is too short`);
  const dv = view(msg.payload);
  const index = dv.getInt32(4, HOST_LE);
  const flags = dv.getUint32(8, HOST_LE);
  const attrs = attrMap(msg.payload.subarray(16));
  const info: LinkInfo = { index, name: readString(attrs.get(IFLA_IFNAME)) ?? "", flags, up: (flags & IFF_UP) !== 0 };
  const linkinfo = attrs.get(IFLA_LINKINFO);
  const kind = linkinfo ? readString(attrMap(linkinfo).get(IFLA_INFO_KIND)) : undefined;
  if (kind) info.kind = kind;
  const set = <K extends keyof LinkInfo>(k: K, v: LinkInfo[K] | undefined) => {
    if (v !== undefined) info[k] = v;
  };
  set("mtu", readU32(attrs.get(IFLA_MTU)));
  set("master", readU32(attrs.get(IFLA_MASTER)));
  set("link", readU32(attrs.get(IFLA_LINK)));
  set("linkNetnsId", readI32(attrs.get(IFLA_LINK_NETNSID)));
  const mac = attrs.get(IFLA_ADDRESS);
  if (mac) info.mac = Array.from(mac, (x) => x.toString(16).padStart(2, "0")).join(":");
  const op = attrs.get(IFLA_OPERSTATE);
  if (op && op.length >= 1) info.operstate = OPERSTATES[op[0]!] ?? `${op[0]}`;
  return info;
}

export interface AddressInfo {
  /** The link's index. */
  index: number;
  family: 4 | 6;
  prefix: number;
  /** The interface's own address (IFA_LOCAL, else IFA_ADDRESS), in canonical text. */
  address: string;
  /** IFA_ADDRESS when it differs from the local address: the peer of a point-to-point link. */
  peer?: string;
  scope: number;
  /** IFA_F_* (IFA_FLAGS when present, which supersedes the u8 in the header). */
  flags: number;
  label?: string;
}

/** An RTM_NEWADDR from a dump: ifaddrmsg, then IFA_* attributes. Other families give undefined. */
export function decodeAddress(msg: NlMsg): AddressInfo | undefined {
  if (msg.payload.length < 8) throw new NetlinkDecodeError(`address message of ${msg.payload.length} bytes is too short`);
  const dv = view(msg.payload);
  const family = dv.getUint8(0);
  if (family !== AF_INET && family !== AF_INET6) return undefined;
  const attrs = attrMap(msg.payload.subarray(8));
  const size = family === AF_INET ? 4 : 16;
  const addr = (t: number) => {
    const b = attrs.get(t);
    return b && b.length === size ? formatAddress(b) : undefined;
  };
  const local = addr(IFA_LOCAL);
  const address = addr(IFA_ADDRESS);
  const own = local ?? address;
  if (own === undefined) return undefined;
  const info: AddressInfo = {
    index: dv.getUint32(4, HOST_LE),
    family: family === AF_INET ? 4 : 6,
    prefix: dv.getUint8(1),
    address: own,
    scope: dv.getUint8(3),
    flags: readU32(attrs.get(IFA_FLAGS)) ?? dv.getUint8(2),
  };
  if (local !== undefined && address !== undefined && address !== local) info.peer = address;
  const label = readString(attrs.get(IFA_LABEL));
  if (label) info.label = label;
  return info;
}
