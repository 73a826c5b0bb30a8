import { describe, expect, test } from "bun:test";
import { parseSandboxArgs } from "../../src/cli/parse-args.ts";
import { parseProfile } from "../../src/cli/profile.ts";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { rootCtx, usageError } from "../helpers.ts";
import { describeSpec } from "../../src/model/describe.ts";
import { SandboxSpec } from "../../src/model/schema.ts";
import * as v from "valibot";

const plan = (...args: string[]) => planFromArgs(args, [], "nsbox run", rootCtx).spec;

describe("parseSandboxArgs", () => {
  test("keeps order and takes two-value options", () => {
    const p = parseSandboxArgs(["--tmpfs", "/a", "--bind", "/s", "/d", "--", "ls", "-l"], [], "u");
    expect(p.options.map((o) => [o.option.name, o.values])).toEqual([["tmpfs", ["/a"]], ["bind", ["/s", "/d"]]]);
    expect(p.command).toEqual(["ls", "-l"]);
  });
  test("the command may start without --", () => {
    expect(parseSandboxArgs(["--hostname", "h", "echo", "--x"], [], "u").command).toEqual(["echo", "--x"]);
  });
  test("--name=value works for one-value options", () => {
    expect(parseSandboxArgs(["--hostname=h", "--", "x"], [], "u").options[0]!.values).toEqual(["h"]);
  });
  test("bad flags are usage errors naming the flag", () => {
    expect(usageError(() => parseSandboxArgs(["--frob", "--", "x"], [], "u"))).toContain("--frob");
    expect(usageError(() => parseSandboxArgs(["--bind", "/a", "--", "x"], [], "u"))).toContain("--bind needs 2 values (SRC DST)");
    expect(usageError(() => parseSandboxArgs(["-x"], [], "u"))).toContain("'-x'");
    expect(usageError(() => parseSandboxArgs(["--clearenv=1"], [], "u"))).toContain("takes no value");
  });
});

