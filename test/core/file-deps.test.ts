// What a decision read from the file system, as the front checks it again by lstat
// (src/core/file-deps.ts): every name path resolution visits, symlinks by identity.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathDep, readWithDep, resolutionDeps, uniqueDeps, type FileDep } from "../../src/core/file-deps.ts";
import { planContextDeps, readPlanContext } from "../../src/cli/context.ts";

let t = "";
beforeEach(() => {
  t = realpathSync(mkdtempSync(join(tmpdir(), "nsbox-deps-")));
  mkdirSync(join(t, "real"));
  writeFileSync(join(t, "real", "f"), "x");
  symlinkSync("real", join(t, "rel"));
  symlinkSync(join(t, "real"), join(t, "abs"));
  symlinkSync("../real/f", join(t, "real", "up"));
});
afterEach(() => rmSync(t, { recursive: true, force: true }));

const shape = (deps: FileDep[]) => deps.filter((d) => d.path.startsWith(`${t}/`)).map((d) => `${d.path.slice(t.length)} ${"type" in d ? d.type : "identity"}`);

describe("resolutionDeps", () => {
  test("each directory on the way by type, the last name by identity when its contents matter", () => {
    expect(shape(resolutionDeps(join(t, "real", "f"), true))).toEqual(["/real dir", "/real/f identity"]);
    expect(shape(resolutionDeps(join(t, "real", "f"), false))).toEqual(["/real dir", "/real/f file"]);
  });
  test("a symlink by identity, then its target resolved from where it is (relative) or from / (absolute)", () => {
    expect(shape(resolutionDeps(join(t, "rel", "f"), true))).toEqual(["/rel identity", "/real dir", "/real/f identity"]);
    expect(shape(resolutionDeps(join(t, "abs", "f"), false))).toEqual(["/abs identity", "/real dir", "/real/f file"]);
    expect(shape(resolutionDeps(join(t, "real", "up"), false))).toEqual(["/real dir", "/real/up identity", "/real dir", "/real/f file"]);
  });
  test("a missing name ends the walk as missing; a file on the way ends it as a file", () => {
    expect(shape(resolutionDeps(join(t, "nope", "f"), true))).toEqual(["/nope missing"]);
    expect(shape(resolutionDeps(join(t, "real", "f", "g"), true))).toEqual(["/real dir", "/real/f file"]);
  });
  test("the identity changes when the file is replaced, the type when a directory becomes a link", () => {
    const before = resolutionDeps(join(t, "real", "f"), true);
    rmSync(join(t, "real", "f"));
    writeFileSync(join(t, "real", "f"), "x");
    expect(resolutionDeps(join(t, "real", "f"), true)).not.toEqual(before);
    rmSync(join(t, "real"), { recursive: true });
    symlinkSync("/", join(t, "real"));
    expect(shape(resolutionDeps(join(t, "real"), false))).toEqual(["/real identity"]);
  });
  test("a symlink loop stops after 40 links", () => {
    symlinkSync("loop", join(t, "loop"));
    expect(shape(resolutionDeps(join(t, "loop"), false))).toEqual(Array(41).fill("/loop identity"));
  });
});

describe("readWithDep", () => {
  test("a regular file's contents with the identity an lstat of it gives", () => {
    const f = join(t, "real", "f");
    expect(readWithDep(f)).toEqual({ text: "x", dep: pathDep(f, true) });
  });
  test("nothing for a missing file, a symlink (not followed) or a directory", () => {
    expect(readWithDep(join(t, "real", "none"))).toBeUndefined();
    expect(readWithDep(join(t, "real", "up"))).toBeUndefined();
    expect(readWithDep(join(t, "real"))).toBeUndefined();
  });
});

describe("the plan context's files", () => {
  test("the subordinate id files by identity, / by identity, every OS entry, the way to resolv.conf; each path once", () => {
    const deps = planContextDeps(readPlanContext());
    const byPath = new Map(deps.map((d) => [d.path, d]));
    expect(byPath.size).toBe(deps.length);
    expect(byPath.get("/")).toEqual(pathDep("/", true));
    expect(byPath.get("/etc")).toEqual({ path: "/etc", type: "dir" });
    for (const f of ["/etc/subuid", "/etc/subgid"]) {
      const st = lstatSync(f, { throwIfNoEntry: false });
      expect(byPath.get(f)).toEqual(st ? pathDep(f, true) : { path: f, type: "missing" });
    }
    expect(byPath.has("/etc/resolv.conf")).toBe(true);
    for (const e of readPlanContext().host.os) expect(byPath.get(e.path)).toEqual(pathDep(e.path));
  });
  test("uniqueDeps keeps the identity when one reading wanted it", () => {
    const id: FileDep = { path: "/x", dev: 1n, ino: 2n, mode: 3n, size: 4n, mtimeNs: 5n, ctimeNs: 6n };
    expect(uniqueDeps([{ path: "/x", type: "file" }, id, { path: "/x", type: "file" }])).toEqual([id]);
  });
  test("uniqueDeps keeps owner and mode over the type, and the identity over both (a chown or chmod changes the change time)", () => {
    const id: FileDep = { path: "/x", dev: 1n, ino: 2n, mode: 3n, size: 4n, mtimeNs: 5n, ctimeNs: 6n };
    const owner: FileDep = { path: "/x", uid: 0n, mode: 0o40755n };
    expect(uniqueDeps([{ path: "/x", type: "dir" }, owner])).toEqual([owner]);
    expect(uniqueDeps([owner, { path: "/x", type: "dir" }])).toEqual([owner]);
    expect(uniqueDeps([owner, id, owner])).toEqual([id]);
  });
});
