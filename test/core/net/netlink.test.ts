// netlink.ts against hand-written byte fixtures: every request nsbox sends, and the kernel's
// answers it decodes (acks, errors with extended acks, links, addresses, multi-part dumps).
import { describe, expect, test } from "bun:test";
import { parseAddress, parseCidr, parseNetwork } from "../../../src/core/net/address.ts";
import {
  addressRequest,
  decodeAddress,
  decodeDone,
  decodeError,
  decodeLink,
  deleteLinkRequest,
  dumpAddressesRequest,
  dumpLinksRequest,
  encodeAttrs,
  encodeRequest,
  getLinkRequest,
  IFA_F_NODAD,
  messageTypeName,
  NetlinkDecodeError,
  newLinkRequest,
  parseAttrs,
  parseMessages,
  routeRequest,
  setLinkRequest,
  strAttr,
  u32Attr,
} from "../../../src/core/net/netlink.ts";
import { hex, LINK_VETH, SEQ, toHex } from "./fixtures.ts";

const IFINFO_ZERO = "00 00 0000 00000000 00000000 00000000"; // family, pad, type, index, flags, change

describe("requests", () => {
  test("veth with the peer beside it: byte for byte what `ip link add nsbox0 type veth peer name nsbox1` sends", () => {
    const expected = hex(`
      5c000000 1000 0506 04030201 00000000         | nlmsghdr: len 92, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq, pid 0
      ${IFINFO_ZERO}                               | ifinfomsg
      0b00 0300 6e73626f783000 00                  | IFLA_IFNAME "nsbox0\\0" + 1 pad
      3000 1200                                    | IFLA_LINKINFO, 48 bytes
        0800 0100 76657468                         |   IFLA_INFO_KIND "veth" (no NUL, as iproute2)
        2400 0200                                  |   IFLA_INFO_DATA, 36 bytes
          2000 0100                                |     VETH_INFO_PEER, 32 bytes
            ${IFINFO_ZERO}                         |       the peer's ifinfomsg
            0b00 0300 6e73626f783100 00            |       IFLA_IFNAME "nsbox1\\0" + pad
    `);
    const req = newLinkRequest({ kind: "veth", name: "nsbox0", peer: { name: "nsbox1" } });
    expect(toHex(encodeRequest(req, SEQ))).toBe(toHex(expected));
    expect(req.object).toBe("veth nsbox0");
  });

  test("veth with the peer born in another namespace: IFLA_NET_NS_FD inside VETH_INFO_PEER", () => {
    const expected = hex(`
      64000000 1000 0506 04030201 00000000         | len 100
      ${IFINFO_ZERO}
      0b00 0300 6e73626f783000 00                  | IFLA_IFNAME nsbox0
      3800 1200                                    | IFLA_LINKINFO, 56
        0800 0100 76657468                         |   kind veth
        2c00 0200                                  |   IFLA_INFO_DATA, 44
          2800 0100                                |     VETH_INFO_PEER, 40
            ${IFINFO_ZERO}
            0b00 0300 6e73626f783100 00            |       IFLA_IFNAME nsbox1
            0800 1c00 07000000                     |       IFLA_NET_NS_FD (28) = 7
    `);
    expect(toHex(encodeRequest(newLinkRequest({ kind: "veth", name: "nsbox0", peer: { name: "nsbox1", nsFd: 7 } }), SEQ))).toBe(toHex(expected));
  });

  test("bridge, as `ip link add br0 type bridge`", () => {
    const expected = hex(`
      38000000 1000 0506 04030201 00000000         | len 56
      ${IFINFO_ZERO}
      0800 0300 62723000                           | IFLA_IFNAME "br0\\0"
      1000 1200                                    | IFLA_LINKINFO, 16
        0a00 0100 627269646765 0000                |   kind "bridge" + pad
    `);
    const req = newLinkRequest({ kind: "bridge", name: "br0" });
    expect(toHex(encodeRequest(req, SEQ))).toBe(toHex(expected));
    expect(req.object).toBe("bridge br0");
  });

  test("dummy created in another namespace carries IFLA_NET_NS_FD at the top level", () => {
    const expected = hex(`
      40000000 1000 0506 04030201 00000000         | len 64
      ${IFINFO_ZERO}
      0800 0300 64303000                           | IFLA_IFNAME "d00\\0"
      0800 1c00 05000000                           | IFLA_NET_NS_FD 5
      1000 1200 0900 0100 64756d6d79 000000        | IFLA_LINKINFO 16 { IFLA_INFO_KIND 9 "dummy" + 3 pad }
    `);
    expect(toHex(encodeRequest(newLinkRequest({ kind: "dummy", name: "d00", nsFd: 5 }), SEQ))).toBe(toHex(expected));
  });

  test("link up: RTM_NEWLINK without CREATE, found by name, IFF_UP in flags and change", () => {
    const expected = hex(`
      2c000000 1000 0500 04030201 00000000         | len 44, REQUEST|ACK
      00 00 0000 00000000 01000000 01000000        | ifinfomsg: index 0 (by name), flags IFF_UP, change IFF_UP
      0b00 0300 6e73626f783000 00
    `);
    expect(toHex(encodeRequest(setLinkRequest("nsbox0", { up: true }), SEQ))).toBe(toHex(expected));
    const down = encodeRequest(setLinkRequest("nsbox0", { up: false }), SEQ);
    expect(toHex(down.subarray(16, 32))).toBe(toHex(hex("00 00 0000 00000000 00000000 01000000")));
  });

  test("master and namespace moves are attributes on the same message", () => {
    const expected = hex(`
      3c000000 1000 0500 04030201 00000000         | len 60
      ${IFINFO_ZERO}                               | change 0: flags untouched
      0b00 0300 6e73626f783000 00
      0800 0a00 03000000                           | IFLA_MASTER (10) = 3
      0800 1c00 09000000                           | IFLA_NET_NS_FD = 9
    `);
    expect(toHex(encodeRequest(setLinkRequest("nsbox0", { master: 3, nsFd: 9 }), SEQ))).toBe(toHex(expected));
  });

  test("delete and get by name", () => {
    expect(toHex(encodeRequest(deleteLinkRequest("nsbox0"), SEQ))).toBe(toHex(hex(`
      2c000000 1100 0500 04030201 00000000         | RTM_DELLINK
      ${IFINFO_ZERO}
      0b00 0300 6e73626f783000 00
    `)));
    expect(toHex(encodeRequest(getLinkRequest("nsbox0"), SEQ))).toBe(toHex(hex(`
      34000000 1200 0500 04030201 00000000         | RTM_GETLINK, len 52
      ${IFINFO_ZERO}
      0800 1d00 08000000                           | IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS
      0b00 0300 6e73626f783000 00
    `)));
  });

  test("dumps set NLM_F_DUMP", () => {
    expect(toHex(encodeRequest(dumpLinksRequest(), SEQ))).toBe(toHex(hex(`
      28000000 1200 0503 04030201 00000000         | RTM_GETLINK, REQUEST|ACK|DUMP (0x305)
      ${IFINFO_ZERO}
      0800 1d00 08000000
    `)));
    expect(toHex(encodeRequest(dumpAddressesRequest(), SEQ))).toBe(toHex(hex(`
      18000000 1600 0503 04030201 00000000         | RTM_GETADDR
      00 00 00 00 00000000                         | ifaddrmsg: all families
    `)));
  });

  test("IPv4 address, as `ip addr add 10.200.0.1/30 dev <index 4>`", () => {
    const expected = hex(`
      28000000 1400 0506 04030201 00000000         | RTM_NEWADDR, len 40, REQUEST|ACK|EXCL|CREATE
      02 1e 00 00 04000000                         | ifaddrmsg: AF_INET, /30, flags 0, scope universe, index 4
      0800 0200 0ac80001                           | IFA_LOCAL 10.200.0.1
      0800 0100 0ac80001                           | IFA_ADDRESS 10.200.0.1
    `);
    const req = addressRequest("add", { index: 4, ifname: "nsbox0", cidr: parseCidr("10.200.0.1/30") });
    expect(toHex(encodeRequest(req, SEQ))).toBe(toHex(expected));
    expect(req.object).toBe("address 10.200.0.1/30 on nsbox0");
  });

  test("IPv6 address with NODAD", () => {
    const addr = "fd000000000000000000000000000001";
    const expected = hex(`
      40000000 1400 0506 04030201 00000000         | len 64
      0a 40 02 00 04000000                         | AF_INET6, /64, IFA_F_NODAD, index 4
      1400 0200 ${addr}                            | IFA_LOCAL fd00::1
      1400 0100 ${addr}                            | IFA_ADDRESS fd00::1
    `);
    expect(toHex(encodeRequest(addressRequest("add", { index: 4, ifname: "x", cidr: parseCidr("fd00::1/64"), flags: IFA_F_NODAD }), SEQ))).toBe(toHex(expected));
  });

  test("flags above 0xff go in IFA_FLAGS", () => {
    const bytes = encodeRequest(addressRequest("delete", { index: 1, ifname: "x", cidr: parseCidr("10.0.0.1/8"), flags: 0x100 }), SEQ);
    expect(toHex(bytes.subarray(4, 8))).toBe("15000500"); // RTM_DELADDR, no CREATE
    expect(toHex(bytes.subarray(bytes.length - 8))).toBe(toHex(hex("0800 0800 00010000")));
  });

  test("route via a gateway, as `ip route add 10.9.0.0/16 via 10.200.0.2`", () => {
    const expected = hex(`
      2c000000 1800 0506 04030201 00000000         | RTM_NEWROUTE, len 44
      02 10 00 00 fe 03 00 01 00000000             | rtmsg: AF_INET, dst_len 16, main, boot, universe, unicast
      0800 0100 0a090000                           | RTA_DST 10.9.0.0
      0800 0500 0ac80002                           | RTA_GATEWAY 10.200.0.2
    `);
    const req = routeRequest("add", { family: 4, dst: parseNetwork("10.9.0.0/16"), gateway: parseAddress("10.200.0.2") });
    expect(toHex(encodeRequest(req, SEQ))).toBe(toHex(expected));
    expect(req.object).toBe("route 10.9.0.0/16 via 10.200.0.2");
  });

  test("default route: dst_len 0 and no RTA_DST; a link route gets scope link and RTA_OIF", () => {
    expect(toHex(encodeRequest(routeRequest("add", { family: 4, dst: null, gateway: parseAddress("10.200.0.1") }), SEQ))).toBe(toHex(hex(`
      24000000 1800 0506 04030201 00000000
      02 00 00 00 fe 03 00 01 00000000
      0800 0500 0ac80001
    `)));
    const link = routeRequest("add", { family: 6, dst: parseNetwork("fd00:1::/64"), oif: { index: 3, name: "nsbox0" } });
    expect(toHex(encodeRequest(link, SEQ))).toBe(toHex(hex(`
      38000000 1800 0506 04030201 00000000         | len 56
      0a 40 00 00 fe 03 fd 01 00000000             | AF_INET6, /64, main, boot, scope link (253)
      1400 0100 fd000001000000000000000000000000   | RTA_DST fd00:1::
      0800 0400 03000000                           | RTA_OIF 3
    `)));
    expect(link.object).toBe("route fd00:1::/64 dev nsbox0");
  });

  test("tables above 255 and metrics are attributes; deletes use scope nowhere", () => {
    const bytes = encodeRequest(routeRequest("delete", { family: 4, dst: null, gateway: parseAddress("10.0.0.1"), table: 1000, metric: 5 }), SEQ);
    expect(toHex(bytes.subarray(4, 8))).toBe("19000500");
    expect(toHex(bytes.subarray(16, 28))).toBe(toHex(hex("02 00 00 00 00 00 ff 01 00000000")));
    expect(toHex(bytes.subarray(28))).toBe(toHex(hex("0800 0500 0a000001  0800 0600 05000000  0800 0f00 e8030000")));
  });

  test("a veth without a peer is a programming error", () => {
    expect(() => newLinkRequest({ kind: "veth", name: "a" })).toThrow("peer");
  });
});

