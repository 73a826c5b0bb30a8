// Listening addresses: parsing, canonical text, and struct sockaddr bytes against fixtures
// written from ip(7), ipv6(7) and unix(7) (little- and big-endian hosts).
import { describe, expect, test } from "bun:test";
import {
  AF_INET, AF_INET6, decodeSockaddr, encodeSockaddr, formatIPv6, formatListenAddress, parseIPv4, parseIPv6, parseListenAddress, type ListenAddress,
} from "../../src/model/sockaddr.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const parsed = (text: string) => {
  const r = parseListenAddress(text);
  if (typeof r === "string") throw new Error(r);
  return r;
};

describe("IP literals", () => {
  test("IPv4: dotted quads only, no leading zeros", () => {
    expect(Array.from(parseIPv4("127.0.0.1")!)).toEqual([127, 0, 0, 1]);
    expect(Array.from(parseIPv4("255.255.255.255")!)).toEqual([255, 255, 255, 255]);
    for (const bad of ["256.0.0.1", "1.2.3", "1.2.3.4.5", "010.0.0.1", "1.2.3.-4", "a.b.c.d", "", "1..2.3", " 1.2.3.4"]) expect(parseIPv4(bad)).toBeUndefined();
  });
  test("IPv6: groups, '::', a dotted tail", () => {
    expect(hex(parseIPv6("::1")!)).toBe("00000000000000000000000000000001");
    expect(hex(parseIPv6("::")!)).toBe("0".repeat(32));
    expect(hex(parseIPv6("2001:db8::8:800:200c:417a")!)).toBe("20010db80000000000080800200c417a");
    expect(hex(parseIPv6("fe80::")!)).toBe("fe80" + "0".repeat(28));
    expect(hex(parseIPv6("::ffff:192.0.2.1")!)).toBe("00000000000000000000ffffc0000201");
    expect(hex(parseIPv6("1:2:3:4:5:6:1.2.3.4")!)).toBe("00010002000300040005000601020304");
    expect(hex(parseIPv6("1:2:3:4:5:6:7::")!)).toBe("00010002000300040005000600070000");
    for (const bad of ["1::2::3", ":1", "1:", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::g", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", ""]) {
      expect(parseIPv6(bad)).toBeUndefined();
    }
  });
  test("IPv6 text is RFC 5952: lowercase, the longest zero run compressed, a single zero group kept", () => {
    expect(formatIPv6(parseIPv6("2001:DB8:0:0:0:0:0:1")!)).toBe("2001:db8::1");
    expect(formatIPv6(parseIPv6("2001:db8:0:1:1:1:1:1")!)).toBe("2001:db8:0:1:1:1:1:1");
    expect(formatIPv6(parseIPv6("2001:0:0:1:0:0:0:1")!)).toBe("2001:0:0:1::1");
    expect(formatIPv6(parseIPv6("2001:db8:0:0:1:0:0:1")!)).toBe("2001:db8::1:0:0:1");
    expect(formatIPv6(parseIPv6("::")!)).toBe("::");
    expect(formatIPv6(parseIPv6("::1")!)).toBe("::1");
    expect(formatIPv6(parseIPv6("::ffff:10.0.0.1")!)).toBe("::ffff:10.0.0.1");
  });
});

