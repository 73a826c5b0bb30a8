// rtnetlink answers as data: the decoders for what the kernel sends back (errors with their
// extended ack message, multi-part link and address dumps). Pure, like netlink.ts.
import { formatAddress } from "./address.ts";
import {
  NLM_F_CAPPED, NLM_F_ACK_TLVS, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, AF_INET, AF_INET6, IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER, IFLA_OPERSTATE, IFLA_LINKINFO, IFLA_LINK_NETNSID, IFLA_INFO_KIND, IFF_UP, IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_FLAGS, NLMSG_HDRLEN, NLA_HDRLEN, NLA_TYPE_MASK, NLA_F_NESTED, HOST_LE, align4,
} from "./netlink-constants.ts";

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
