import { describe, expect, test } from "bun:test";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { describeSpec } from "../../src/model/describe.ts";
import { hostPathInside, visibleHostPaths } from "../../src/model/host-visibility.ts";
import { osRootMounts, rootModeOf } from "../../src/model/root-view.ts";
import { rootCtx } from "../helpers.ts";

const mounts = (...args: string[]) => planFromArgs([...args, "--", "true"], [], "nsbox run", rootCtx).spec.mounts;

describe("root modes", () => {
  test("os: /usr and /etc read-only, the host's links as links, an empty /var skeleton", () => {
    expect(osRootMounts({ os: [{ path: "/bin", symlink: "usr/bin" }, { path: "/lib32" }] })).toEqual([
      { kind: "bind", src: "/usr", dst: "/usr", readonly: true },
      { kind: "bind", src: "/etc", dst: "/etc", readonly: true },
      { kind: "symlink", target: "usr/bin", dst: "/bin" },
      { kind: "bind", src: "/lib32", dst: "/lib32", readonly: true },
      { kind: "dir", dst: "/var", mode: 0o755 },
      { kind: "dir", dst: "/var/lib", mode: 0o755 },
      { kind: "dir", dst: "/var/cache", mode: 0o755 },
      { kind: "dir", dst: "/var/log", mode: 0o755 },
      { kind: "symlink", target: "../run", dst: "/var/run" },
    ]);
  });

  test("the mode a list of mounts amounts to", () => {
    expect(rootModeOf(mounts())).toBe("os");
    expect(rootModeOf(mounts("--root", "host"))).toBe("host");
    expect(rootModeOf(mounts("--root", "empty"))).toBe("empty");
    expect(rootModeOf(mounts("--root", "empty", "--bind", "/srv", "/"))).toBe("custom");
    // Dropping /etc from the os set is no longer os.
    expect(rootModeOf(mounts("--root", "empty", "--ro-bind", "/usr", "/usr"))).toBe("empty");
  });

  test("plan names the root mode and every host path in view", () => {
    expect(describeSpec(planFromArgs(["--", "true"], [], "u", rootCtx).spec)).toContain(
      "root: os: a read-only tmpfs with the host's OS read-only and none of its data; host paths visible: /usr /etc",
    );
    expect(describeSpec(planFromArgs(["--root", "host", "--bind", "/srv", "/srv", "--", "true"], [], "u", rootCtx).spec)).toContain(
      "root: host: the host's whole root, read-only; host paths visible: / /srv (writable)",
    );
  });
});

describe("host paths in view", () => {
  test("a bind brings its tree in; a later mount on the way covers it", () => {
    const host = mounts("--root", "host");
    expect(hostPathInside(host, "/var/lib/pg/.s.PGSQL.5432")).toBe("/var/lib/pg/.s.PGSQL.5432");
    expect(hostPathInside(host, "/run/dbus/system_bus_socket")).toBeUndefined(); // private /run
    expect(hostPathInside(host, "/tmp/.X11-unix/X0")).toBeUndefined();
    expect(hostPathInside(mounts(), "/var/lib/pg/.s.PGSQL.5432")).toBeUndefined();
    expect(hostPathInside(mounts(), "/etc/app/sock")).toBe("/etc/app/sock");
  });

  test("at another destination, the path inside moves with it; a tmpfs over the bind hides it again", () => {
    expect(hostPathInside(mounts("--ro-bind", "/srv/app", "/app"), "/srv/app/run/api.sock")).toBe("/app/run/api.sock");
    expect(hostPathInside(mounts("--ro-bind", "/srv/app", "/app", "--tmpfs", "/app/run"), "/srv/app/run/api.sock")).toBeUndefined();
    expect(visibleHostPaths(mounts("--ro-bind", "/srv", "/srv"), ["/srv/a.sock", "/home/u/b.sock"])).toEqual(["/srv/a.sock"]);
  });
});