describe("attributes", () => {
  test("lengths exclude padding; types keep their flags masked off on decode", () => {
    const bytes = encodeAttrs([strAttr(3, "ab"), u32Attr(4, 1500)]);
    expect(toHex(bytes)).toBe(toHex(hex("0700 0300 616200 00  0800 0400 dc050000")));
    const nested = hex("0c00 1280 0800 0100 01000000"); // type 18 | NLA_F_NESTED
    expect(parseAttrs(nested)).toEqual([{ type: 18, nested: true, data: hex("0800 0100 01000000") }]);
  });

  test("an attribute claiming more than there is is a decode error", () => {
    expect(() => parseAttrs(hex("1000 0300 6162"))).toThrow(NetlinkDecodeError);
  });
});

describe("answers", () => {
  test("an ack: NLMSG_ERROR with error 0, echoing the request's header", () => {
    const ack = hex(`
      24000000 0200 0001 04030201 d2040000         | NLMSG_ERROR, flags CAPPED, seq, our port 1234
      00000000                                     | error 0
      2c000000 1000 0500 04030201 00000000         | the request's header
    `);
    const [m] = parseMessages(ack);
    expect(m!.type).toBe(2);
    const e = decodeError(m!);
    expect(e.errno).toBe(0);
    expect(e.request).toEqual({ len: 44, type: 16, flags: 5, seq: SEQ, pid: 0 });
  });

  test("EEXIST as the kernel sends it: full echo of the request, no TLVs", () => {
    // From strace of a second `ip link add br0 type bridge` (recvmsg, 76 bytes).
    const err = hex(`
      4c000000 0200 0000 04030201 91770000         | NLMSG_ERROR, len 76
      efffffff                                     | -EEXIST
      38000000 1000 0506 04030201 00000000         | the request: RTM_NEWLINK, 56 bytes
      ${IFINFO_ZERO}
      0800 0300 62723000
      1000 1200 0a00 0100 627269646765 0000
    `);
    const e = decodeError(parseMessages(err)[0]!);
    expect(e.errno).toBe(17);
    expect(messageTypeName(e.request.type)).toBe("RTM_NEWLINK");
    expect(e.message).toBeUndefined();
  });

  test("extended ack: message and offset after the echoed request", () => {
    const err = hex(`
      48000000 0200 0002 04030201 00000000         | NLMSG_ERROR, flags ACK_TLVS, len 72
      eaffffff                                     | -EINVAL
      18000000 1400 0506 04030201 00000000         | request header: len 24
      02 21 00 00 04000000                         | its ifaddrmsg (prefix 33)
      1300 0100 496e76616c696420707265666978 00 00  | NLMSGERR_ATTR_MSG "Invalid prefix\\0" (len 19) + 1 pad
      0800 0200 11000000                           | NLMSGERR_ATTR_OFFS 17
    `);
    const e = decodeError(parseMessages(err)[0]!);
    expect(e).toMatchObject({ errno: 22, message: "Invalid prefix", offset: 17 });
    // Capped: only the header was echoed, the TLVs follow it directly.
    const capped = hex(`
      2c000000 0200 0003 04030201 00000000         | CAPPED|ACK_TLVS, len 44
      eaffffff
      18000000 1400 0506 04030201 00000000
      0800 0100 6e6f0000                           | MSG "no"
    `);
    expect(decodeError(parseMessages(capped)[0]!).message).toBe("no");
  });

  test("a short error is a decode error", () => {
    expect(() => decodeError({ type: 2, flags: 0, seq: 0, pid: 0, payload: new Uint8Array(8) })).toThrow(NetlinkDecodeError);
  });

  test("NLMSG_DONE carries 0 or a negative errno", () => {
    expect(decodeDone(parseMessages(hex("14000000 0300 0200 04030201 00000000 00000000"))[0]!)).toBe(0);
    expect(decodeDone(parseMessages(hex("14000000 0300 0200 04030201 00000000 fcffffff"))[0]!)).toBe(4);
  });

  test("a message longer than the datagram is a decode error", () => {
    expect(() => parseMessages(hex("ff000000 0300 0200 04030201 00000000"))).toThrow(NetlinkDecodeError);
    expect(() => parseMessages(hex("08000000 0300 0200 04030201 00000000"))).toThrow(NetlinkDecodeError);
  });
});

