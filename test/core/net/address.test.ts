// address.ts: what is accepted, how it is normalised, and the hostile inputs that are refused.
import { describe, expect, test } from "bun:test";
import { formatAddress, networkOf, parseAddress, parseCidr, parseNetwork } from "../../../src/core/net/address.ts";
import { UsageError } from "../../../src/base/errors.ts";

describe("parseAddress", () => {
  test.each([
    ["10.200.0.1", 4, "10.200.0.1", [10, 200, 0, 1]],
    ["0.0.0.0", 4, "0.0.0.0", [0, 0, 0, 0]],
    ["255.255.255.255", 4, "255.255.255.255", [255, 255, 255, 255]],
    ["fd00::1", 6, "fd00::1", [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ["FD00:0:0:0:0:0:0:1", 6, "fd00::1", undefined],
    ["::", 6, "::", undefined],
    ["::1", 6, "::1", undefined],
    ["2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1", undefined],
    ["2001:0db8:0000:0001:0000:0000:0000:0001", 6, "2001:db8:0:1::1", undefined],
    ["fd00:1:2:3:4:5:6:7", 6, "fd00:1:2:3:4:5:6:7", undefined],
    ["fd00:0:1:1:1:1:1:1", 6, "fd00:0:1:1:1:1:1:1", undefined],
    ["::ffff:10.0.0.1", 6, "::ffff:10.0.0.1", undefined],
    ["fd00::10.0.0.1", 6, "fd00::a00:1", undefined],
  ] as const)("%s", (input, family, text, bytes) => {
    const a = parseAddress(input);
    expect(a.family).toBe(family);
    expect(a.text).toBe(text);
    if (bytes) expect(Array.from(a.bytes)).toEqual([...bytes]);
    // The canonical text parses back to the same bytes.
    expect(parseAddress(a.text).bytes).toEqual(a.bytes);
  });

  const hostile = [
    "", " ", "10.0.0.1 ", " 10.0.0.1", "10.0.0.1\n", "10.0.0.1; flush ruleset", "10.0.0.1;", "10.0.0.1}",
    "\"10.0.0.1\"", "'10.0.0.1'", "example.com", "localhost", "10.0.0", "10.0.0.1.2", "10.0.0.256",
    "010.0.0.1", "10.0.0.01", "0x0a.0.0.1", "1e1.0.0.1", "+1.0.0.1", "-1.0.0.1", "10.0.0.1/24",
    "fd00::1%eth0", "fd00:::1", "fd00::1::2", ":::", "fd00:1:2:3:4:5:6:7:8", "fd00:1:2:3:4:5:6:7::",
    "1:2:3:4:5:6:7::8", "fd00::12345", "fd00::g", "::ffff:10.0.0.256", "::10.0.0.1:1", "ｆｄ00::1",
    "10.0.0.1\u0000", "$(reboot)", "`id`", "10.0.0.1 drop", "::1 accept", "10,0,0,1",
  ];
  test.each(hostile)("refuses %j", (input) => {
    expect(() => parseAddress(input)).toThrow(UsageError);
  });

  test("the error shows the input quoted, so control characters are visible", () => {
    expect(() => parseAddress("10.0.0.1; flush ruleset")).toThrow('not an IP address: "10.0.0.1; flush ruleset"');
    expect(() => parseAddress("a\nb")).toThrow('"a\\nb"');
  });

  test("non-strings are refused, not coerced", () => {
    expect(() => parseAddress(167772161 as unknown as string)).toThrow(UsageError);
  });
});

describe("parseCidr / parseNetwork", () => {
  test("keeps host bits for an interface address", () => {
    const c = parseCidr("10.200.0.1/30");
    expect(c.prefix).toBe(30);
    expect(c.text).toBe("10.200.0.1/30");
    expect(c.address.text).toBe("10.200.0.1");
  });

  test("a bare address is a host route", () => {
    expect(parseCidr("10.0.0.1").text).toBe("10.0.0.1/32");
    expect(parseCidr("fd00::1").text).toBe("fd00::1/128");
  });

  test("networks lose their host bits", () => {
    expect(parseNetwork("10.200.0.7/30").text).toBe("10.200.0.4/30");
    expect(parseNetwork("10.1.2.3/0").text).toBe("0.0.0.0/0");
    expect(parseNetwork("fd00:1:2:3:4:5:6:7/64").text).toBe("fd00:1:2:3::/64");
    expect(parseNetwork("fd00::ff/121").text).toBe("fd00::80/121");
    expect(networkOf(parseCidr("192.0.2.255/25")).text).toBe("192.0.2.128/25");
  });

  test.each([
    "10.0.0.1/33", "fd00::1/129", "10.0.0.1/", "10.0.0.1/-1", "10.0.0.1/024", "10.0.0.1/2 4", "10.0.0.1/24;",
    "10.0.0.1//24", "/24", "example.com/24", "10.0.0.0/8 drop", "10.0.0.0/0x8", "10.0.0.0/8/8",
  ])("refuses %j", (input) => {
    expect(() => parseCidr(input)).toThrow(UsageError);
  });
});

describe("formatAddress", () => {
  test("compresses the longest zero run, the first on a tie, never a single group", () => {
    const b = (words: number[]) => new Uint8Array(words.flatMap((w) => [w >> 8, w & 0xff]));
    expect(formatAddress(b([1, 0, 0, 2, 0, 0, 0, 3]))).toBe("1:0:0:2::3");
    expect(formatAddress(b([1, 0, 0, 2, 0, 0, 3, 4]))).toBe("1::2:0:0:3:4");
    expect(formatAddress(b([1, 0, 2, 3, 4, 5, 6, 7]))).toBe("1:0:2:3:4:5:6:7");
    expect(formatAddress(b([0, 0, 0, 0, 0, 0, 0, 0]))).toBe("::");
  });

  test("refuses lengths that are no address", () => {
    expect(() => formatAddress(new Uint8Array(5))).toThrow(RangeError);
  });
});
