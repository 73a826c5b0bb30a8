// `nsbox gc`'s plan-cache collector: what can never be used again goes, whatever its age; what
// could still be used stays, and files that are not nsbox's names are left alone.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrontEntry, frontEntryName, type FrontEntry } from "../../src/core/front-entry.ts";
import { collectGarbage } from "../../src/core/gc.ts";
import { pathDep } from "../../src/core/file-deps.ts";
import { planCacheCollector, staleCachedPlan, staleFrontEntry } from "../../src/core/plan-cache-gc.ts";
import { binaryIdentityOf, storeCacheFile, storeCachedPlan } from "../../src/core/plan-cache.ts";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { encodeWire } from "../../src/native/wire.ts";
import { rootCtx } from "../helpers.ts";

const uid = process.getuid!();
const spec = planFromArgs(["--", "true"], [], "nsbox run", rootCtx).spec;
let base = "";
let dir = "";
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "nsbox-plan-cache-gc-"));
  dir = join(base, "nsbox", "plans");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** A file standing for an nsbox binary, and the key of a line run by it. */
const binary = (name: string, bytes = name) => {
  writeFileSync(join(base, name), bytes);
  return binaryIdentityOf(join(base, name));
};
const keyOf = (bin: string, line: string) => JSON.stringify({ version: "0.1.0", binary: bin, argv: [line], ctx: {} });
const entryFor = (bin: string, line: string) => {
  storeCachedPlan(dir, keyOf(bin, line), { spec }, uid);
  return readdirSync(dir).find((n) => readFileSync(join(dir, n), "utf8").includes(`\\"${line}\\"`))!;
};
const kernel = (f: string) => readFileSync(`/proc/sys/kernel/${f}`, "utf8").trimEnd();

test("a plan-cache entry goes once its nsbox is gone or replaced, or it is of another format; it stays while its nsbox is there", () => {
  const live = entryFor(binary("nsbox-live"), "live");
  const gone = entryFor(binary("nsbox-gone"), "gone");
  const replaced = entryFor(binary("nsbox-replaced"), "replaced");
  rmSync(join(base, "nsbox-gone"));
  rmSync(join(base, "nsbox-replaced"));
  writeFileSync(join(base, "nsbox-replaced"), "a newer build");
  const text = (n: string) => readFileSync(join(dir, n), "utf8");
  expect(staleCachedPlan(text(live))).toBeUndefined();
  expect(staleCachedPlan(text(gone))).toBe(`its nsbox ${join(base, "nsbox-gone")} is gone`);
  expect(staleCachedPlan(text(replaced))).toBe(`its nsbox ${join(base, "nsbox-replaced")} was replaced, or the kernel is another`);
  expect(staleCachedPlan(text(live).replace("nsbox-plan-cache 2", "nsbox-plan-cache 1"))).toBe("another format, or its sum fails");
  // Another kernel: the same binary, the key made on another release.
  const [p, id] = JSON.parse(binaryIdentityOf(join(base, "nsbox-live"))) as string[];
  const other = entryFor(JSON.stringify([p, id, "4.19.0-old", kernel("version")]), "old-kernel");
  expect(staleCachedPlan(text(other))).toBe(`its nsbox ${p} was replaced, or the kernel is another`);
});

test("the collector removes what can never be used and reports each; the rest stays", () => {
  const live = entryFor(binary("nsbox-live"), "live");
  const gone = entryFor(binary("nsbox-gone"), "gone");
  rmSync(join(base, "nsbox-gone"));
  const old = "a".repeat(64);
  writeFileSync(join(dir, old), "nsbox-plan-cache 1 0000\n{}", { mode: 0o600 });
  const open = "b".repeat(64);
  writeFileSync(join(dir, open), readFileSync(join(dir, live)), { mode: 0o644 });
  // A temporary file of a writer that is gone, one of a live writer (this process), and a file of someone else's naming.
  const dead = Bun.spawnSync(["true"]).pid;
  const [tmpDead, tmpLive] = [`${"c".repeat(64)}.${dead}.tmp`, `${"d".repeat(64)}.${process.pid}.tmp`];
  for (const f of [tmpDead, tmpLive, "notes"]) writeFileSync(join(dir, f), "", { mode: 0o600 });
  const r = collectGarbage(false, [planCacheCollector(dir, uid, join(base, "no-stage"))]);
  expect(r.removed.sort()).toEqual(
    [
      `plan-cache entry ${join(dir, gone)} (its nsbox ${join(base, "nsbox-gone")} is gone)`,
      `plan-cache entry ${join(dir, old)} (another format, or its sum fails)`,
      `plan-cache entry ${join(dir, open)} (not a file of uid ${uid}'s alone)`,
      `temporary file ${join(dir, tmpDead)} (its writer (pid ${dead}) is gone)`,
    ].sort(),
  );
  expect(r.failed).toEqual([]);
  expect(readdirSync(dir).sort()).toEqual([live, tmpLive, "notes"].sort());
});

test("a directory others could write is not cleaned: nothing in it is ever read", () => {
  const gone = entryFor(binary("nsbox-gone"), "gone");
  rmSync(join(base, "nsbox-gone"));
  chmodSync(dir, 0o770);
  expect(collectGarbage(false, [planCacheCollector(dir, uid)]).removed).toEqual([]);
  expect(readdirSync(dir)).toEqual([gone]);
});

test("a front entry goes once its stage or nsbox was reinstalled, or a file it holds by identity changed; a type or owner that differs now may hold again: kept", () => {
  const lib = join(base, "lib");
  mkdirSync(lib);
  const stage = join(lib, "nsbox-stage");
  writeFileSync(stage, "stage");
  writeFileSync(join(lib, "nsbox"), "nsbox");
  writeFileSync(join(base, "dep"), "one");
  const entry = (change: Partial<FrontEntry> = {}) =>
    encodeFrontEntry({
      stage: statSync(stage, { bigint: true }),
      nsbox: statSync(join(lib, "nsbox"), { bigint: true }),
      kernel: [kernel("osrelease"), kernel("version")],
      deps: [pathDep(join(base, "dep"), true), { path: join(base, "missing"), type: "missing" }, { path: base, uid: 12345n, mode: 0o40700n }],
      state: "/run/nsbox",
      spec,
      wire: encodeWire(spec, {}),
      ...change,
    });
  const ok = entry();
  // Its dep-owner names another owner than the directory has now: a miss today, not for good.
  expect(staleFrontEntry(ok, stage)).toBeUndefined();
  expect(staleFrontEntry(entry({ kernel: ["4.19.0-old", kernel("version")] }), stage)).toBe("written on another kernel");
  const format = Buffer.from(ok);
  format[format.indexOf(0) + 1] = "2".charCodeAt(0);
  expect(staleFrontEntry(format, stage)).toBe("another format, or its sum fails");
  writeFileSync(join(base, "dep"), "two");
  expect(staleFrontEntry(ok, stage)).toBe(`${join(base, "dep")} changed`);
  rmSync(stage);
  writeFileSync(stage, "stage");
  expect(staleFrontEntry(entry(), stage)).toBeUndefined();
  expect(staleFrontEntry(ok, stage)).toBe(`the stage ${stage} is gone or was reinstalled`);
  // Through the collector, by its file name.
  const name = frontEntryName(["run", "--", "true"], rootCtx);
  storeCacheFile(dir, name, ok, uid);
  expect(collectGarbage(false, [planCacheCollector(dir, uid, stage)]).removed).toEqual([`front entry ${join(dir, name)} (the stage ${stage} is gone or was reinstalled)`]);
  expect(readdirSync(dir)).toEqual([]);
});
