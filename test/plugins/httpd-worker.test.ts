// The httpd-worker plugin without root: its plan (pure) from the sandboxes run options build,
// its options, its command-line split, the audit report, and the plugin contract's own check.
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import plugin from "../../plugins/httpd-worker/index.ts";
import { splitWorkerArgs } from "../../plugins/httpd-worker/args.ts";
import { formatAudit } from "../../plugins/httpd-worker/check.ts";
import { defaultFdName, HttpdWorkerOptions } from "../../plugins/httpd-worker/options.ts";
import { findSandboxOption, newDraft, toSpecInput } from "../../src/cli/sandbox-options.ts";
import { PROFILE_FLAG } from "../../src/cli/sandbox-command.ts";
import { encodeWire } from "../../src/native/wire.ts";
import { planSpec } from "../../src/model/plan.ts";
import type { NormalSpec } from "../../src/model/normalize.ts";
import type { SandboxSpecInput } from "../../src/model/schema.ts";
import { checkPlugin } from "../../src/plugin/check-plugin.ts";
import { optionFlags } from "../../src/plugin/options-flags.ts";
import { rootModeOf } from "../../src/model/root-view.ts";
import { rootCtx } from "../helpers.ts";

/** ctx.base as `nsbox httpd-worker run [options] -- server` builds it. */
function base(...options: [string, ...string[]][]): SandboxSpecInput {
  const draft = newDraft({ ...rootCtx, env: { ...rootCtx.env, LISTEN_PID: "77", LISTEN_FDS: "9" } });
  for (const [name, ...values] of options) findSandboxOption(name)!.apply(draft, values, `--${name}`);
  return toSpecInput(draft, ["lighttpd", "-D"]);
}

function options(input: object) {
  return v.parse(HttpdWorkerOptions, input);
}

