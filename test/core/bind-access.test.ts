import { expect, test } from "bun:test";
import { permits, unwritableBindWarnings } from "../../src/core/bind-access.ts";
import { planSpec } from "../../src/model/plan.ts";
import { rootCtx } from "../helpers.ts";

const spec = (mounts: object[], users: object = {}) => {
  const r = planSpec({ process: { argv: ["true"] }, mounts, users }, rootCtx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
};
const owners: Record<string, { uid: number; gid: number; mode: number }> = {
  "/srv/root": { uid: 0, gid: 0, mode: 0o40755 },
  "/srv/open": { uid: 0, gid: 0, mode: 0o41777 },
  "/srv/mapped": { uid: 1879048192, gid: 1879048192, mode: 0o40755 },
};
const stat = (p: string) => owners[p];

test("a writable bind of a directory the sandbox's root cannot write is warned about, once, with the ways out", () => {
  const binds = Object.keys(owners).map((src) => ({ kind: "bind", src, dst: src }));
  expect(unwritableBindWarnings(spec(binds), stat)).toEqual([
    "writes to /srv/root will fail: owned by host uid 0, the sandbox's root is host uid 1879048192; use --state /srv/root or --idmap-bind /srv/root /srv/root INSIDE:ONDISK",
  ]);
});

test("read-only binds, state directories, idmapped binds and real host root are not", () => {
  const binds = [
    { kind: "bind", src: "/srv/root", dst: "/a", readonly: true },
    { kind: "bind", src: "/srv/root", dst: "/srv/root", state: true },
    { kind: "bind", src: "/srv/root", dst: "/c", idmap: [{ inside: 0, onDisk: 0, count: 1 }] },
  ];
  expect(unwritableBindWarnings(spec(binds, { idmapHostRoot: true }), stat)).toEqual([]);
  expect(unwritableBindWarnings(spec([{ kind: "bind", src: "/srv/root", dst: "/a" }], { mapHostRoot: true }), stat)).toEqual([]);
});

test("permission bits: owner, then group, then others", () => {
  expect(permits({ uid: 5, gid: 6, mode: 0o500 }, 5, 9, 2)).toBe(false);
  expect(permits({ uid: 5, gid: 6, mode: 0o070 }, 7, 6, 2)).toBe(true);
  expect(permits({ uid: 5, gid: 6, mode: 0o001 }, 7, 8, 1)).toBe(true);
});
