// Shared test fixtures: a fixed PlanContext (root, and a rootless user) so plans are deterministic.
import { expect } from "bun:test";
import { UsageError } from "../src/base/errors.ts";
import type { PlanContext } from "../src/model/context.ts";

export const rootCtx: PlanContext = {
  uid: 0,
  gid: 0,
  env: { PATH: "/usr/bin:/bin", HOME: "/root" },
  cwd: "/",
  subuid: { start: 1879048192, count: 65536, source: "test" },
  subgid: { start: 1879048192, count: 65536, source: "test" },
  // A merged-/usr host with systemd-resolved's stub resolver.
  host: {
    os: [{ path: "/bin", symlink: "usr/bin" }, { path: "/lib", symlink: "usr/lib" }, { path: "/lib64", symlink: "usr/lib64" }, { path: "/sbin", symlink: "usr/sbin" }],
    resolvConf: "/run/systemd/resolve/stub-resolv.conf",
  },
};

export const userCtx: PlanContext = { ...rootCtx, uid: 1000, gid: 1000, env: { PATH: "/usr/bin:/bin", HOME: "/home/u" } };

/** The message of the UsageError `f` throws; fails the test when it throws nothing or anything else. */
export function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error("expected a UsageError");
}
