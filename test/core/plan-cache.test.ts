import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryIdentity, readCachedPlan, storeCachedPlan } from "../../src/core/plan-cache.ts";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { rootCtx } from "../helpers.ts";

const uid = process.getuid!();
const spec = planFromArgs(["--tmpfs", "/x", "--", "true"], [], "nsbox run", rootCtx).spec;
let base = "";
let dir = "";

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "nsbox-plan-cache-"));
  dir = join(base, "nsbox", "plans");
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const only = () => join(dir, readdirSync(dir)[0]!);

describe("the plan cache's entries", () => {
  test("an entry gives back the spec and log level it was stored with, for its own key only", () => {
    storeCachedPlan(dir, "key-a", { spec, logLevel: 0 }, uid);
    expect(readCachedPlan(dir, "key-a", uid)).toEqual({ spec, logLevel: 0 });
    expect(readCachedPlan(dir, "key-b", uid)).toBeUndefined();
    storeCachedPlan(dir, "key-b", { spec }, uid);
    expect(readCachedPlan(dir, "key-b", uid)).toEqual({ spec });
  });
  test("the directory is made private (0700) and the entry 0600", () => {
    storeCachedPlan(dir, "k", { spec }, uid);
    expect(Bun.spawnSync(["stat", "-c", "%a", dir, only()]).stdout.toString().split("\n").slice(0, 2)).toEqual(["700", "600"]);
  });
  test("one byte changed anywhere and the entry is not used", () => {
    storeCachedPlan(dir, "k", { spec }, uid);
    const file = only();
    const text = readFileSync(file, "utf8");
    for (const at of [0, text.indexOf("\n") + 5, text.length - 2]) {
      const changed = text.slice(0, at) + (text[at] === "1" ? "2" : "1") + text.slice(at + 1);
      writeFileSync(file, changed, { mode: 0o600 });
      expect(readCachedPlan(dir, "k", uid)).toBeUndefined();
    }
  });
  test("an entry stored under another key's name is not used (the whole key is compared)", () => {
    storeCachedPlan(dir, "k1", { spec }, uid);
    const first = only();
    storeCachedPlan(dir, "k2", { spec }, uid);
    const second = readdirSync(dir).map((n) => join(dir, n)).find((f) => f !== first)!;
    writeFileSync(second, readFileSync(first), { mode: 0o600 });
    expect(readCachedPlan(dir, "k2", uid)).toBeUndefined();
  });
  test("an entry others could read or write, or a directory others can enter, is not used", () => {
    storeCachedPlan(dir, "k", { spec }, uid);
    chmodSync(only(), 0o644);
    expect(readCachedPlan(dir, "k", uid)).toBeUndefined();
    chmodSync(only(), 0o600);
    expect(readCachedPlan(dir, "k", uid)).toEqual({ spec });
    chmodSync(dir, 0o755);
    expect(readCachedPlan(dir, "k", uid)).toBeUndefined();
    expect(() => storeCachedPlan(dir, "k2", { spec }, uid)).toThrow("not private");
  });
  test("a parent writable by others (not sticky) makes the whole cache unusable", () => {
    storeCachedPlan(dir, "k", { spec }, uid);
    chmodSync(join(base, "nsbox"), 0o777);
    expect(readCachedPlan(dir, "k", uid)).toBeUndefined();
  });
  test("a symlink in place of an entry or of the directory is not followed", () => {
    storeCachedPlan(dir, "k", { spec }, uid);
    const file = only();
    const elsewhere = join(base, "elsewhere");
    mkdirSync(elsewhere, { mode: 0o700 });
    writeFileSync(join(elsewhere, "e"), readFileSync(file), { mode: 0o600 });
    rmSync(file);
    symlinkSync(join(elsewhere, "e"), file);
    expect(readCachedPlan(dir, "k", uid)).toBeUndefined();
    const linked = join(base, "nsbox", "linked");
    symlinkSync(dir, linked);
    expect(readCachedPlan(linked, "k", uid)).toBeUndefined();
  });
  test("an entry of another owner is not used", () => {
    storeCachedPlan(dir, "k", { spec }, uid);
    expect(readCachedPlan(dir, "k", uid + 1)).toBeUndefined();
  });
  test("only the most recently written entries are kept", () => {
    for (let i = 0; i < 6; i++) {
      storeCachedPlan(dir, `k${i}`, { spec }, uid, 4);
      // Distinct, increasing times: the order does not rest on the clock's resolution.
      const written = readdirSync(dir).find((name) => readFileSync(join(dir, name), "utf8").includes(`"key":"k${i}"`))!;
      utimesSync(join(dir, written), 1000 + i, 1000 + i);
    }
    expect(readdirSync(dir)).toHaveLength(4);
    expect([0, 1].map((i) => readCachedPlan(dir, `k${i}`, uid))).toEqual([undefined, undefined]);
    expect([2, 3, 4, 5].map((i) => readCachedPlan(dir, `k${i}`, uid)?.spec)).toEqual([spec, spec, spec, spec]);
  });
  test("running from the sources there is no binary identity, so no cache", () => {
    expect(binaryIdentity()).toBeUndefined();
  });
});
