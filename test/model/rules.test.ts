import { describe, expect, test } from "bun:test";
import { planSpec } from "../../src/model/plan.ts";
import { rootCtx, userCtx } from "../helpers.ts";

function issuesOf(input: object, ctx = rootCtx): string[] {
  const r = planSpec({ process: { argv: ["true"] }, ...input }, ctx);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("rules", () => {
  test("a valid default spec has no issue", () => {
    expect(issuesOf({})).toEqual([]);
  });
  test("hostname requires a new uts namespace", () => {
    expect(issuesOf({ hostname: "h", namespaces: { uts: { mode: "host" } } })[0]).toContain("hostname: --hostname requires a new uts");
  });
  test("mounts require a new mount namespace", () => {
    expect(issuesOf({ namespaces: { mnt: { mode: "host" } }, mounts: [{ kind: "tmpfs", dst: "/tmp" }] })[0]).toContain("mount steps require");
  });
  test("a loopback network requires a new net namespace", () => {
    expect(issuesOf({ namespaces: { net: { mode: "host" } } })[0]).toContain("--net loopback requires a new net namespace");
  });
  test("--map-host-root needs root", () => {
    expect(issuesOf({ users: { mapHostRoot: true } }, userCtx)).toContainEqual(expect.stringContaining("needs nsbox to run as root"));
  });
  test("rootless cannot map other ids", () => {
    const maps = { uidMap: [{ inside: 0, outside: 100000, count: 65536 }], gidMap: [{ inside: 0, outside: 100000, count: 65536 }] };
    expect(issuesOf({ users: maps }, userCtx)).toContainEqual(expect.stringContaining("only your own ids"));
    expect(issuesOf({ users: maps })).toEqual([]);
  });
  test("rootless needs a new user namespace", () => {
    expect(issuesOf({ namespaces: { user: { mode: "host" } } }, userCtx)).toContainEqual(expect.stringContaining("needs a user namespace of its own"));
  });
  test("the payload's uid must be mapped", () => {
    const maps = { uidMap: [{ inside: 0, outside: 100000, count: 10 }], gidMap: [{ inside: 0, outside: 100000, count: 10 }], uid: 10 };
    expect(issuesOf({ users: maps })).toContainEqual(expect.stringContaining("uid 10 is not mapped"));
  });
  test("overlapping map ranges are refused", () => {
    const r = [{ inside: 0, outside: 100000, count: 10 }, { inside: 5, outside: 200000, count: 10 }];
    expect(issuesOf({ users: { uidMap: r, gidMap: r } })).toContainEqual(expect.stringContaining("overlap on the inside"));
  });
  test("schema issues name the path", () => {
    expect(issuesOf({ mounts: [{ kind: "bind", src: "rel", dst: "/x" }] })).toEqual(["mounts.0.src: must be an absolute path"]);
    expect(issuesOf({ mounts: [{ kind: "tmpfs", dst: "/a/../b" }] })[0]).toContain("mounts.0.dst");
    expect(issuesOf({ process: { argv: [] } })[0]).toContain("needs a command");
    expect(issuesOf({ security: { capabilities: ["CAP_NOPE"] } })[0]).toContain("is not a capability name");
  });
  test("a zone member needs root", () => {
    expect(issuesOf({ network: { mode: "zone", zone: "web" } }, userCtx)).toContainEqual(expect.stringContaining("--zone needs root"));
    expect(issuesOf({ network: { mode: "zone", zone: "web" } })).toEqual([]);
  });
  test("a duplicated --keep-fd is refused", () => {
    expect(issuesOf({ process: { argv: ["x"], keepFds: [3, 3] } })[0]).toContain("given twice");
  });
});