function plan(input: object, b = base()): NormalSpec {
  const r = planSpec(plugin.plan(options(input), { ...rootCtx, base: b }), rootCtx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}

describe("plan", () => {
  test("the worker starts from the os root: the host's OS, none of its data", () => {
    const spec = plan({ listen: ["127.0.0.1:8080"] });
    expect(rootModeOf(spec.mounts)).toBe("os");
    expect(spec.mounts.some((m) => m.kind === "bind" && m.src === "/")).toBe(false);
  });
  test("a new network namespace with only loopback, the strict default otherwise, and the LISTEN_* variables", () => {
    const spec = plan({ listen: ["127.0.0.1:8080", "[::1]:8080", "unix:/run/web/http.sock"] });
    expect(spec.namespaces.net).toEqual({ mode: "new" });
    expect(spec.network.mode).toBe("loopback");
    for (const kind of ["user", "mnt", "pid", "uts", "ipc", "cgroup"] as const) expect(spec.namespaces[kind]).toEqual({ mode: "new" });
    expect(spec.process.env.LISTEN_FDS).toBe("3");
    expect(spec.process.env.LISTEN_FDNAMES).toBe("127.0.0.1_8080:___1__8080:unix_/run/web/http.sock");
    // The caller's LISTEN_PID would name the wrong process: the stage sets it (env-pid).
    expect(spec.process.env.LISTEN_PID).toBeUndefined();
    expect(spec.process.argv).toEqual(["lighttpd", "-D"]);
    const wire = new TextDecoder().decode(encodeWire(spec, { passFds: [10, 11, 12] })).split("\0").join(" ");
    expect(wire).toContain(" lo-up ");
    expect(wire).toContain("pass-fd 10 pass-fd 11 pass-fd 12 env-pid LISTEN_PID");
    expect(spec.mounts.some((m) => m.kind === "proc" && m.dst === "/proc")).toBe(true);
    expect(spec.mounts.some((m) => m.kind === "tmpfs" && m.dst === "/run")).toBe(true);
  });

  test("--allow-unix: the socket bound at the same path, after the tmpfs it lives under", () => {
    const spec = plan({ listen: ["127.0.0.1:80"], allowUnix: ["/run/postgresql/.s.PGSQL.5432", "/tmp/app/backend.sock"] });
    const binds = spec.mounts.filter((m) => m.kind === "bind" && /sock|PGSQL/.test(m.src));
    expect(binds).toEqual([
      { kind: "bind", src: "/run/postgresql/.s.PGSQL.5432", dst: "/run/postgresql/.s.PGSQL.5432", readonly: true, optional: false, devices: false },
      { kind: "bind", src: "/tmp/app/backend.sock", dst: "/tmp/app/backend.sock", readonly: true, optional: false, devices: false },
    ]);
    const at = (dst: string) => spec.mounts.findIndex((m) => m.dst === dst);
    expect(at("/run")).toBeLessThan(at("/run/postgresql/.s.PGSQL.5432"));
    expect(at("/tmp")).toBeLessThan(at("/tmp/app/backend.sock"));
  });

  test("names: given ones, in order", () => {
    expect(plan({ listen: ["127.0.0.1:80", "127.0.0.1:443"], fdName: ["http", "https"] }).process.env.LISTEN_FDNAMES).toBe("http:https");
    expect(defaultFdName("[fe80::1]:8080")).toBe("_fe80__1__8080");
  });

  test("refuses a network: --net host, --share net, --join net", () => {
    const refuse = (b: SandboxSpecInput) => () => plugin.plan(options({ listen: ["127.0.0.1:80"] }), { ...rootCtx, base: b });
    expect(refuse(base(["net", "host"]))).toThrow(/--net host \/ --share net cannot be combined with httpd-worker/);
    expect(refuse(base(["share", "net"]))).toThrow(/--net host \/ --share net cannot be combined with httpd-worker/);
    expect(refuse(base(["join", "net=/proc/self/ns/net"]))).toThrow(/cannot join \/proc\/self\/ns\/net/);
  });

  test("--net none (no loopback either) is stricter: kept", () => {
    const spec = plan({ listen: ["127.0.0.1:80"] }, base(["net", "none"]));
    expect(spec.network.mode).toBe("none");
    expect(spec.namespaces.net).toEqual({ mode: "new" });
  });

  test("--keep-fd where the sockets go is refused; above them it is kept", () => {
    expect(() => plan({ listen: ["127.0.0.1:80", "127.0.0.1:81"] }, base(["keep-fd", "4"]))).toThrow(/--keep-fd 4: fds 3 to 4 are the listening sockets/);
    expect(plan({ listen: ["127.0.0.1:80", "127.0.0.1:81"] }, base(["keep-fd", "5"])).process.keepFds).toEqual([5]);
  });

  test("the plan does not loosen anything else the caller asked for", () => {
    const b = base(["hostname", "web"], ["cap-add", "CAP_NET_BIND_SERVICE"], ["ro-bind", "/srv", "/srv"], ["uid", "33"]);
    const spec = plan({ listen: ["127.0.0.1:80"] }, b);
    expect(spec.hostname).toBe("web");
    expect(spec.security.capabilities).toEqual(["CAP_NET_BIND_SERVICE"]);
    expect(spec.users.uid).toBe(33);
    expect(spec.mounts).toContainEqual({ kind: "bind", src: "/srv", dst: "/srv", readonly: true, optional: false, devices: false });
  });
});

describe("options", () => {
  const issue = (input: object) => {
    const r = v.safeParse(HttpdWorkerOptions, input);
    return r.success ? "" : r.issues[0].message;
  };
  test("listen: at least one, each a valid address, no duplicates, at most 64", () => {
    expect(issue({ listen: [] })).toMatch(/at least one --listen/);
    expect(issue({})).not.toBe("");
    expect(issue({ listen: ["example.org:80"] })).toMatch(/'example.org:80': 'example.org' is not an IPv4 address/);
    expect(issue({ listen: ["127.0.0.1:80", "127.0.0.1:80"] })).toMatch(/given twice/);
    expect(issue({ listen: Array.from({ length: 65 }, (_, i) => `127.0.0.1:${1000 + i}`) })).toMatch(/at most 64/);
    expect(issue({ listen: Array.from({ length: 64 }, (_, i) => `127.0.0.1:${1000 + i}`) })).toBe("");
  });
  test("allowUnix: absolute paths; fdName: one per listen, no ':'", () => {
    expect(issue({ listen: ["127.0.0.1:80"], allowUnix: ["run/x.sock"] })).toMatch(/absolute/);
    expect(issue({ listen: ["127.0.0.1:80"], fdName: ["a", "b"] })).toMatch(/one --fd-name per --listen/);
    expect(issue({ listen: ["127.0.0.1:80"], fdName: ["a:b"] })).toMatch(/without ':'/);
    expect(issue({ listen: ["127.0.0.1:80"], fdName: [""] })).toMatch(/1-255/);
  });
});

describe("the run command line", () => {
  test("its own flags are taken out in order; run options keep theirs, values included", () => {
    const { flags, rest } = splitWorkerArgs(
      ["--listen", "127.0.0.1:80", "--setenv", "X", "--listen", "--bind=/a", "/b", "--allow-unix", "/run/db.sock", "--listen=[::1]:80", "--profile", "p.toml", "--verbose", "--", "srv", "--listen", "x"],
      [PROFILE_FLAG], "usage",
    );
    expect(flags.get("listen")).toEqual(["127.0.0.1:80", "[::1]:80"]);
    expect(flags.get("allow-unix")).toEqual(["/run/db.sock"]);
    expect(flags.get("verbose")).toEqual([]);
    expect(rest).toEqual(["--setenv", "X", "--listen", "--bind=/a", "/b", "--profile", "p.toml", "--", "srv", "--listen", "x"]);
  });
  test("a flag without its value, a switch with one, a single-use flag twice", () => {
    expect(() => splitWorkerArgs(["--listen"], [], "u")).toThrow(/--listen needs a value \(ADDR\)/);
    expect(() => splitWorkerArgs(["--listen", "--", "x"], [], "u")).toThrow(/needs a value/);
    expect(() => splitWorkerArgs(["--quiet=yes"], [], "u")).toThrow(/takes no value/);
    expect(() => splitWorkerArgs(["--socket-mode", "600", "--socket-mode", "660"], [], "u")).toThrow(/given twice/);
  });
});

describe("the audit report", () => {
  test("every fd, the namespace, routes; a finding line each and a count", () => {
    const lines = formatAudit("sandbox web (pid 10)", {
      pid: 12, innerPid: 2, listenFds: 1, listenPid: 2, ownNetns: true, interfaces: ["lo"],
      routes: [{ family: 6, iface: "lo", destination: "::1/128" }],
      fds: [
        { fd: 0, target: "/dev/null" },
        { fd: 3, target: "socket:[5]", socket: { inode: 5, table: "tcp", local: "127.0.0.1:80", remote: "0.0.0.0:0", listening: true, state: "listen", netns: "outside" }, role: "passed listener" },
        { fd: 4, target: "anon_inode:[eventpoll]" },
      ],
      findings: [],
    });
    expect(lines).toEqual([
      "sandbox web (pid 10): worker pid 12 (pid 2 inside), LISTEN_FDS=1",
      "fd 0: /dev/null",
      "fd 3: tcp 127.0.0.1:80 listen (nsbox's network namespace): passed listener",
      "fd 4: anon_inode:[eventpoll]",
      "network namespace: its own; interfaces: lo",
      "routes: none (loopback only)",
      "clean",
    ]);
    const bad = formatAudit("process 9", { pid: 9, ownNetns: false, interfaces: ["lo", "eth0"], routes: [{ family: 4, iface: "eth0", destination: "0.0.0.0/0" }], fds: [], findings: ["a", "b"] });
    expect(bad.slice(-5)).toEqual(["network namespace: nsbox's; interfaces: lo, eth0", "routes: 0.0.0.0/0 via eth0", "finding: a", "finding: b", "2 findings"]);
  });
});

describe("the plugin contract", () => {
  test("passes nsbox's plugin check; its flags come from its options", () => {
    expect(checkPlugin(plugin, { source: "built-in", reservedFlags: new Set(["net", "bind", "name", "json"]) })).toBe(plugin);
    expect(optionFlags(plugin.options).map((f) => [f.name, f.kind, f.required])).toEqual([
      ["listen", "list", true],
      ["allow-unix", "list", false],
      ["fd-name", "list", false],
    ]);
    expect(plugin.commands!.map((c) => c.name)).toEqual(["run", "check"]);
  });
});
