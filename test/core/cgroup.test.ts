import { expect, test } from "bun:test";
import { planCgroups, type CgroupHost } from "../../src/core/cgroup.ts";
import { parseMountinfo } from "../../src/core/mountinfo.ts";

// This machine's layout: v2 at .../unified with only hugetlb, memory/pids/cpu on v1.
const HYBRID = parseMountinfo([
  "30 25 0:26 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
  "31 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "32 25 0:28 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids",
  "33 25 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
].join("\n"));
const UNIFIED = parseMountinfo("30 25 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw");

test("no limits, no cgroups", () => {
  expect(planCgroups({ rlimits: {} }, "1-2", { mounts: UNIFIED, v2Controllers: new Set(["memory"]) })).toBeUndefined();
});

test("cgroup v2: one dir, cloned into, limits and counters", () => {
  const host: CgroupHost = { mounts: UNIFIED, v2Controllers: new Set(["memory", "pids", "cpu"]) };
  const plan = planCgroups({ rlimits: {}, memory: 64 << 20, pids: 20, cpuQuota: 50000 }, "7-9", host)!;
  expect(plan.dirs).toEqual([{
    path: "/sys/fs/cgroup/nsbox/7-9", version: 2,
    files: [
      { name: "memory.max", value: String(64 << 20) }, { name: "memory.swap.max", value: "0", optional: true },
      { name: "pids.max", value: "20" }, { name: "cpu.max", value: "50000 100000" },
    ],
  }]);
  expect(plan.enable.map((e) => e.dir)).toEqual(["/sys/fs/cgroup", "/sys/fs/cgroup/nsbox"]);
  expect(plan.wire.cloneInto).toBe("/sys/fs/cgroup/nsbox/7-9");
  expect(plan.wire.join).toEqual([]);
  expect(plan.wire.watch.map((w) => `${w.file} ${w.key}`)).toEqual(["/sys/fs/cgroup/nsbox/7-9/memory.events oom_kill", "/sys/fs/cgroup/nsbox/7-9/pids.events max"]);
  expect(plan.wire.remove).toEqual(["/sys/fs/cgroup/nsbox/7-9"]);
});

test("hybrid host: controllers bound to v1 are joined there", () => {
  const plan = planCgroups({ rlimits: {}, memory: 32 << 20, pids: 10 }, "7-9", { mounts: HYBRID, v2Controllers: new Set(["hugetlb"]) })!;
  expect(plan.wire.cloneInto).toBeUndefined();
  expect(plan.wire.join).toEqual(["/sys/fs/cgroup/memory/nsbox/7-9", "/sys/fs/cgroup/pids/nsbox/7-9"]);
  expect(plan.dirs[0]!.files[0]).toEqual({ name: "memory.limit_in_bytes", value: String(32 << 20) });
  expect(plan.wire.watch[0]!.file).toBe("/sys/fs/cgroup/memory/nsbox/7-9/memory.oom_control");
});

test("a controller the host does not have anywhere fails closed", () => {
  expect(() => planCgroups({ rlimits: {}, pids: 5 }, "1", { mounts: UNIFIED, v2Controllers: new Set(["memory"]) })).toThrow("--pids needs the pids cgroup controller");
});
