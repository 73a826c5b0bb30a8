// rtnetlink numbers: message types, flags, attribute types and constants, as in
// linux/{netlink,rtnetlink,if_link,if_addr}.h. Data only; netlink.ts encodes and decodes with them.
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
export const RTM_NEWNEIGH = 28;

export const TYPE_NAMES: Record<number, string> = {
  [NLMSG_NOOP]: "NLMSG_NOOP", [NLMSG_ERROR]: "NLMSG_ERROR", [NLMSG_DONE]: "NLMSG_DONE", [NLMSG_OVERRUN]: "NLMSG_OVERRUN",
  [RTM_NEWLINK]: "RTM_NEWLINK", [RTM_DELLINK]: "RTM_DELLINK", [RTM_GETLINK]: "RTM_GETLINK", [RTM_SETLINK]: "RTM_SETLINK",
  [RTM_NEWADDR]: "RTM_NEWADDR", [RTM_DELADDR]: "RTM_DELADDR", [RTM_GETADDR]: "RTM_GETADDR",
  [RTM_NEWROUTE]: "RTM_NEWROUTE", [RTM_DELROUTE]: "RTM_DELROUTE", [RTM_NEWNEIGH]: "RTM_NEWNEIGH",
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
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

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
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

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

// Layout (netlink.h): header sizes, attribute flags, alignment.
export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;
/** nla_type's top bits flag nesting and byte order; the type is the rest (netlink.h NLA_TYPE_MASK). */
export const NLA_TYPE_MASK = 0x3fff;
export const NLA_F_NESTED = 0x8000;

/** Netlink is host byte order; nsbox runs on x86-64 and aarch64, both little-endian. */
export const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** NLMSG_ALIGN / NLA_ALIGN: everything is padded to 4 bytes. */
export const align4 = (n: number): number => (n + 3) & ~3;
