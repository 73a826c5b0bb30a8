// /proc/net tables as data, against text captured from Linux 6.18 (little-endian x86-64).
import { describe, expect, test } from "bun:test";
import {
  decodeProcInetAddress, parseInetTable, parseIPv6RouteTable, parseNetDev, parseNetlinkTable, parseRouteTable, parseUnixTable, socketInode,
} from "../../src/core/proc-net.ts";

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 504 1 0000000017787902 100 0 0 10 0
   1: 0100007F:9910 0100007F:46A3 06 00000000:00000000 03:000003C5 00000000     0        0 0 3 00000000dfdaaedb
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 9123 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:B5B1 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 182318 1 000000008ee19c1d 100 0 0 10 0
`;
const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
0000000054c592d2: 00000002 00000000 00010000 0001 01 182321 @nsbox-abs-test
00000000aa000001: 00000002 00000000 00010000 0001 01 182400 /run/app sock.sock
00000000aa000002: 00000003 00000000 00000000 0001 03 182401 /run/app sock.sock
00000000aa000003: 00000002 00000000 00000000 0001 03 182402
00000000aa000004: 00000002 00000000 00000000 0002 01 182403
`;

describe("socket tables", () => {
  test("addresses are byte-reversed per 32-bit word on a little-endian host; ports are host order", () => {
    expect(decodeProcInetAddress("0100007F:1F90", true)).toBe("127.0.0.1:8080");
    expect(decodeProcInetAddress("7F000001:1F90", false)).toBe("127.0.0.1:8080");
    expect(decodeProcInetAddress("00000000000000000000000001000000:B5B1", true)).toBe("[::1]:46513");
    expect(decodeProcInetAddress("B80D0120000000000000000005000000:0050", true)).toBe("[2001:db8::5]:80");
    expect(decodeProcInetAddress("0000FFFF0100007F0000000000000000:0000", false)).toBe("[0:ffff:100:7f::]:0");
    expect(decodeProcInetAddress("nonsense", true)).toBeUndefined();
  });
  test("tcp: listening sockets, states and inodes", () => {
    const t = parseInetTable(TCP, "tcp", true);
    expect(t.map((e) => [e.inode, e.local, e.remote, e.state, e.listening])).toEqual([
      [504, "0.0.0.0:2024", "0.0.0.0:0", "listen", true],
      [0, "127.0.0.1:39184", "127.0.0.1:18083", "time-wait", false],
      [9123, "127.0.0.1:8080", "127.0.0.1:50000", "established", false],
    ]);
    expect(parseInetTable(TCP6, "tcp6", true)).toEqual([{ inode: 182318, table: "tcp6", local: "[::1]:46513", remote: "[::]:0", listening: true, state: "listen" }]);
    expect(parseInetTable(TCP, "udp", true)[0]!.listening).toBe(false);
  });
  test("unix: listening (SO_ACCEPTCON), connected and unbound sockets; paths with spaces; abstract names", () => {
    expect(parseUnixTable(UNIX).map((e) => [e.inode, e.local, e.state, e.listening])).toEqual([
      [182321, "unix:@nsbox-abs-test", "listening", true],
      [182400, "unix:/run/app sock.sock", "listening", true],
      [182401, "unix:/run/app sock.sock", "connected", false],
      [182402, "", "connected", false],
      [182403, "", "unconnected", false],
    ]);
  });
  test("netlink inodes", () => {
    const text = `sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
000000001979f8e2 0   0          00000000 0        0        0     2        0        175704
`;
    expect(parseNetlinkTable(text)).toEqual([{ inode: 175704, table: "netlink", local: "netlink protocol 0", listening: false, state: "" }]);
  });
  test("fd links", () => {
    expect(socketInode("socket:[182318]")).toBe(182318);
    expect(socketInode("pipe:[1]")).toBeUndefined();
    expect(socketInode("/tmp/socket:[1]")).toBeUndefined();
  });
});

describe("routes and interfaces", () => {
  test("IPv4 routes: destination and prefix from the mask", () => {
    const text = `Iface	Destination	Gateway 	Flags	RefCnt	Use	Metric	Mask		MTU	Window	IRTT
eth0	00000000	010200C0	0003	0	0	0	00000000	0	0	0
eth0	000200C0	00000000	0001	0	0	0	00FFFFFF	0	0	0
`;
    expect(parseRouteTable(text, true)).toEqual([
      { family: 4, iface: "eth0", destination: "0.0.0.0/0" },
      { family: 4, iface: "eth0", destination: "192.0.2.0/24" },
    ]);
    expect(parseRouteTable("Iface\tDestination\tGateway\n", true)).toEqual([]);
  });
  test("IPv6 routes: a new namespace with loopback up has only lo entries", () => {
    const text = `00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
`;
    expect(parseIPv6RouteTable(text)).toEqual([
      { family: 6, iface: "lo", destination: "::/0" },
      { family: 6, iface: "lo", destination: "::1/128" },
      { family: 6, iface: "eth0", destination: "fd00::/64" },
    ]);
  });
  test("interfaces from /proc/net/dev", () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
veth-a.1:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16
`;
    expect(parseNetDev(text)).toEqual(["lo", "eth0", "veth-a.1"]);
  });
});
