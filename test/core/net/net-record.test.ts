// net-record.ts and net-gc.ts: records are written before things are made, and gc removes only
// what a dead owner recorded in this namespace and no live owner also claims.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeNetlinkClient } from "../../../src/core/net/fake.ts";
import { netCollector } from "../../../src/core/net/net-gc.ts";
import { listNetRecords, NetRecorder, type NetRecord } from "../../../src/core/net/net-record.ts";
import type { NftClient } from "../../../src/core/net/nft.ts";
import { UsageError } from "../../../src/base/errors.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "nsbox-net-record-"));
  dirs.push(d);
  return d;
}

describe("NetRecorder", () => {
  test("each addition is on disk at once, atomically, mode 0600", () => {
    const dir = tmp();
    const r = new NetRecorder({ pid: 42, startTime: 7 }, dir, 4026531840);
    r.link("nsbox0");
    const file = join(dir, "42-7.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ version: 1, pid: 42, startTime: 7, netns: 4026531840, links: ["nsbox0"], zones: [] });
    r.zone("web");
    r.link("nsbox0");
    expect(readdirSync(dir)).toEqual(["42-7.json"]);
    expect(listNetRecords(dir)).toEqual([{ file, record: { version: 1, pid: 42, startTime: 7, netns: 4026531840, links: ["nsbox0"], zones: ["web"] } }]);
    r.forgetLink("nsbox0");
    r.forgetZone("web");
    expect(r.current).toMatchObject({ links: [], zones: [] });
    r.discard();
    expect(existsSync(file)).toBe(false);
  });

  test("a second recorder for the same owner continues the record", () => {
    const dir = tmp();
    new NetRecorder({ pid: 1, startTime: 2 }, dir, 5).link("a0");
    const again = new NetRecorder({ pid: 1, startTime: 2 }, dir, 5);
    again.link("b0");
    expect(again.current.links).toEqual(["a0", "b0"]);
  });

  test("refuses names that could never be created (nothing is written)", () => {
    const dir = tmp();
    const r = new NetRecorder({ pid: 1, startTime: 2 }, dir, 5);
    expect(() => r.link("../../etc")).toThrow(UsageError);
    expect(() => r.zone("a;b")).toThrow(UsageError);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("garbage and temporary files are not records", () => {
    const dir = tmp();
    writeFileSync(join(dir, "1-1.json"), "{not json");
    writeFileSync(join(dir, "2-2.json"), JSON.stringify({ version: 2 }));
    writeFileSync(join(dir, "3-3.json.tmp"), "{}");
    expect(listNetRecords(dir)).toEqual([]);
    expect(listNetRecords(undefined)).toEqual([]);
  });
});

describe("netCollector", () => {
  const rec = (pid: number, links: string[], zones: string[], netns = 10): NetRecord => ({ version: 1, pid, startTime: pid, netns, links, zones });

  function setup(records: NetRecord[], alive: number[]) {
    const dir = tmp();
    const files = records.map((r) => {
      const file = join(dir, `${r.pid}-${r.startTime}.json`);
      writeFileSync(file, JSON.stringify(r));
      return file;
    });
    const nl = new FakeNetlinkClient();
    const deleted: string[] = [];
    const nft: NftClient = {
      applyZoneTable: () => {},
      deleteZoneTable: (z) => void deleted.push(z),
      listTables: () => [],
      listZoneTables: () => [],
      run: () => "",
    };
    const collector = netCollector({ records: () => listNetRecords(dir), isAlive: (r) => alive.includes(r.pid), netns: () => 10, netlink: () => nl, nft: () => nft });
    return { collector, nl, deleted, files };
  }

  test("removes a dead owner's links and tables, then its record", () => {
    const { collector, nl, deleted, files } = setup([rec(100, ["v0", "gone0"], ["web"])], []);
    nl.createVeth("v0", "v1");
    const found = collector.find();
    expect(found.map((l) => l.what)).toEqual(["network link v0, link gone0, table inet nsbox_web (pid 100, gone)"]);
    found[0]!.remove();
    // gone0 no longer existed: ENODEV is not an error for gc.
    expect(nl.calls.filter((c) => c.op === "deleteLink")).toEqual([{ op: "deleteLink", name: "v0" }, { op: "deleteLink", name: "gone0" }]);
    expect(nl.getLink("v1")).toBeUndefined();
    expect(nl.closed).toBe(true);
    expect(deleted).toEqual(["web"]);
    expect(existsSync(files[0]!)).toBe(false);
  });

  test("leaves live owners alone, and names a live owner also claims", () => {
    const { collector, nl, deleted } = setup([rec(100, ["v0", "shared"], ["a", "b"]), rec(200, ["shared"], ["b"])], [200]);
    nl.createDummy("v0");
    nl.createDummy("shared");
    const found = collector.find();
    expect(found).toHaveLength(1);
    found[0]!.remove();
    expect(nl.getLink("shared")).toBeDefined();
    expect(nl.getLink("v0")).toBeUndefined();
    expect(deleted).toEqual(["a"]);
  });

  test("records of another network namespace are not acted on from here", () => {
    const { collector } = setup([rec(100, ["v0"], [], 99)], []);
    expect(collector.find()).toEqual([]);
  });

  test("other netlink errors fail the removal and keep the record", () => {
    const { collector, nl, files } = setup([rec(100, ["v0"], [])], []);
    nl.createDummy("v0");
    nl.failNext("deleteLink", 1);
    expect(() => collector.find()[0]!.remove()).toThrow("netlink RTM_DELLINK link v0: EPERM");
    expect(existsSync(files[0]!)).toBe(true);
  });
});