describe("listen addresses", () => {
  test("the accepted forms, and their canonical text", () => {
    expect(formatListenAddress(parsed("127.0.0.1:8080"))).toBe("127.0.0.1:8080");
    expect(formatListenAddress(parsed("0.0.0.0:0"))).toBe("0.0.0.0:0");
    expect(formatListenAddress(parsed("[::1]:443"))).toBe("[::1]:443");
    expect(formatListenAddress(parsed("[0:0::0]:65535"))).toBe("[::]:65535");
    expect(parsed("unix:/run/app.sock")).toEqual({ kind: "unix", path: "/run/app.sock" });
    expect(parsed("unix:@app")).toEqual({ kind: "abstract", name: "app" });
  });
  test("what is refused says why", () => {
    const why = (t: string) => parseListenAddress(t) as string;
    expect(why("localhost:80")).toMatch(/not an IPv4 address \(names are not resolved/);
    expect(why("8080")).toMatch(/expected HOST:PORT/);
    expect(why("127.0.0.1:65536")).toMatch(/not a port/);
    expect(why("127.0.0.1:080")).toMatch(/not a port/);
    expect(why("127.0.0.1:")).toMatch(/not a port/);
    expect(why("::1:80")).toMatch(/brackets/);
    expect(why("[::1]")).toMatch(/expected \[IPV6\]:PORT/);
    expect(why("[fe80::1%eth0]:80")).toMatch(/zone/);
    expect(why("[::g]:80")).toMatch(/not an IPv6 address/);
    expect(why("unix:run/app.sock")).toMatch(/absolute/);
    expect(why("unix:/run/")).toMatch(/not a directory/);
    expect(why("unix:/run/../etc/x")).toMatch(/'\.\.'/);
    expect(why(`unix:/${"a".repeat(107)}`)).toMatch(/at most 107 bytes/);
    expect(typeof parseListenAddress(`unix:/${"a".repeat(106)}`)).toBe("object");
    expect(why("unix:@")).toMatch(/non-empty/);
    expect(why(`unix:@${"a".repeat(108)}`)).toMatch(/at most 107/);
  });
});

describe("struct sockaddr bytes", () => {
  test("sockaddr_in: family (host order), port and address (network order), 8 zero bytes", () => {
    const a = parsed("127.0.0.1:8080");
    expect(hex(encodeSockaddr(a, true))).toBe("0200" + "1f90" + "7f000001" + "0000000000000000");
    expect(hex(encodeSockaddr(a, false))).toBe("0002" + "1f90" + "7f000001" + "0000000000000000");
  });
  test("sockaddr_in6: family, port, flowinfo 0, address, scope id 0 (28 bytes)", () => {
    const b = encodeSockaddr(parsed("[::1]:443"), true);
    expect(b.length).toBe(28);
    expect(hex(b)).toBe("0a00" + "01bb" + "00000000" + "00000000000000000000000000000001" + "00000000");
  });
  test("sockaddr_un: a path with its NUL; an abstract name after a NUL, without one at the end", () => {
    expect(hex(encodeSockaddr(parsed("unix:/a/b"), true))).toBe("0100" + Buffer.from("/a/b").toString("hex") + "00");
    expect(hex(encodeSockaddr(parsed("unix:@srv"), true))).toBe("0100" + "00" + Buffer.from("srv").toString("hex"));
  });
  test("decoding what getsockname returns, including a longer buffer than the address", () => {
    const round = (a: ListenAddress) => decodeSockaddr(encodeSockaddr(a, true), undefined, true);
    expect(formatListenAddress(round(parsed("10.1.2.3:1"))!)).toBe("10.1.2.3:1");
    expect(formatListenAddress(round(parsed("[2001:db8::5]:80"))!)).toBe("[2001:db8::5]:80");
    expect(round(parsed("unix:/run/x.sock"))).toEqual({ kind: "unix", path: "/run/x.sock" });
    expect(round(parsed("unix:@n"))).toEqual({ kind: "abstract", name: "n" });
    const padded = new Uint8Array(110);
    padded.set(encodeSockaddr(parsed("unix:/x"), true));
    expect(decodeSockaddr(padded, 110, true)).toEqual({ kind: "unix", path: "/x" });
    expect(decodeSockaddr(Uint8Array.from([2, 0, 0]), 3, true)).toBeUndefined();
    expect(decodeSockaddr(Uint8Array.from([16, 0, 0, 0]), 4, true)).toBeUndefined(); // AF_NETLINK
    expect(decodeSockaddr(new Uint8Array(16), 20)).toBeUndefined();
    expect(AF_INET).toBe(2);
    expect(AF_INET6).toBe(10);
  });
});