describe("link and address dumps", () => {
  test("a dump datagram with two links and NLMSG_DONE decodes in order", () => {
    const lo = `
      30000000 1000 0200 04030201 d2040000         | RTM_NEWLINK lo, len 48
      00 00 0403 01000000 49000100 00000000        | ARPHRD_LOOPBACK, index 1, UP|LOOPBACK|RUNNING|LOWER_UP
      0700 0300 6c6f00 00                          | IFLA_IFNAME "lo"
      0800 0400 00000100                           | MTU 65536
    `;
    const done = "14000000 0300 0200 04030201 d2040000 00000000";
    const msgs = parseMessages(hex(lo + LINK_VETH + done));
    expect(msgs.map((m) => m.type)).toEqual([16, 16, 3]);
    const [l0, l1] = msgs.slice(0, 2).map(decodeLink);
    expect(l0).toEqual({ index: 1, name: "lo", flags: 0x10049, up: true, mtu: 65536 });
    expect(l1).toEqual({
      index: 5, name: "nsbox0", kind: "veth", flags: 0x11043, up: true, mtu: 1500, master: 3, link: 2, linkNetnsId: 0,
      mac: "02:aa:bb:cc:dd:ee", operstate: "UP",
    });
  });

  test("addresses: v4 with a label, v6 with IFA_FLAGS, and other families skipped", () => {
    const v4 = `
      3c000000 1400 0200 04030201 00000000         | RTM_NEWADDR, len 60
      02 1e 80 00 05000000                         | AF_INET /30, IFA_F_PERMANENT, index 5
      0800 0100 0ac80001                           | IFA_ADDRESS
      0800 0200 0ac80001                           | IFA_LOCAL
      0b00 0300 6e73626f783000 00                  | IFA_LABEL
      0800 0800 80000000                           | IFA_FLAGS
    `;
    const v6 = `
      34000000 1400 0200 04030201 00000000         | len 52
      0a 40 00 fd 05000000                         | AF_INET6 /64, scope link, index 5
      1400 0100 fe800000000000000000000000000001   | IFA_ADDRESS fe80::1
      0800 0800 82000000                           | IFA_FLAGS PERMANENT|NODAD
    `;
    const ptp = `
      28000000 1400 0200 04030201 00000000         | len 40
      02 20 00 00 06000000
      0800 0100 0a000002                           | IFA_ADDRESS (the peer) 10.0.0.2
      0800 0200 0a000001                           | IFA_LOCAL 10.0.0.1
    `;
    const other = `
      18000000 1400 0200 04030201 00000000
      07 00 00 00 05000000                         | AF_BRIDGE: not an IP address
    `;
    const msgs = parseMessages(hex(v4 + v6 + ptp + other));
    expect(msgs.map(decodeAddress)).toEqual([
      { index: 5, family: 4, prefix: 30, address: "10.200.0.1", scope: 0, flags: 0x80, label: "nsbox0" },
      { index: 5, family: 6, prefix: 64, address: "fe80::1", scope: 253, flags: 0x82 },
      { index: 6, family: 4, prefix: 32, address: "10.0.0.1", peer: "10.0.0.2", scope: 0, flags: 0 },
      undefined,
    ]);
  });
});
