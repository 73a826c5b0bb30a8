import { expect, test } from "bun:test";
import { parseBytes, parseCpu, parseRlimit } from "../../src/model/limits.ts";

test("sizes", () => {
  expect(parseBytes("64M")).toBe(64 * 1024 * 1024);
  expect(parseBytes("2G")).toBe(2 * 1024 ** 3);
  expect(parseBytes("512k")).toBe(512 * 1024);
  expect(parseBytes("1048576")).toBe(1048576);
  for (const bad of ["12XB", "", "-1M", "1.5G", "M", "0"]) expect(parseBytes(bad)).toBeUndefined();
});

test("cpus", () => {
  expect(parseCpu("0.5")).toBe(50000);
  expect(parseCpu("2")).toBe(200000);
  for (const bad of ["0", "0.001", "-1", "x", "1e3"]) expect(parseCpu(bad)).toBeUndefined();
});

test("rlimits", () => {
  expect(parseRlimit("NOFILE=1024:4096")).toEqual({ name: "NOFILE", soft: 1024, hard: 4096 });
  expect(parseRlimit("nofile=64")).toEqual({ name: "NOFILE", soft: 64, hard: 64 });
  expect(parseRlimit("RLIMIT_CORE=0:inf")).toEqual({ name: "CORE", soft: 0, hard: "inf" });
  expect(parseRlimit("NOFILE=10:5")).toContain("above the hard");
  expect(parseRlimit("NOPE=1")).toContain("unknown rlimit");
  expect(parseRlimit("NOFILE")).toContain("NAME=SOFT[:HARD]");
  expect(parseRlimit("NOFILE=-1")).toContain("whole numbers");
});