describe("options into a spec", () => {
  test("defaults: everything but time is new, the host's OS read-only, private writable dirs", () => {
    const s = plan("--", "true");
    const mounts = s.mounts.filter((m) => m.kind !== "mask" && m.kind !== "remount-ro").map((m) => `${m.kind} ${m.dst}`);
    expect(mounts).toEqual([
      "bind /usr", "bind /etc", "symlink /bin", "symlink /lib", "symlink /lib64", "symlink /sbin", "dir /var", "dev /dev", "proc /proc", "tmpfs /tmp", "tmpfs /run",
      "dir /var/lib", "dir /var/cache", "dir /var/log", "symlink /var/run", "tmpfs /var/tmp",
    ]);
    // The kernel interfaces in /proc are hidden or read-only, after the proc mount.
    const proc = s.mounts.findIndex((m) => m.kind === "proc");
    expect(s.mounts.findIndex((m) => m.kind === "remount-ro" && m.dst === "/proc/sys")).toBeGreaterThan(proc);
    expect(s.mounts.findIndex((m) => m.kind === "mask" && m.dst === "/proc/kcore")).toBeGreaterThan(proc);
    expect(s.mounts[0]).toMatchObject({ src: "/usr", readonly: true });
    expect(s.mounts.some((m) => m.dst === "/")).toBe(false);
    expect(s.network.mode).toBe("loopback");
  });
  test("env is built in order", () => {
    expect(plan("--setenv", "A", "1", "--clearenv", "--setenv", "B", "2", "--", "x").process.env).toEqual({ B: "2" });
    expect(plan("--unsetenv", "HOME", "--", "x").process.env).toEqual({ PATH: "/usr/bin:/bin" });
  });
  test("--share and --unshare", () => {
    const s = plan("--share", "net,ipc", "--unshare", "time", "--", "x");
    expect(s.namespaces.net.mode).toBe("host");
    expect(s.namespaces.ipc.mode).toBe("host");
    expect(s.namespaces.time.mode).toBe("new");
    expect(s.network.mode).toBe("host");
    expect(plan("--unshare", "all", "--", "x").namespaces.time.mode).toBe("new");
    expect(usageError(() => plan("--share", "nett", "--", "x"))).toContain("unknown namespace 'nett'");
  });
  test("--share mnt drops every mount; --share pid drops the private /proc", () => {
    expect(plan("--share", "mnt", "--", "x").mounts).toEqual([]);
    // A joined mount namespace is taken as it is, too.
    expect(plan("--join", "mnt=/proc/self/ns/mnt", "--", "x").mounts).toEqual([]);
    expect(plan("--share", "pid", "--", "x").mounts.some((m) => m.kind === "proc")).toBe(false);
    // The host's /proc then stays visible: read-only under os, through the root bind under host.
    expect(plan("--share", "pid", "--", "x").mounts).toContainEqual({ kind: "bind", src: "/proc", dst: "/proc", readonly: true, optional: false, devices: false });
    expect(plan("--root", "host", "--share", "pid", "--", "x").mounts.some((m) => m.dst === "/proc")).toBe(false);
  });
  test("--root empty leaves the host root out; --root host is the whole host root read-only", () => {
    expect(plan("--root", "empty", "--", "x").mounts.some((m) => m.kind === "bind")).toBe(false);
    const host = plan("--root", "host", "--", "x").mounts;
    expect(host[0]).toEqual({ kind: "bind", src: "/", dst: "/", readonly: true, optional: false, devices: false });
    expect(host.some((m) => m.dst === "/usr" || m.kind === "symlink")).toBe(false);
  });
  test("--root os follows the host's layout: directories are bound, merged-/usr links are links", () => {
    const split = { ...rootCtx, host: { os: [{ path: "/bin" }, { path: "/lib", symlink: "usr/lib" }, { path: "/lib32" }] } };
    const mounts = planFromArgs(["--", "x"], [], "nsbox run", split).spec.mounts;
    expect(mounts.find((m) => m.dst === "/bin")).toEqual({ kind: "bind", src: "/bin", dst: "/bin", readonly: true, optional: false, devices: false });
    expect(mounts.find((m) => m.dst === "/lib")).toEqual({ kind: "symlink", target: "usr/lib", dst: "/lib" });
    expect(mounts.find((m) => m.dst === "/lib32")).toMatchObject({ kind: "bind", src: "/lib32" });
    expect(mounts.some((m) => m.dst === "/sbin" || m.dst === "/lib64")).toBe(false);
  });
  test("an unknown --root is a usage error naming the choices", () => {
    expect(usageError(() => plan("--root", "hots", "--", "x"))).toBe("--root: 'hots' is not one of os, host, empty");
  });
  test("a missing destination under a planned symlink is refused with the path to use", () => {
    expect(usageError(() => plan("--bind", "/srv", "/bin/tool", "--", "x"))).toMatch(/^× \/bin\/tool is under the symlink \/bin -> usr\/bin in the sandbox's root: use \/usr\/bin\/tool → at mounts\.\d+\.dst$/);
    expect(usageError(() => plan("--tmpfs", "/var/run/app", "--", "x"))).toContain("use /run/app");
    // A step at the link's own path replaces the link.
    expect(plan("--tmpfs", "/bin", "--", "x").mounts.filter((m) => m.dst === "/bin")).toEqual([{ kind: "tmpfs", dst: "/bin", mode: 0o755, size: 0 }]);
  });
  test("DNS: with a network, the file a symlinked /etc/resolv.conf leads to is bound read-only", () => {
    const stub = { kind: "bind" as const, src: "/run/systemd/resolve/stub-resolv.conf", dst: "/run/systemd/resolve/stub-resolv.conf", readonly: true, optional: true, devices: false };
    const host = plan("--net", "host", "--", "x").mounts;
    expect(host).toContainEqual(stub);
    expect(host.findIndex((m) => m.dst === "/run")).toBeLessThan(host.indexOf(host.find((m) => m.dst === stub.dst)!));
    expect(plan("--root", "host", "--net", "host", "--", "x").mounts).toContainEqual(stub);
    // No network to resolve on, no host /etc, or a plain file: nothing is bound.
    expect(plan("--", "x").mounts.some((m) => m.dst === stub.dst)).toBe(false);
    expect(plan("--root", "empty", "--net", "host", "--", "x").mounts.some((m) => m.dst === stub.dst)).toBe(false);
    // A zone member cannot reach resolved's stub on 127.0.0.53: it gets the upstream list there.
    const resolved = { ...rootCtx, host: { ...rootCtx.host, resolvedUpstream: "/run/systemd/resolve/resolv.conf" } };
    // (A zone `web` without DNS servers of its own, rather than whatever zones this host has.)
    const zone = planFromArgs(["--zone", "web", "--", "x"], [], "nsbox run", resolved, undefined, { facts: { zoneResolvConf: () => undefined } }).spec.mounts;
    expect(zone).toContainEqual({ ...stub, src: "/run/systemd/resolve/resolv.conf" });
    expect(planFromArgs(["--net", "host", "--", "x"], [], "nsbox run", resolved).spec.mounts).toContainEqual(stub);
    const plain = planFromArgs(["--net", "host", "--", "x"], [], "nsbox run", { ...rootCtx, host: { os: [] } }).spec.mounts;
    expect(plain.some((m) => m.dst.includes("resolv"))).toBe(false);
  });
  test("a flag replaces the default for the same path", () => {
    const tmp = plan("--bind", "/srv", "/tmp", "--", "x").mounts.filter((m) => m.dst === "/tmp");
    expect(tmp).toEqual([{ kind: "bind", src: "/srv", dst: "/tmp", readonly: false, optional: false, devices: false }]);
  });
  test("--map-users maps uids and gids", () => {
    const s = plan("--map-users", "0:100000:1000", "--uid", "5", "--", "x");
    expect(s.users.uidMap).toEqual([{ inside: 0, outside: 100000, count: 1000 }]);
    expect(s.users.uid).toBe(5);
    expect(usageError(() => plan("--map-users", "0:1", "--", "x"))).toContain("INSIDE:OUTSIDE:COUNT");
    expect(usageError(() => plan("--uid", "-1", "--", "x"))).toContain("'-1' is not a whole number");
  });
  test("bad values name the flag", () => {
    expect(usageError(() => plan("--bind", "rel", "/x", "--", "x"))).toBe("--bind: SRC 'rel' must be an absolute path");
    expect(usageError(() => plan("--net", "wifi", "--", "x"))).toContain("'wifi' is not one of none, loopback, host");
    expect(usageError(() => plan("--propagation", "rslave", "--", "x"))).toContain("--propagation");
    expect(usageError(() => plan("--hostname", "bad_name!", "--", "x"))).toContain("at hostname");
    expect(usageError(() => plan("--hostname", "h"))).toContain("no command given");
  });
});

describe("writable host data", () => {
  test("--state and --idmap-bind become binds (parents first) the host side prepares; bad values are one usage line", () => {
    const spec = plan("--state", "/srv/app", "--idmap-bind", "/srv/shared", "/data", "0:1000,33:33", "--", "x");
    expect(spec.mounts.filter((m) => m.kind === "bind" && (m.state || m.idmap))).toEqual([
      { kind: "bind", src: "/srv/shared", dst: "/data", readonly: false, optional: false, devices: false, idmap: [{ inside: 0, onDisk: 1000, count: 1 }, { inside: 33, onDisk: 33, count: 1 }] },
      { kind: "bind", src: "/srv/app", dst: "/srv/app", readonly: false, optional: false, devices: false, state: true },
    ]);
    expect(usageError(() => plan("--state", "/etc/app", "--", "x"))).toBe("--state: /etc/app is under /etc, which belongs to the system; state directories live in data places such as /srv or /var/lib");
    expect(usageError(() => plan("--state", "srv", "--", "x"))).toContain("DIR 'srv' must be an absolute path");
    expect(usageError(() => plan("--idmap-bind", "/a", "/b", "0-1000", "--", "x"))).toContain("is not INSIDE:ONDISK[:COUNT]");
  });
  test("profile keys state and idmap-bind", () => {
    const entries = parseProfile('state = ["/srv/a", "/srv/b"]\nidmap-bind = [["/srv/c", "/c", "0:1000"]]\nidmap-host-root = true\n', "p.toml");
    expect(entries.map((e) => [e.option.name, e.values])).toEqual([["state", ["/srv/a"]], ["state", ["/srv/b"]], ["idmap-bind", ["/srv/c", "/c", "0:1000"]], ["idmap-host-root", []]]);
  });
});

describe("--log", () => {
  test("FILE with the default cap, or --log-max before or after it; the spec describes it", () => {
    expect(plan("--log", "/var/log/app/out.log", "--", "srv").process.log).toEqual({ path: "/var/log/app/out.log", maxBytes: 8 * 1024 * 1024 });
    expect(plan("--log-max", "1M", "--log", "/l/a.log", "--", "srv").process.log).toEqual({ path: "/l/a.log", maxBytes: 1024 * 1024 });
    expect(plan("--log", "/l/a.log", "--log-max", "64K", "--", "srv").process.log).toEqual({ path: "/l/a.log", maxBytes: 64 * 1024 });
    expect(plan("--", "srv").process.log).toBeUndefined();
    expect(describeSpec(plan("--log", "/l/a.log", "--log-max", "1M", "--", "srv"))).toContain("output: stdout and stderr to /l/a.log (written by the supervisor; at 524288 bytes it becomes /l/a.log.1: at most 1048576 bytes on disk)");
  });
  test("bad input names the flag", () => {
    expect(usageError(() => plan("--log-max", "1M", "--", "srv"))).toBe("--log-max: there is no --log FILE to cap");
    expect(usageError(() => plan("--log", "/l/a.log", "--log-max", "63K", "--", "srv"))).toContain("'63K' is not a size of at least 64K");
    expect(usageError(() => plan("--log", "a.log", "--", "srv"))).toContain("FILE 'a.log' must be an absolute path");
    expect(usageError(() => plan("--log", "/", "--", "srv"))).toContain("its file name '' may hold only");
    expect(usageError(() => plan("--log", `/l/${"x".repeat(201)}`, "--", "srv"))).toContain("its file name is longer than 200 bytes");
  });
  test("a plugin's spec is checked by the schema", () => {
    const r = v.safeParse(SandboxSpec, { process: { argv: ["x"], log: { path: "/l/a b", maxBytes: 1024 } } });
    expect(r.success ? [] : r.issues.map((i) => i.message)).toEqual(["its file name 'a b' may hold only letters, digits, '_', '.' and '-'", "must be at least 64K"]);
  });
});

describe("profiles", () => {
  test("TOML keys are flag names; profile first, flags override", () => {
    const entries = parseProfile(
      'hostname = "web"\nro-bind = [["/etc", "/etc2"], ["/srv", "/srv"]]\nclearenv = true\nsetenv = { MODE = "prod" }\nkeep-fd = 3\n',
      "p.toml",
    );
    expect(entries.map((e) => [e.option.name, e.values])).toEqual([
      ["hostname", ["web"]], ["ro-bind", ["/etc", "/etc2"]], ["ro-bind", ["/srv", "/srv"]], ["clearenv", []], ["setenv", ["MODE", "prod"]], ["keep-fd", ["3"]],
    ]);
  });
  test("JSON works the same", () => {
    expect(parseProfile('{"tmpfs": ["/a", "/b"], "no-init": false}', "p.json").map((e) => e.values)).toEqual([["/a"], ["/b"]]);
  });
  test("bad profiles say where", () => {
    expect(usageError(() => parseProfile("frob = 1", "p.toml"))).toContain("'frob' is not a sandbox option");
    expect(usageError(() => parseProfile("bind = [1]", "p.toml"))).toContain("at bind");
    expect(usageError(() => parseProfile("clearenv = 'yes'", "p.toml"))).toContain("true or false");
    expect(usageError(() => parseProfile("x = [", "p.toml"))).toContain("not valid TOML");
  });
});
