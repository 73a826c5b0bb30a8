import { describe, expect, test } from "bun:test";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { explainSpec, formatExplanation, payloadHostIds } from "../../src/model/explain.ts";
import { rootCtx, userCtx } from "../helpers.ts";

const plan = (args: string[], ctx = rootCtx) => planFromArgs([...args, "--", "true"], [], "nsbox explain", ctx).spec;
const planned = (...args: string[]) => plan(args);
const explain = (...args: string[]) => explainSpec(plan(args));
const text = (...args: string[]) => formatExplanation(explain(...args)).join("\n");

describe("explainSpec", () => {
  test("the default sandbox: every namespace but time new, read-only root, private writable dirs, nothing kept", () => {
    const e = explain();
    expect(e.namespaces.filter((n) => n.mode === "new").map((n) => n.kind)).toEqual(["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"]);
    expect(e.namespaces.find((n) => n.kind === "time")!.mode).toBe("host");
    expect(e.users).toEqual({ uid: 0, gid: 0, hostUid: 1879048192, hostGid: 1879048192, realHostRoot: false, range: { uid: { start: 1879048192, count: 65536 }, gid: { start: 1879048192, count: 65536 } } });
    expect(e.filesystem!.root).toContain("read-only");
    expect(e.filesystem!.writable.map((w) => w.path).sort()).toEqual(["/dev/shm", "/run", "/tmp", "/var/tmp"]);
    expect(e.filesystem!.writable.every((w) => w.what.includes("private tmpfs"))).toBe(true);
    expect(e.filesystem!.private.map((p) => p.path)).toEqual(["/dev", "/proc"]);
    expect(e.filesystem!.hidden).toContain("/proc/kcore");
    expect(e.filesystem!.frozen).toContain("/proc/sys");
    expect(e.propagation).toMatchObject({ mode: "slave" });
    expect(e.network).toMatchObject({ mode: "loopback" });
    expect(e.capabilities).toEqual({ kept: [], mask: "0x0000000000000000", dangerous: [] });
    expect(e.noNewPrivs).toBe(true);
    expect(e.seccomp.filter).toBe(true);
    expect(e.seccomp.base).toBe("default");
    expect(e.seccomp.deniedSyscalls).toBeGreaterThan(30);
    expect(e.seccomp.argumentRules).toEqual(["ioctl TIOCSTI/TIOCLINUX", "personality changes", "clone/unshare with CLONE_NEWUSER"]);
    expect(e.seccomp.userNamespaces).toBe("refused by the filter");
    expect(e.process.fds).toEqual([]);
    expect(e.warnings).toEqual([]);
  });

  test("a writable bind says writes reach the host; a read-only one is listed as such", () => {
    const fs = explain("--bind", "/srv/data", "/data", "--ro-bind", "/etc/app", "/etc/app").filesystem!;
    expect(fs.writable).toContainEqual({ path: "/data", what: "host /srv/data: writes reach the host" });
    expect(fs.readOnly).toContainEqual({ path: "/etc/app", what: "host /etc/app" });
  });

  test("network: none, host (via --share net) and the host's processes with --share pid", () => {
    expect(explain("--net", "none").network.mode).toBe("none");
    const shared = explain("--share", "net,pid");
    expect(shared.network.mode).toBe("host");
    expect(shared.network.reach).toContain("127.0.0.1");
    expect(shared.namespaces.find((n) => n.kind === "pid")!.effect).toContain("host's processes");
  });

  test("--share mnt: no filesystem isolation at all", () => {
    const e = explain("--share", "mnt");
    expect(e.filesystem).toBeNull();
    expect(e.propagation).toBeNull();
    expect(text("--share", "mnt")).toContain("files: the host's mount namespace");
  });

  test("--root empty: the root is an empty tmpfs", () => {
    expect(explain("--root", "empty").filesystem!.root).toContain("empty: a read-only tmpfs");
    expect(explain("--root", "empty").filesystem!.hostVisible).toEqual([]);
  });

  test("the default root is os: the host's OS read-only, its data places named as absent", () => {
    const fs = explain().filesystem!;
    expect(fs.mode).toBe("os");
    expect(fs.hostVisible).toEqual(["/usr (read-only)", "/etc (read-only)"]);
    expect(fs.root).toContain("/home /root /srv /opt /var/lib");
    expect(text()).toContain("host visible: /usr (read-only), /etc (read-only)");
    expect(explain("--root", "host").filesystem!.mode).toBe("host");
    expect(explain("--root", "host", "--bind", "/srv", "/srv").filesystem!.hostVisible).toEqual(["/ (read-only)", "/srv (WRITABLE)"]);
  });

  test("host unix sockets in view are a risk: listed under --root host, none under os", () => {
    const sockets = ["/run/dbus/system_bus_socket", "/var/lib/postgresql/.s.PGSQL.5432", "/srv/app/api.sock", "/tmp/.X11-unix/X0"];
    const host = explainSpec(planned("--root", "host"), { unixSockets: sockets });
    // /run and /tmp are private tmpfs mounts even under --root host: those sockets are out of view.
    expect(host.filesystem!.hostSockets).toEqual(["/var/lib/postgresql/.s.PGSQL.5432", "/srv/app/api.sock"]);
    expect(host.warnings.join("\n")).toContain("2 host unix sockets are in view");
    expect(host.warnings.join("\n")).toContain("--root os shows none of them");
    const os = explainSpec(planned(), { unixSockets: sockets });
    expect(os.filesystem!.hostSockets).toEqual([]);
    expect(os.warnings.join("\n")).not.toContain("unix socket");
    // The host's own mount namespace shows every one of them.
    expect(explainSpec(planned("--share", "mnt"), { unixSockets: sockets }).warnings.join("\n")).toContain("4 host unix sockets are in view");
    // A socket a bind brings back in is in view again, at its place inside.
    expect(explainSpec(planned("--ro-bind", "/srv/app", "/app"), { unixSockets: sockets }).filesystem!.hostSockets).toEqual(["/srv/app/api.sock"]);
  });

  test("capabilities, fds and limits as given; dangerous capabilities warned about", () => {
    const e = explain("--cap-add", "SYS_ADMIN,NET_BIND_SERVICE", "--keep-fd", "5");
    expect(e.capabilities.kept).toEqual(["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"]);
    expect(e.capabilities.mask).toBe("0x0000000000200400");
    expect(e.capabilities.dangerous).toEqual(["CAP_SYS_ADMIN"]);
    expect(e.process.fds).toEqual([5]);
    expect(e.warnings.some((w) => w.startsWith("CAP_SYS_ADMIN"))).toBe(true);
    const limited = explain("--rlimit", "NOFILE=1024:4096", "--memory", "256M", "--pids", "64", "--cpu", "0.5");
    expect(limited.limits).toEqual({ rlimits: { NOFILE: { soft: 1024, hard: 4096 } }, memoryBytes: 256 * 1024 * 1024, pids: 64, cpus: 0.5 });
    expect(formatExplanation(limited)).toContain("limits: NOFILE=1024:4096, memory 268435456 bytes, pids 64, cpu 0.5 CPUs");
  });

  test("seccomp none: no filter; nested user namespaces then hinge on the namespace limit", () => {
    const none = explain("--seccomp", "none");
    expect(none.seccomp).toMatchObject({ filter: false, deniedSyscalls: 0, userNamespaces: "blocked (user.max_user_namespaces=0 inside)" });
    expect(explain("--seccomp", "none", "--allow-userns").seccomp.userNamespaces).toBe("allowed");
    expect(text("--seccomp", "none")).toContain("seccomp: none (no system call filter)");
  });

  test("--map-host-root is real root on the host, and the text says so", () => {
    const e = explain("--map-host-root");
    expect(e.users.realHostRoot).toBe(true);
    expect(text("--map-host-root")).toContain("REAL ROOT on the host");
    expect(e.warnings[0]).toContain("--map-host-root");
  });

  test("the text has one line per topic, most important first", () => {
    const lines = formatExplanation(explain());
    expect(lines[0]).toBe("namespaces: new user, mnt, pid, net, uts, ipc, cgroup");
    for (const topic of ["users:", "root:", "propagation:", "network:", "capabilities:", "no_new_privs:", "seccomp:", "keyring:", "limits:", "fds:", "process:"]) {
      expect(lines.some((l) => l.startsWith(topic))).toBe(true);
    }
  });
});

describe("payloadHostIds", () => {
  test("maps through the id maps of a new user namespace", () => {
    expect(payloadHostIds(plan([]))).toEqual({ uid: 1879048192, gid: 1879048192 });
    expect(payloadHostIds(plan(["--uid", "1000", "--gid", "5"]))).toEqual({ uid: 1879049192, gid: 1879048197 });
  });
  test("the caller's ids for a rootless run, host ids with --share user", () => {
    expect(payloadHostIds(plan([], userCtx))).toEqual({ uid: 1000, gid: 1000 });
    expect(payloadHostIds(plan(["--share", "user"]))).toEqual({ uid: 0, gid: 0 });
  });
});
