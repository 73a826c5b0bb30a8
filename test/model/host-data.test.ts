import { describe, expect, test } from "bun:test";
import { coversZero, parseIdmap, stateDirProblem } from "../../src/model/host-data.ts";
import { planSpec } from "../../src/model/plan.ts";
import { rootCtx, userCtx } from "../helpers.ts";

const plan = (mounts: object[], extra: object = {}, ctx = rootCtx) => planSpec({ process: { argv: ["true"] }, mounts, ...extra }, ctx);
const issues = (r: ReturnType<typeof plan>) => (r.ok ? [] : r.issues.map((i) => i.message));

describe("state directories", () => {
  test("system trees and / are refused; data places are fine", () => {
    for (const bad of ["/", "/usr", "/usr/local/x", "/etc/x", "/bin/x", "/sbin", "/lib", "/lib64/x", "/libx32/y", "/boot/x", "/proc/1", "/sys/fs", "/dev/shm/x"])
      expect(stateDirProblem(bad)).toBeDefined();
    for (const ok of ["/srv/app", "/var/lib/app", "/home/u/data", "/opt/x", "/usrdata", "/etcetera"])
      expect(stateDirProblem(ok)).toBeUndefined();
  });
  test("a state bind is writable at its own path; the rules refuse one that a plugin bent", () => {
    expect(plan([{ kind: "bind", src: "/srv/a", dst: "/srv/a", state: true }]).ok).toBe(true);
    expect(issues(plan([{ kind: "bind", src: "/srv/a", dst: "/b", state: true }]))).toContain("a state directory is bound writable at its own path");
    expect(issues(plan([{ kind: "bind", src: "/etc/a", dst: "/etc/a", state: true }]))[0]).toContain("belongs to the system");
  });
});

describe("idmapped binds", () => {
  test("INSIDE:ONDISK[:COUNT], comma-separated", () => {
    expect(parseIdmap("0:1000")).toEqual([{ inside: 0, onDisk: 1000, count: 1 }]);
    expect(parseIdmap("0:1000:10,33:33")).toEqual([{ inside: 0, onDisk: 1000, count: 10 }, { inside: 33, onDisk: 33, count: 1 }]);
    for (const bad of ["", "1", "a:b", "1:2:3:4", "-1:2", "1:2:0", "4294967295:1:2"]) expect(typeof parseIdmap(bad)).toBe("string");
    expect(coversZero([{ inside: 5, onDisk: 0, count: 1 }])).toBe(true);
  });
  test("on-disk 0 needs --idmap-host-root, and is warned about when given", () => {
    const bind = { kind: "bind", src: "/srv/a", dst: "/a", idmap: [{ inside: 0, onDisk: 0, count: 1 }] };
    expect(issues(plan([bind]))[0]).toContain("add --idmap-host-root");
    expect(plan([bind], { users: { idmapHostRoot: true } }).ok).toBe(true);
  });
  test("root only, a new user namespace, inside ids that the sandbox maps, no overlaps", () => {
    const bind = (idmap: object[]) => ({ kind: "bind", src: "/srv/a", dst: "/a", idmap });
    expect(issues(plan([bind([{ inside: 0, onDisk: 1000, count: 1 }])], {}, userCtx))[0]).toContain("needs root");
    expect(issues(plan([bind([{ inside: 0, onDisk: 1000, count: 1 }])], { namespaces: { user: { mode: "host" } } }))[0]).toContain("needs a new one");
    expect(issues(plan([bind([{ inside: 65536, onDisk: 1000, count: 1 }])]))[0]).toContain("are not mapped");
    expect(issues(plan([bind([{ inside: 0, onDisk: 1000, count: 5 }, { inside: 10, onDisk: 1002, count: 1 }])]))[0]).toContain("overlap");
    expect(issues(plan([{ ...bind([{ inside: 0, onDisk: 1000, count: 1 }]), state: true, dst: "/srv/a" }]))).toContain("a bind is either a state directory or idmapped, not both");
    const many = Array.from({ length: 33 }, (_, k) => ({ inside: k, onDisk: 1000 + k, count: 1 }));
    expect(issues(plan([bind(many)]))).toContain("idmapped binds have 33 ranges in all; at most 32 fit");
  });
});
