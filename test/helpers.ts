// Shared test fixtures: a fixed PlanContext (root, and a rootless user) so plans are deterministic.
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
