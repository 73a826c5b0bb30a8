import { describe, expect, test } from "bun:test";
import { COLLECTORS, collectGarbage, type Collector } from "../../src/core/gc.ts";
import { parseGcFilter } from "../../src/cli/gc.ts";
import { planExec } from "../../src/core/exec-into.ts";
import { UsageError } from "../../src/base/errors.ts";
import type { SandboxRecord } from "../../src/core/sandbox-record.ts";
import { formatPs, psEntries } from "../../src/cli/ps.ts";
import { checkName } from "../../src/cli/names.ts";
import { planSpec } from "../../src/model/plan.ts";
import { riskWarnings } from "../../src/model/risks.ts";
import { rootCtx, usageError } from "../helpers.ts";

function record(input: object = {}): SandboxRecord {
  const r = planSpec({ process: { argv: ["sleep", "30"] }, ...input }, rootCtx);
  if (!r.ok) throw new Error("bad spec");
  return { version: 1, name: "web", pid: 2 ** 22 + 1, startTime: 1, createdAt: "2026-01-01T00:00:00.000Z", spec: r.spec };
}

describe("gc", () => {
  const leftovers = (log: string[]): Collector => ({
    key: "fake",
    name: "fake",
    find: () => [
      { what: "a", remove: () => void log.push("a") },
      { what: "b", remove: () => { throw new Error("busy"); } },
    ],
  });
  test("--dry-run lists and removes nothing", () => {
    const log: string[] = [];
    expect(collectGarbage(true, [leftovers(log)])).toEqual({ removed: ["a", "b"], restored: [], failed: [] });
    expect(log).toEqual([]);
  });
  test("removes each leftover and reports the ones that failed", () => {
    const log: string[] = [];
    expect(collectGarbage(false, [leftovers(log)])).toEqual({ removed: ["a"], restored: [], failed: [{ what: "b", error: "busy" }] });
    expect(log).toEqual(["a"]);
  });
  test("--only takes the named kinds, --pid only what that run left (a leftover naming no run is kept)", () => {
    const log: string[] = [];
    const kind = (key: string, left: { what: string; pid?: number }[]): Collector => ({ key, name: key, find: () => left.map((l) => ({ ...l, remove: () => void log.push(l.what) })) });
    const all = [kind("records", [{ what: "rec 10", pid: 10 }, { what: "rec 11", pid: 11 }]), kind("cgroups", [{ what: "cg 10", pid: 10 }]), kind("stamps", [{ what: "stamp" }])];
    expect(collectGarbage(false, all, { only: ["cgroups", "stamps"] }).removed).toEqual(["cg 10", "stamp"]);
    expect(collectGarbage(false, all, { pid: 10 }).removed).toEqual(["rec 10", "cg 10"]);
    expect(collectGarbage(false, all, { only: ["records"], pid: 11 }).removed).toEqual(["rec 11"]);
    expect(log).toEqual(["cg 10", "stamp", "rec 10", "cg 10", "rec 11"]);
  });
  test("the filter's flags: kinds checked against the collectors, a pid a positive integer", () => {
    expect(parseGcFilter({ only: "cgroups,net", pid: 4242 })).toEqual({ only: ["cgroups", "net"], pid: 4242 });
    expect(parseGcFilter({ only: ["records", "stamps"] })).toEqual({ only: ["records", "stamps"] });
    expect(parseGcFilter({})).toEqual({});
    expect(COLLECTORS.map((c) => c.key)).toEqual(["records", "persist", "persist-mount", "cgroups", "cgroup-parents", "net", "zone-firewall", "stamps", "plan-cache"]);
    expect(usageError(() => parseGcFilter({ only: "cgroups,bogus" }))).toBe("--only: unknown kind 'bogus'");
    for (const pid of ["abc", 0, -3, 1.5, true]) expect(usageError(() => parseGcFilter({ pid }))).toBe(`--pid: '${String(pid)}' is not a pid`);
  });
});

describe("exec planning", () => {
  test("refuses to leave out the user or mount namespace", () => {
    expect(() => planExec(record(), ["sh"], ["net", "uts"], rootCtx)).toThrow(UsageError);
    expect(() => planExec(record(), ["sh"], ["net", "uts"], rootCtx)).toThrow("--ns must include user");
  });
  test("refuses namespaces the sandbox does not have", () => {
    expect(() => planExec(record({ namespaces: { net: { mode: "host" } }, network: { mode: "host" } }), ["sh"], ["user", "mnt", "net"], rootCtx)).toThrow("has no net namespace");
  });
  test("a sandbox whose process is gone cannot be joined", () => {
    expect(() => planExec(record(), ["sh"], undefined, rootCtx)).toThrow("the sandbox web ended");
  });
});

describe("ps", () => {
  test("lists name, pid, uptime, namespaces and command", () => {
    const entries = psEntries([record()], Date.parse("2026-01-01T00:01:30.000Z"));
    expect(entries).toEqual([{ name: "web", pid: 2 ** 22 + 1, uptimeSeconds: 90, namespaces: ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"], range: { uid: { start: 1879048192, count: 65536 }, gid: { start: 1879048192, count: 65536 } }, command: ["sleep", "30"] }]);
    expect(formatPs(entries).split("\n")[1]).toMatch(/^web\s+4194305\s+90s\s+user,mnt,pid,net,uts,ipc,cgroup\s+1879048192\+65536\s+sleep 30$/);
  });
});

describe("names and risks", () => {
  test("names that could escape the state directory are refused", () => {
    for (const bad of ["a/b", "..", ".x", "", "x".repeat(64)]) expect(() => checkName(bad, "t")).toThrow(UsageError);
    expect(checkName("web-1.prod_2", "t")).toBe("web-1.prod_2");
  });
  test("pid-N names are reserved", () => {
    const r = planSpec({ name: "pid-5", process: { argv: ["x"] } }, rootCtx);
    expect(r.ok).toBe(false);
  });
  test("real root and dangerous capabilities are warned about", () => {
    expect(riskWarnings(record().spec)).toEqual([]);
    const w = riskWarnings(record({ users: { mapHostRoot: true }, security: { capabilities: ["CAP_SYS_ADMIN", "CAP_CHOWN"] } }).spec);
    expect(w).toHaveLength(2);
    expect(w[1]).toContain("CAP_SYS_ADMIN");
  });
});
