import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contextForSandbox, namedRange, probeOrder, rangePool, recordedRangeDeps, SLOT_SIZE } from "../../src/core/id-ranges.ts";
import { pathDep } from "../../src/core/file-deps.ts";
import { rootCtx, userCtx } from "../helpers.ts";

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "nsbox-ranges-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const pool = rangePool(rootCtx);

describe("named id ranges", () => {
  test("the built-in pool starts above the default range and stays below 2^31", () => {
    expect(pool.slots).toBe(4096);
    expect(probeOrder("web", pool).every((s) => s >= 1 && s < pool.slots)).toBe(true);
    expect(pool.uidStart + pool.slots * SLOT_SIZE).toBe(2 ** 31);
  });
  test("a name keeps its range; another name gets another, even when its hash collides", () => {
    const dir = fresh();
    const web = namedRange("web", pool, true, dir);
    expect(namedRange("web", pool, true, dir)).toEqual(web);
    expect(web.uid.start).toBe(rootCtx.subuid.start + web.slot * SLOT_SIZE);
    // Take the slot the next name would hash to: it moves on to the following one.
    const [first, second] = probeOrder("db", pool);
    writeFileSync(join(dir, `slot-${first}`), "squatter");
    expect(namedRange("db", pool, true, dir).slot).toBe(second!);
    expect(readFileSync(join(dir, `slot-${second}`), "utf8")).toBe("db");
  });
  test("the files recording a name's range, by identity, only while they record the range planned", () => {
    const dir = fresh();
    const web = namedRange("web", pool, true, dir);
    const use = { input: { name: "web" }, subuid: web.uid, subgid: web.gid };
    const files = [join(dir, "name-web"), join(dir, `slot-${web.slot}`)];
    expect(recordedRangeDeps(rootCtx, use, dir)).toEqual(files.map((f) => pathDep(f, true)));
    // Another range than the one planned, no record, a slot claimed by another name: none.
    expect(recordedRangeDeps(rootCtx, { ...use, subuid: { ...web.uid, start: web.uid.start + SLOT_SIZE } }, dir)).toBeUndefined();
    expect(recordedRangeDeps(rootCtx, { ...use, input: { name: "db" } }, dir)).toBeUndefined();
    writeFileSync(files[1]!, "db");
    expect(recordedRangeDeps(rootCtx, use, dir)).toBeUndefined();
  });
  test("looking up without claiming writes nothing", () => {
    const dir = fresh();
    const peek = namedRange("api", pool, false, dir);
    expect(namedRange("api", pool, true, dir)).toEqual(peek);
    expect(namedRange("other", pool, false, join(dir, "missing")).slot).toBeGreaterThan(0);
  });
  test("a record that does not match its slot is refused, not trusted", () => {
    const dir = fresh();
    writeFileSync(join(dir, "name-x"), "7");
    expect(() => namedRange("x", pool, true, dir)).toThrow("is not one of the nsbox pool's slots");
  });
  test("an /etc/subuid entry is sliced; one too small for names is refused", () => {
    const entry = (count: number) => ({ start: 100000, count: Math.min(count, SLOT_SIZE), source: "/etc/subuid", entryCount: count });
    expect(rangePool({ subuid: entry(10 * SLOT_SIZE), subgid: entry(4 * SLOT_SIZE) }).slots).toBe(4);
    expect(() => rangePool({ subuid: entry(SLOT_SIZE), subgid: entry(SLOT_SIZE) })).toThrow("named sandboxes need id ranges of their own");
  });
  test("only named root launches with the default map change the context", () => {
    const dir = fresh();
    const input = { name: "web", process: { argv: ["true"] } };
    expect(contextForSandbox(rootCtx, { process: { argv: ["true"] } }, true, dir)).toBe(rootCtx);
    expect(contextForSandbox(userCtx, input, true, dir)).toBe(userCtx);
    expect(contextForSandbox(rootCtx, { ...input, users: { mapHostRoot: true } }, true, dir)).toBe(rootCtx);
    // A name the schema refuses is never turned into a file name.
    expect(contextForSandbox(rootCtx, { ...input, name: "../x" }, true, dir)).toBe(rootCtx);
    const named = contextForSandbox(rootCtx, input, true, dir);
    expect(named.subuid.start).toBeGreaterThan(rootCtx.subuid.start);
    expect(named.subuid.count).toBe(SLOT_SIZE);
  });
});
