import { describe, expect, test } from "bun:test";
import { orderMounts } from "../../src/model/normalize.ts";
import { planSpec } from "../../src/model/plan.ts";
import type { MountStep } from "../../src/model/schema.ts";
import { rootCtx, userCtx } from "../helpers.ts";

const tmpfs = (dst: string): MountStep => ({ kind: "tmpfs", dst, mode: 0o755, size: 0 });

function plan(input: object, ctx = rootCtx) {
  const r = planSpec({ process: { argv: ["true"] }, ...input }, ctx);
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join("; "));
  return r.spec;
}

describe("orderMounts", () => {
  test("puts parents before children and keeps the given order otherwise", () => {
    const out = orderMounts([tmpfs("/a/b/c"), tmpfs("/x"), tmpfs("/a"), tmpfs("/a/b")]);
    expect(out.map((m) => m.dst)).toEqual(["/x", "/a", "/a/b", "/a/b/c"]);
  });
  test("a later step for the same destination replaces the earlier one", () => {
    const out = orderMounts([tmpfs("/tmp"), { kind: "bind", src: "/srv", dst: "/tmp", readonly: false, optional: false, devices: false }]);
    expect(out).toHaveLength(1);
    expect(out[0]!.kind).toBe("bind");
  });
  test("the root comes first", () => {
    const root: MountStep = { kind: "bind", src: "/", dst: "/", readonly: true, optional: false, devices: false };
    expect(orderMounts([tmpfs("/tmp"), root])[0]).toBe(root);
  });
});

describe("id maps", () => {
  test("root maps root inside to the subordinate range, not to host root", () => {
    const s = plan({});
    expect(s.users.uidMap).toEqual([{ inside: 0, outside: 1879048192, count: 65536 }]);
    expect(s.users.gidMap).toEqual([{ inside: 0, outside: 1879048192, count: 65536 }]);
    expect(s.users).toMatchObject({ uid: 0, gid: 0, setgroups: "allow" });
  });
  test("--map-host-root keeps real root", () => {
    expect(plan({ users: { mapHostRoot: true } }).users.uidMap).toEqual([{ inside: 0, outside: 0, count: 0xffffffff }]);
  });
  test("rootless maps only the caller's own ids, with setgroups denied", () => {
    const s = plan({}, userCtx);
    expect(s.users.uidMap).toEqual([{ inside: 1000, outside: 1000, count: 1 }]);
    expect(s.users).toMatchObject({ uid: 1000, gid: 1000, setgroups: "deny" });
  });
  test("rootless --map-root maps the caller to root inside", () => {
    const s = plan({ users: { mapRoot: true } }, userCtx);
    expect(s.users.uidMap).toEqual([{ inside: 0, outside: 1000, count: 1 }]);
    expect(s.users.uid).toBe(0);
  });
  test("no maps when the user namespace is the host's", () => {
    const s = plan({ namespaces: { user: { mode: "host" } } });
    expect(s.users.uidMap).toEqual([]);
  });
});

describe("derived decisions", () => {
  test("--net host shares the host's network namespace", () => {
    expect(plan({ network: { mode: "host" } }).namespaces.net).toEqual({ mode: "host" });
  });
  test("no init without a new PID namespace", () => {
    expect(plan({ namespaces: { pid: { mode: "host" } } }).process.init).toBe(false);
    expect(plan({}).process.init).toBe(true);
  });
  test("hostname defaults to the sandbox name, then to nsbox", () => {
    expect(plan({}).hostname).toBe("nsbox");
    expect(plan({ name: "web1" }).hostname).toBe("web1");
  });
  test("time is shared unless asked", () => {
    expect(plan({}).namespaces.time).toEqual({ mode: "host" });
  });
});
