// Byte fixtures for the netlink tests: hex written field by field from the structs in
// rtnetlink(7) and linux/if_link.h (little-endian), cross-checked against strace of iproute2.

/** "5c000000 1000 | a comment" → bytes: whitespace is ignored, `|` starts a comment to the end of the line. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\|[^\n]*/g, "").replace(/\s/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex fixture: ${s}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The sequence number the fixtures use: 0x01020304 (bytes 04 03 02 01). */
export const SEQ = 0x01020304;

/** One RTM_NEWLINK as a dump part carries it. */
export const LINK_VETH = `
  78000000 1000 0200 04030201 d2040000             | RTM_NEWLINK, NLM_F_MULTI, len 120
  00 00 0100 05000000 43100100 00000000            | ifinfomsg: ARPHRD_ETHER, index 5, flags UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP
  0b00 0300 6e73626f783000 00                      | IFLA_IFNAME nsbox0
  0800 0400 dc050000                               | IFLA_MTU 1500
  0800 0a00 03000000                               | IFLA_MASTER 3
  0800 0500 02000000                               | IFLA_LINK 2 (the peer's index)
  0800 2500 00000000                               | IFLA_LINK_NETNSID 0
  0500 1000 06 000000                              | IFLA_OPERSTATE UP
  0a00 0100 02aabbccddee 0000                      | IFLA_ADDRESS
  1000 1200 0800 0100 76657468 0400 0200           | IFLA_LINKINFO { kind veth, empty IFLA_INFO_DATA }
  0800 9999 00000000                               | an attribute type this decoder does not know (ignored)
`;
