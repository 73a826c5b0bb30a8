import { afterAll, expect, test } from "bun:test";
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindWayDeps, exposedBinds, exposedPath, replaceable } from "../../src/core/bind-sources.ts";
import { planSpec } from "../../src/model/plan.ts";
import { rootCtx } from "../helpers.ts";

const CALLER = 1000;
const st = (uid: number, mode: number) => ({ uid: BigInt(uid), mode: BigInt(0o40000 | mode) });

test("an entry can be replaced by others when its directory is another uid's, or writable by others without the sticky bit", () => {
  expect(replaceable(st(0, 0o755), st(0, 0o755), CALLER)).toBe(false);
  expect(replaceable(st(CALLER, 0o700), st(CALLER, 0o755), CALLER)).toBe(false);
  expect(replaceable(st(1879048192, 0o755), st(0, 0o755), CALLER)).toBe(true);
  expect(replaceable(st(0, 0o775), st(0, 0o755), CALLER)).toBe(true);
  expect(replaceable(st(0, 0o757), st(0, 0o755), CALLER)).toBe(true);
  // Sticky (/tmp): only the entry's owner may rename it, and anyone may make a missing one.
  expect(replaceable(st(0, 0o1777), st(0, 0o755), CALLER)).toBe(false);
  expect(replaceable(st(0, 0o1777), st(CALLER, 0o755), CALLER)).toBe(false);
  expect(replaceable(st(0, 0o1777), st(65534, 0o755), CALLER)).toBe(true);
  expect(replaceable(st(0, 0o1777), undefined, CALLER)).toBe(true);
});

test("only plain binds are asked about: a state directory and an idmapped bind are resolved strictly already", () => {
  const r = planSpec(
    {
      process: { argv: ["true"], env: {} },
      mounts: [
        { kind: "bind", src: "/srv/a", dst: "/a", readonly: true },
        { kind: "tmpfs", dst: "/t", mode: 0o755 },
        { kind: "bind", src: "/srv/s", dst: "/srv/s", state: true },
        { kind: "bind", src: "/srv/i", dst: "/i", idmap: [{ inside: 0, onDisk: 1000, count: 1 }] },
        { kind: "bind", src: "/srv/c", dst: "/c" },
      ],
    },
    rootCtx,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const asked: string[] = [];
  const at = exposedBinds(r.spec, 0, (p) => (asked.push(p), p !== "/srv/a"));
  expect(asked).toEqual(["/srv/a", "/srv/c"]);
  expect(at).toEqual([r.spec.mounts.findIndex((m) => m.kind === "bind" && m.src === "/srv/c")]);
});

const dir = mkdtempSync(join(tmpdir(), "nsbox-bind-sources-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.if(process.getuid!() === 0)("a path is exposed by any directory on its way, links followed as the stage follows them", () => {
  const own = join(dir, "own");
  const theirs = join(dir, "theirs");
  mkdirSync(join(own, "x"), { recursive: true });
  mkdirSync(join(theirs, "y"), { recursive: true });
  chmodSync(dir, 0o755);
  chownSync(theirs, 65534, 65534);
  symlinkSync(join(theirs, "y"), join(own, "via"));
  expect(exposedPath(join(own, "x"), 0)).toBe(false);
  expect(exposedPath(theirs, 0)).toBe(false); // its own entry is in a directory of root's
  expect(exposedPath(join(theirs, "y"), 0)).toBe(true);
  expect(exposedPath(join(own, "via"), 0)).toBe(true); // the link leads through THEIRS
  expect(exposedPath(join(theirs, "y"), 65534)).toBe(false); // the caller's own directory
  // A link's owner does not matter, only who may replace it.
  lchownSync(join(own, "via"), 65534, 65534);
  expect(exposedPath(join(own, "x"), 0)).toBe(false);
});

test.if(process.getuid!() === 0)("the front keeps what a safe answer was read from: each directory and name by owner and mode, a link by identity; nothing when a way is exposed", () => {
  const way = join(dir, "way");
  mkdirSync(join(way, "real", "data"), { recursive: true });
  symlinkSync("real", join(way, "link"));
  chmodSync(dir, 0o755);
  const bind = (src: string) => {
    const r = planSpec({ process: { argv: ["true"], env: {} }, mounts: [{ kind: "bind", src, dst: "/w", readonly: true }] }, rootCtx);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.spec;
  };
  const deps = bindWayDeps(bind(join(way, "link", "data")), 0)!;
  const byPath = new Map(deps.map((d) => [d.path, d]));
  const owner = (p: string) => {
    const st = lstatSync(p, { bigint: true });
    return { path: p, uid: st.uid, mode: st.mode };
  };
  for (const p of ["/", dir, way, join(way, "real"), join(way, "real", "data")]) expect(byPath.get(p)).toEqual(owner(p));
  expect(byPath.get(join(way, "link"))).toMatchObject({ path: join(way, "link"), ino: lstatSync(join(way, "link"), { bigint: true }).ino });
  // Given to another uid: the way is exposed now, and the front keeps nothing for it.
  chownSync(join(way, "real"), 65534, 65534);
  expect(bindWayDeps(bind(join(way, "link", "data")), 0)).toBeUndefined();
  expect(bindWayDeps(bind(join(way, "link", "data")), 65534)).toBeDefined();
});
