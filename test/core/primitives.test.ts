import { describe, expect, test } from "bun:test";
import { collectGarbage, type Collector } from "../../src/core/gc.ts";
import { planExec } from "../../src/core/exec-into.ts";
import { UsageError } from "../../src/base/errors.ts";
import type { SandboxRecord } from "../../src/core/sandbox-record.ts";
import { formatPs, psEntries } from "../../src/cli/ps.ts";
import { checkName } from "../../src/cli/names.ts";
import { planSpec } from "../../src/model/plan.ts";
import { riskWarnings } from "../../src/model/risks.ts";
import { rootCtx } from "../helpers.ts";

function record(input: object = {}): SandboxRecord {
  const r = planSpec({ process: { argv: ["sleep", "30"] }, ...input }, rootCtx);
  if (!r.ok) throw new Error("bad spec");
  return { version: 1, name: "web", pid: 2 ** 22 + 1, startTime: 1, createdAt: "2026-01-01T00:00:00.000Z", spec: r.spec };
}

describe("gc", () => {
  const leftovers = (log: string[]): Collector => ({
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
