// The stage's wire decoder (src/native/stage/wire*.c) against hostile and valid input, through
// `nsbox-stage --spec-fd 3 --check`: no root needed, no side effects. Builds dist/nsbox-stage
// with the build script's exact musl-gcc command when it is missing or older than its sources.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildStage } from "../../scripts/build.ts";

const ROOT = resolve(import.meta.dir, "../..");
const STAGE = join(ROOT, "dist/nsbox-stage");
const SOURCES = join(ROOT, "src/native/stage");

function ensureStage(): void {
  const files = readdirSync(SOURCES);
  const newest = Math.max(...files.map((f) => statSync(join(SOURCES, f)).mtimeMs));
  if (existsSync(STAGE) && statSync(STAGE).mtimeMs >= newest) return;
  buildStage(STAGE, [], ROOT);
}

const enc = new TextEncoder();
let dir = "";

/** The bytes of a stream: each token NUL-terminated, nothing added. */
function rawTokens(...tokens: string[]): Uint8Array {
  return enc.encode(tokens.map((t) => `${t}\0`).join(""));
}

/** A whole stream: magic, version, the tokens, `end`. */
function wire(...tokens: (string | number | bigint)[]): Uint8Array {
  return rawTokens("nsbox-wire", "1", ...tokens.map(String), "end");
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Checked {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs --check with the spec on fd 3, from a regular file. */
function check(bytes: Uint8Array): Checked {
  const path = join(dir, "spec.wire");
  writeFileSync(path, bytes);
  const fd = openSync(path, "r");
  try {
    const r = Bun.spawnSync([STAGE, "--spec-fd", "3", "--check"], { stdio: ["ignore", "pipe", "pipe", fd], timeout: 10_000 });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  } finally {
    closeSync(fd);
  }
}

/** Runs --check with the spec on fd 3 being a pipe (sh moves its stdin there). */
function checkPipe(bytes: Uint8Array): Checked {
  const r = Bun.spawnSync(["sh", "-c", `exec "$0" --spec-fd 3 --check 3<&0 0</dev/null`, STAGE], {
    stdin: bytes,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 10_000,
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function expectOk(r: Checked): void {
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("ok\n");
  expect(r.code).toBe(0);
}

/** Rejected with exit 125 and exactly one line naming the reason (and the token, when given). */
function expectRejected(r: Checked, reason: RegExp, token?: number): void {
  expect(r.stdout).toBe("");
  expect(r.code).toBe(125);
  const lines = r.stderr.split("\n").filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith("nsbox: invalid wire spec: ");
  expect(lines[0]).toMatch(reason);
  if (token !== undefined) expect(lines[0]).toEndWith(`(at token ${token})`);
}

const USER = 0x10000000, NS = 0x00020000, PID = 0x20000000, UTS = 0x04000000, NET = 0x40000000;
const DEFAULT_CLONE = 0x7e020000; // USER|NS|PID|UTS|IPC|NET|CGROUP
const minimal = ["clone", 0, "argv", "true"] as const;
const idmaps = ["uidmap", 0, 1879048192, 65536, "gidmap", 0, 1879048192, 65536] as const;

beforeAll(() => {
  ensureStage();
  dir = mkdtempSync(join(tmpdir(), "nsbox-wire-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("valid specs", () => {
  test("the smallest spec", () => expectOk(check(wire(...minimal))));

  test("a default-like sandbox", () => {
    expectOk(check(wire(
      "clone", DEFAULT_CLONE, ...idmaps, "setgroups", "allow", "propagation", "slave",
      "bind", "/", "/", 1, "dev", "/dev", "proc", "/proc", "tmpfs", "/tmp", "1777", 0, "tmpfs", "/run", "0755", 0,
      "hostname", "sandbox", "lo-up", "env", "PATH=/usr/bin:/bin", "argv", "sh", "argv", "-c", "argv", "exit 3",
    )));
  });

  test("every op at once", () => {
    expectOk(check(wire(
      "clone", DEFAULT_CLONE | 0x80, "uidmap", 0, 1000, 1, "gidmap", 0, 1000, 1, "setgroups", "deny", "propagation", "private",
      "bind", "/usr", "/usr", 7, "dev", "/dev", "proc", "/proc", "mqueue", "/dev/mqueue", "dir", "/var/x", "700",
      "symlink", "usr/lib", "/lib", "tmpfs", "/tmp", "1777", 1048576, "hostname", "h", "lo-up", "uid", 0, "gid", 0,
      "cwd", "/tmp", "env", "A=", "env-pid", "LISTEN_PID", "keep-fd", 3, "keep-fd", 65535, "init", 1, "new-session", 0,
      "die-with-parent", 1, "no-new-privs", 1, "caps", "18446744073709551615", "rlimit", "NOFILE", 1024, "inf",
      "rlimit", "CORE", 0, 0, "seccomp", "0600000000000000", "cgroup", "/sys/fs/cgroup/nsbox/x",
      "argv", "end", "argv", "", "argv", "end",
    )));
  });

  test("every op added for hardening, limits, joins and cleanup at once", () => {
    expectOk(check(wire(
      "clone", DEFAULT_CLONE, ...idmaps, "ns-fd", 3, "ns-fd", 65535, "join", "time", "/proc/self/fd/3",
      "proc", "/proc", "remount-ro", "/proc/sys", "mask", "/proc/kcore", "mask", "/proc/acpi", "remount-ro", "/",
      "sysctl", "user/max_user_namespaces", "0", "sysctl", "net/ipv4/conf/eth0.100/forwarding", "1",
      "sysctl", "net/ipv4/ip_local_port_range", "1024 65000",
      "cgroup", "/sys/fs/cgroup/unified/nsbox/x", "cgroup-join", "/sys/fs/cgroup/memory/nsbox/x", "cgroup-join", "/sys/fs/cgroup/pids/nsbox/x",
      "watch", "/sys/fs/cgroup/memory/nsbox/x/memory.oom_control", "oom_kill", "the sandbox ran out of memory",
      "watch", "/sys/fs/cgroup/pids/nsbox/x/pids.events", "max.imposed", "~ fork failed: 100% of pids.max ~",
      "on-exit-unlink", "/run/nsbox/sandboxes/x.json", "on-exit-rmdir", "/sys/fs/cgroup/memory/nsbox/x",
      "argv", "true",
    )));
  });

  test("a persist spec: no argv, the payload's records allowed and unused", () => {
    expectOk(check(wire(
      "clone", NET | UTS | USER | NS | 0x80, ...idmaps, "persist", "/run/nsbox/ns/lab", "persist-link", "net", "/run/netns/lab",
      "persist-link", "uts", "/run/nsbox/uts-lab", "hostname", "lab", "lo-up", "sysctl", "user/max_user_namespaces", "0",
      "bind", "/", "/", 1, "init", 0, "uid", 0, "gid", 0, "cwd", "/", "env", "A=b", "keep-fd", 3, "caps", 0,
      "on-exit-unlink", "/run/nsbox/x", "die-with-parent", 1,
    )));
  });

  test("a spec read from a pipe", () => {
    expectOk(checkPipe(wire("clone", NS | USER, ...idmaps, "bind", "/", "/", 1, "argv", "true")));
    expectRejected(checkPipe(wire("clone", 0)), /missing 'argv'/);
  });

  test("tokens may carry any byte but NUL", () => {
    expectOk(check(wire("clone", 0, "env", "X=a\nb\u00ff\u0001", "argv", "sh\t ")));
  });
});

describe("framing", () => {
  test("empty input", () => expectRejected(check(new Uint8Array()), /empty input/, 0));
  test("wrong magic", () => expectRejected(check(rawTokens("nsbox-wir", "1", ...minimal.map(String), "end")), /bad magic/, 0));
  test("wrong version", () => {
    expectRejected(check(rawTokens("nsbox-wire", "2", ...minimal.map(String), "end")), /unsupported version '2'/, 1);
    expectRejected(check(rawTokens("nsbox-wire", "01", ...minimal.map(String), "end")), /unsupported version/, 1);
  });
  test("only the magic", () => expectRejected(check(rawTokens("nsbox-wire")), /truncated: no version/));
  test("truncated mid-token", () => {
    const full = wire(...minimal);
    expectRejected(check(full.subarray(0, full.length - 3)), /truncated: the last token has no terminating NUL/);
  });
  test("missing end", () => expectRejected(check(rawTokens("nsbox-wire", "1", ...minimal.map(String))), /truncated: missing 'end'/, 6));
  test("bytes after end", () => {
    expectRejected(check(concat(wire(...minimal), enc.encode("x"))), /1 bytes after 'end'/);
    expectRejected(check(concat(wire(...minimal), rawTokens("argv", "x"))), /bytes after 'end'/);
  });
  test("unknown op", () => expectRejected(check(wire("clone", 0, "frobnicate", "argv", "true")), /unknown op 'frobnicate'/, 4));
  test("an op is case-sensitive", () => expectRejected(check(wire("CLONE", 0, "argv", "true")), /unknown op 'CLONE'/, 2));
  test("missing arguments at the end of the stream", () => {
    expectRejected(check(rawTokens("nsbox-wire", "1", "clone", "0", "argv", "true", "uidmap", "0")), /truncated: 'uidmap' needs 3 arguments/);
  });
  test("a missing argument swallows the next op", () => {
    expectRejected(check(wire("clone", 0, "bind", "/a", "/b", "argv", "true")), /mount steps require|bad number/);
    expectRejected(check(wire("clone", NS, "uidmap", 0, 1, "argv", "true")), /bad number 'argv'/);
  });
  test("oversize token", () => {
    expectRejected(check(wire("clone", 0, "argv", "x".repeat(131072))), /token longer than 131071 bytes/, 5);
    expectOk(check(wire("clone", 0, "argv", "x", "argv", "y".repeat(131071))));
  });
  test("oversize stream", () => {
    const big = Array.from({ length: 33 }, () => ["env", `A=${"x".repeat(131000)}`]).flat();
    expectRejected(check(wire("clone", 0, ...big, "argv", "true")), /stream larger than 4194304 bytes/, 0);
  });
  test("too many records", () => {
    const argv = Array.from({ length: 4096 }, () => ["argv", "a"]).flat();
    expectOk(check(wire("clone", 0, ...argv.slice(2))));
    expectRejected(check(wire("clone", 0, ...argv)), /too many records \(max 4096\)/);
  });
  test("garbage bytes", () => {
    expectRejected(check(new Uint8Array([0xff, 0xfe, 0, 0, 0])), /bad magic/);
    expectRejected(check(new Uint8Array([0, 0, 0])), /bad magic ''/);
    expectRejected(check(enc.encode("\x1b[31mnsbox\0")), /bad magic '\?\[31mnsbox'/);
  });
});

describe("numbers", () => {
  test("non-numeric", () => expectRejected(check(wire("clone", 0, "uid", "1x", "argv", "true")), /bad number '1x'/, 5));
  test("empty", () => expectRejected(check(wire("clone", "", "argv", "true")), /bad number ''/, 3));
  test("negative", () => expectRejected(check(wire("clone", 0, "uid", "-1", "argv", "true")), /bad number '-1'/));
  test("a plus sign or spaces", () => {
    expectRejected(check(wire("clone", 0, "uid", "+1", "argv", "true")), /bad number/);
    expectRejected(check(wire("clone", 0, "uid", " 1", "argv", "true")), /bad number/);
  });
  test("leading zero", () => {
    expectRejected(check(wire("clone", 0, "uid", "01", "argv", "true")), /bad number '01'/);
    expectRejected(check(wire("clone", "00", "argv", "true")), /bad number '00'/);
  });
  test("overflowing u32 and u64", () => {
    expectRejected(check(wire("clone", 0, "uid", "4294967296", "argv", "true")), /out of range \(max 4294967295\)/);
    expectRejected(check(wire("clone", 0, "caps", "18446744073709551616", "argv", "true")), /out of range/);
    expectRejected(check(wire("clone", 0, "caps", "99999999999999999999999", "argv", "true")), /out of range/);
    expectOk(check(wire("clone", 0, "caps", "18446744073709551615", "argv", "true")));
  });
  test("uid 4294967295 is reserved", () => expectRejected(check(wire("clone", 0, "uid", "4294967295", "argv", "true")), /reserved/));
  test("keep-fd bounds", () => {
    expectRejected(check(wire("clone", 0, "keep-fd", 2, "argv", "true")), /keep-fd must be 3 to 65535/, 5);
    expectRejected(check(wire("clone", 0, "keep-fd", 65536, "argv", "true")), /out of range/);
    expectRejected(check(wire("clone", 0, "keep-fd", 4, "keep-fd", 4, "argv", "true")), /duplicate keep-fd 4/);
  });
  test("modes", () => {
    expectRejected(check(wire("clone", NS, "tmpfs", "/tmp", "1778", 0, "argv", "true")), /bad mode '1778'/);
    expectRejected(check(wire("clone", NS, "tmpfs", "/tmp", "01777", 0, "argv", "true")), /bad mode/);
    expectRejected(check(wire("clone", NS, "dir", "/x", "", "argv", "true")), /bad mode/);
    expectOk(check(wire("clone", NS, "tmpfs", "/tmp", "0755", 0, "dir", "/x", "7", "argv", "true")));
  });
  test("booleans", () => {
    expectRejected(check(wire("clone", 0, "new-session", "2", "argv", "true")), /expected 0 or 1, got '2'/);
    expectRejected(check(wire("clone", 0, "no-new-privs", "true", "argv", "true")), /expected 0 or 1/);
  });
});

describe("paths", () => {
  const bindTo = (dst: string) => wire("clone", NS, "bind", "/usr", dst, 0, "argv", "true");
  test("relative", () => expectRejected(check(bindTo("usr")), /path 'usr' is not absolute/, 6));
  test("empty", () => expectRejected(check(bindTo("")), /not absolute/));
  test("'..' component", () => expectRejected(check(bindTo("/usr/../etc")), /'\.' or '\.\.' component/, 6));
  test("'.' component", () => expectRejected(check(bindTo("/usr/./lib")), /'\.' or '\.\.' component/));
  test("a trailing '..'", () => expectRejected(check(bindTo("/..")), /'\.\.' component/));
  test("trailing slash", () => expectRejected(check(bindTo("/usr/")), /trailing '\/'/, 6));
  test("empty component", () => expectRejected(check(bindTo("/usr//lib")), /empty component/));
  test("too long", () => expectRejected(check(bindTo(`/${"a".repeat(4095)}`)), /path longer than 4095 bytes/));
  test("names that only look like dots are fine", () => expectOk(check(bindTo("/usr/...x/.a/..b"))));
  test("the root itself", () => expectOk(check(bindTo("/"))));
  test("sources, cwd, join and cgroup paths are checked too", () => {
    expectRejected(check(wire("clone", NS, "bind", "./usr", "/usr", 0, "argv", "true")), /not absolute/, 5);
    expectRejected(check(wire("clone", 0, "cwd", "/tmp/", "argv", "true")), /trailing/);
    expectRejected(check(wire("clone", 0, "join", "net", "run/netns/x", "argv", "true")), /not absolute/);
    expectRejected(check(wire("clone", 0, "cgroup", "/sys/fs/cgroup/../x", "argv", "true")), /'\.\.' component/);
  });
  test("symlink targets may be relative but not empty", () => {
    expectOk(check(wire("clone", NS, "symlink", "../lib", "/lib64", "argv", "true")));
    expectRejected(check(wire("clone", NS, "symlink", "", "/lib64", "argv", "true")), /symlink target must be 1 to 4095 bytes/);
  });
});

describe("records", () => {
  test("duplicate once-only ops", () => {
    for (const [op, arg] of [["hostname", "a"], ["uid", 0], ["cwd", "/"], ["init", 0], ["caps", 0], ["seccomp", "0600000000000000"], ["cgroup", "/x"]] as const) {
      const clone = op === "hostname" ? UTS : 0;
      expectRejected(check(wire("clone", clone, op, arg, op, arg, "argv", "true")), new RegExp(`duplicate '${op}' \\(allowed once\\)`));
    }
    expectRejected(check(wire("clone", 0, "clone", 0, "argv", "true")), /duplicate 'clone'/, 4);
    expectRejected(check(wire("clone", NET, "lo-up", "lo-up", "argv", "true")), /duplicate 'lo-up'/, 5);
  });
  test("bad clone bits", () => {
    expectRejected(check(wire("clone", 1, "argv", "true")), /clone has bits other than namespace flags: 0x1/, 3);
    expectRejected(check(wire("clone", 0x00010000, "argv", "true")), /0x10000/); // CLONE_THREAD
    expectRejected(check(wire("clone", 0x200000000n, "argv", "true")), /0x200000000/); // CLONE_INTO_CGROUP
  });
  test("bind flags", () => {
    expectOk(check(wire("clone", NS, "bind", "/a", "/b", 16, "argv", "true")));
    expectRejected(check(wire("clone", NS, "bind", "/a", "/b", 32, "argv", "true")), /unknown bits/);
  });
  test("idmapped binds: flag 8 with uid and gid lines at its DST, in a new user namespace", () => {
    const lines = ["bind-idmap", "/b", "uid", 1000, 1879048192, 1, "bind-idmap", "/b", "gid", 1000, 1879048192, 1] as const;
    expectOk(check(wire("clone", USER | NS, ...idmaps, "bind", "/a", "/b", 8, ...lines, "argv", "true")));
    expectRejected(check(wire("clone", NS, "bind", "/a", "/b", 8, "argv", "true")), /idmapped bind requires CLONE_NEWUSER/);
    expectRejected(check(wire("clone", USER | NS, ...idmaps, "bind", "/a", "/b", 8, ...lines.slice(0, 6), "argv", "true")), /needs bind-idmap uid and gid lines/);
    expectRejected(check(wire("clone", USER | NS, ...idmaps, "bind", "/a", "/b", 0, ...lines, "argv", "true")), /names no bind with flag 8/);
    expectRejected(check(wire("clone", USER | NS, ...idmaps, "bind", "/a", "/b", 8, ...lines, "bind-idmap", "/b", "uid", 1000, 7, 1, "argv", "true")), /overlap/);
    expectRejected(check(wire("clone", USER | NS, ...idmaps, "bind", "/a", "/b", 8, "bind-idmap", "/b", "owner", 1, 2, 3, "argv", "true")), /bind-idmap kind/);
  });
  test("hostname", () => {
    expectRejected(check(wire("clone", 0, "hostname", "box", "argv", "true")), /hostname requires CLONE_NEWUTS/, 4);
    expectRejected(check(wire("clone", UTS, "hostname", "", "argv", "true")), /hostname must be 1 to 64 bytes/);
    expectRejected(check(wire("clone", UTS, "hostname", "h".repeat(65), "argv", "true")), /1 to 64 bytes/);
    expectOk(check(wire("clone", UTS, "hostname", "h".repeat(64), "argv", "true")));
  });
  test("lo-up without NEWNET", () => expectRejected(check(wire("clone", 0, "lo-up", "argv", "true")), /lo-up requires CLONE_NEWNET/));
  test("init 1 without NEWPID; the default follows NEWPID", () => {
    expectRejected(check(wire("clone", 0, "init", 1, "argv", "true")), /init 1 requires CLONE_NEWPID/);
    expectOk(check(wire("clone", PID, "argv", "true")));
    expectOk(check(wire("clone", PID, "init", 0, "argv", "true")));
  });
  test("join and clone of the same kind", () => {
    expectRejected(check(wire("clone", NET, "join", "net", "/run/netns/x", "argv", "true")), /join 'net' while clone also creates it/, 4);
    expectOk(check(wire("clone", NS, "join", "net", "/run/netns/x", "join", "user", "/proc/1/ns/user", "argv", "true")));
    expectRejected(check(wire("clone", 0, "join", "net", "/a", "join", "net", "/b", "argv", "true")), /duplicate join of kind 'net'/);
    expectRejected(check(wire("clone", 0, "join", "nett", "/a", "argv", "true")), /unknown namespace kind 'nett'/);
  });
  test("mount steps and propagation need NEWNS", () => {
    expectRejected(check(wire("clone", 0, "tmpfs", "/tmp", "1777", 0, "argv", "true")), /mount steps require CLONE_NEWNS/, 4);
    expectRejected(check(wire("clone", 0, "propagation", "slave", "argv", "true")), /propagation requires CLONE_NEWNS/);
    expectRejected(check(wire("clone", NS, "propagation", "rshared", "argv", "true")), /unknown propagation 'rshared'/);
  });
  test("required records", () => {
    expectRejected(check(wire("argv", "true")), /missing 'clone'/, 4);
    expectRejected(check(wire("clone", 0)), /missing 'argv'/, 4);
    expectRejected(check(wire("clone", 0, "argv", "")), /argv\[0\] must be 1 to 4095 bytes/);
  });
  test("env", () => {
    expectRejected(check(wire("clone", 0, "env", "FOO", "argv", "true")), /env 'FOO' is not KEY=VALUE/, 5);
    expectRejected(check(wire("clone", 0, "env", "=bar", "argv", "true")), /not KEY=VALUE/);
    expectOk(check(wire("clone", 0, "env", "FOO==", "argv", "true")));
    expectRejected(check(wire("clone", 0, "env-pid", "A=B", "argv", "true")), /env-pid KEY/);
    // 4096 env records cannot coexist with the required clone and argv: the record limit wins.
    expectRejected(check(wire("clone", 0, ...Array.from({ length: 4095 }, () => ["env", "A=1"]).flat(), "argv", "true")), /too many records/);
    expectOk(check(wire("clone", 0, ...Array.from({ length: 4094 }, () => ["env", "A=1"]).flat(), "argv", "true")));
  });
  test("seccomp hex", () => {
    expectRejected(check(wire("clone", 0, "seccomp", "060000000000000", "argv", "true")), /seccomp must be 1 to 4096 BPF instructions/); // odd length
    expectRejected(check(wire("clone", 0, "seccomp", "06000000000000", "argv", "true")), /BPF instructions/); // not a whole instruction
    expectRejected(check(wire("clone", 0, "seccomp", "", "argv", "true")), /BPF instructions/);
    expectRejected(check(wire("clone", 0, "seccomp", "060000000000FF7F", "argv", "true")), /seccomp is not lowercase hex/); // uppercase
    expectRejected(check(wire("clone", 0, "seccomp", "0600000000000g00", "argv", "true")), /not lowercase hex/);
    expectRejected(check(wire("clone", 0, "seccomp", "06".repeat(8 * 4097), "argv", "true")), /BPF instructions/);
    expectOk(check(wire("clone", 0, "seccomp", "0600000000000000".repeat(4096), "argv", "true")));
    expectRejected(check(wire("clone", 0, "no-new-privs", 0, "seccomp", "0600000000000000", "argv", "true")), /seccomp requires no-new-privs 1/);
    expectOk(check(wire("clone", 0, "no-new-privs", 0, "caps", 1 << 21, "seccomp", "0600000000000000", "argv", "true")));
  });
  test("rlimits", () => {
    expectRejected(check(wire("clone", 0, "rlimit", "nofile", 1, 1, "argv", "true")), /unknown rlimit resource 'nofile'/);
    expectRejected(check(wire("clone", 0, "rlimit", "NOFILE", 2, 1, "argv", "true")), /soft limit above hard limit/);
    expectRejected(check(wire("clone", 0, "rlimit", "NOFILE", "inf", 1, "argv", "true")), /soft limit above hard limit/);
    expectRejected(check(wire("clone", 0, "rlimit", "CORE", 0, 0, "rlimit", "CORE", 0, 0, "argv", "true")), /duplicate rlimit CORE/);
    expectRejected(check(wire("clone", 0, "rlimit", "CORE", "INF", "inf", "argv", "true")), /bad number 'INF'/);
  });
});

describe("user namespace records", () => {
  test("maps need NEWUSER and NEWUSER needs maps", () => {
    expectRejected(check(wire("clone", 0, "uidmap", 0, 0, 1, "argv", "true")), /require CLONE_NEWUSER/, 4);
    expectRejected(check(wire("clone", 0, "setgroups", "deny", "argv", "true")), /require CLONE_NEWUSER/);
    expectRejected(check(wire("clone", USER, "uidmap", 0, 0, 1, "argv", "true")), /CLONE_NEWUSER requires uidmap and gidmap/);
    expectOk(check(wire("clone", USER, "uidmap", 0, 65534, 1, "gidmap", 0, 65534, 1, "setgroups", "deny", "argv", "true")));
  });
  test("map ranges", () => {
    const map = (...line: (number | string)[]) => wire("clone", USER, "uidmap", ...line, "gidmap", 0, 0, 1, "argv", "true");
    expectRejected(check(map(0, 0, 0)), /map count must be at least 1/);
    expectRejected(check(map(4294967295, 0, 1)), /overflows/);
    expectRejected(check(map(0, 4294967000, 1000)), /overflows/);
    expectOk(check(map(0, 4294967294, 1)));
    expectRejected(check(wire("clone", USER, "uidmap", 0, 0, 10, "uidmap", 5, 100, 10, "gidmap", 0, 0, 1, "argv", "true")), /uidmap ranges overlap inside/);
    expectRejected(check(wire("clone", USER, "uidmap", 0, 0, 10, "uidmap", 10, 5, 10, "gidmap", 0, 0, 1, "argv", "true")), /uidmap ranges overlap outside/);
  });
  test("at most 340 lines, and under one page written out", () => {
    const lines = (n: number, wide: boolean) => Array.from({ length: n }, (_, i) => ["gidmap", wide ? 1000000000 + i : i, wide ? 3000000000 + i : 1000 + i, 1]).flat();
    expectOk(check(wire("clone", USER, "uidmap", 0, 0, 1, ...lines(340, false), "argv", "true")));
    expectRejected(check(wire("clone", USER, "uidmap", 0, 0, 1, ...lines(341, false), "argv", "true")), /too many 'gidmap' records \(max 340\)/);
    expectRejected(check(wire("clone", USER, "uidmap", 0, 0, 1, "gidmap", 0, 0, 1, ...lines(200, true), "argv", "true")), /the kernel takes under 4096/);
  });
  test("the payload's ids must be mapped", () => {
    expectRejected(check(wire("clone", USER, "uidmap", 0, 1000, 1, "gidmap", 0, 1000, 1, "uid", 1, "argv", "true")), /uid 1 is not mapped/);
    expectRejected(check(wire("clone", USER, "uidmap", 5, 1000, 1, "gidmap", 0, 1000, 1, "argv", "true")), /uid 0 is not mapped/);
    expectOk(check(wire("clone", USER, "uidmap", 5, 1000, 1, "gidmap", 7, 1000, 1, "uid", 5, "gid", 7, "argv", "true")));
  });
});

describe("command line", () => {
  const run = (args: string[]) => Bun.spawnSync([STAGE, ...args], { stdout: "pipe", stderr: "pipe" });
  test("usage errors exit 2", () => {
    for (const args of [[], ["--check"], ["--spec-fd"], ["--spec-fd", "x"], ["--spec-fd", "1"], ["--spec-fd", "3", "--frob"]]) {
      const r = run(args);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.toString()).toContain("usage: nsbox-stage --spec-fd N [--check]");
    }
  });
  test("a spec fd that is not open", () => {
    const r = run(["--spec-fd", "97", "--check"]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr.toString()).toBe("nsbox: spec-fd: fd 97: Bad file descriptor (EBADF)\n");
  });
});

describe("ns-fd", () => {
  test("bounds, duplicates and the count", () => {
    expectRejected(check(wire("clone", 0, "ns-fd", 2, "argv", "true")), /ns-fd must be 3 to 65535/, 5);
    expectRejected(check(wire("clone", 0, "ns-fd", 65536, "argv", "true")), /out of range \(max 65535\)/, 5);
    expectRejected(check(wire("clone", 0, "ns-fd", "07", "argv", "true")), /bad number '07'/);
    expectRejected(check(wire("clone", 0, "ns-fd", -3, "argv", "true")), /bad number/);
    expectRejected(check(wire("clone", 0, "ns-fd", 9, "ns-fd", 9, "argv", "true")), /duplicate ns-fd 9/, 7);
    const fds = (n: number) => Array.from({ length: n }, (_, i) => ["ns-fd", 10 + i]).flat();
    expectOk(check(wire("clone", 0, ...fds(8), "argv", "true")));
    expectRejected(check(wire("clone", 0, ...fds(9), "argv", "true")), /too many 'ns-fd' records \(max 8\)/, 20);
  });
  test("an fd cannot be both an ns-fd (closed after the joins) and a keep-fd, in either order", () => {
    expectRejected(check(wire("clone", 0, "ns-fd", 5, "keep-fd", 5, "argv", "true")), /fd 5 is both an ns-fd and a keep-fd/, 4);
    expectRejected(check(wire("clone", 0, "keep-fd", 5, "ns-fd", 4, "ns-fd", 5, "argv", "true")), /fd 5 is both an ns-fd and a keep-fd/);
    expectOk(check(wire("clone", 0, "keep-fd", 5, "ns-fd", 6, "join", "net", "/proc/self/fd/6", "argv", "true")));
  });
  test("a join through /proc/self/fd/N needs ns-fd N", () => {
    expectRejected(check(wire("clone", 0, "join", "net", "/proc/self/fd/7", "argv", "true")), /join net \/proc\/self\/fd\/7: an fd joined through must be declared with ns-fd/, 4);
    expectRejected(check(wire("clone", 0, "ns-fd", 7, "join", "uts", "/proc/self/fd/8", "argv", "true")), /join uts/, 6);
    expectRejected(check(wire("clone", 0, "ns-fd", 7, "join", "net", "/proc/self/fd/7x", "argv", "true")), /declared with ns-fd/);
    expectRejected(check(wire("clone", 0, "ns-fd", 7, "join", "net", "/proc/self/fd/07", "argv", "true")), /declared with ns-fd/);
    expectRejected(check(wire("clone", 0, "ns-fd", 7, "join", "net", "/proc/self/fd/99999999999", "argv", "true")), /declared with ns-fd/);
    expectOk(check(wire("clone", 0, "join", "user", "/proc/self/fd/7", "ns-fd", 7, "join", "net", "/proc/1/ns/net", "argv", "true")));
  });
});

describe("pass-fd", () => {
  test("bounds, canonical numbers, duplicates and the count", () => {
    expectRejected(check(wire("clone", 0, "pass-fd", 2, "argv", "true")), /pass-fd must be 3 to 65535/, 5);
    expectRejected(check(wire("clone", 0, "pass-fd", 0, "argv", "true")), /pass-fd must be 3 to 65535/, 5);
    expectRejected(check(wire("clone", 0, "pass-fd", 65536, "argv", "true")), /out of range \(max 65535\)/, 5);
    expectRejected(check(wire("clone", 0, "pass-fd", "4294967299", "argv", "true")), /out of range/, 5);
    expectRejected(check(wire("clone", 0, "pass-fd", "03", "argv", "true")), /bad number '03'/);
    expectRejected(check(wire("clone", 0, "pass-fd", "+3", "argv", "true")), /bad number/);
    expectRejected(check(wire("clone", 0, "pass-fd", " 3", "argv", "true")), /bad number/);
    expectRejected(check(wire("clone", 0, "pass-fd", "", "argv", "true")), /bad number/);
    expectRejected(check(wire("clone", 0, "pass-fd", 9, "pass-fd", 8, "pass-fd", 9, "argv", "true")), /duplicate pass-fd 9/, 9);
    expectRejected(check(rawTokens("nsbox-wire", "1", "clone", "0", "pass-fd")), /truncated: 'pass-fd' needs 1 argument/);
    const fds = (n: number) => Array.from({ length: n }, (_, i) => ["pass-fd", 100 + i]).flat();
    expectOk(check(wire("clone", 0, ...fds(64), "argv", "true")));
    expectRejected(check(wire("clone", 0, ...fds(65), "argv", "true")), /too many 'pass-fd' records \(max 64\)/, 132);
  });
  test("any order, overlapping the targets, is fine", () => {
    expectOk(check(wire("clone", 0, "pass-fd", 4, "pass-fd", 3, "argv", "true")));
    expectOk(check(wire("clone", 0, "pass-fd", 3, "pass-fd", 4, "pass-fd", 5, "argv", "true")));
    expectOk(check(wire("clone", 0, "pass-fd", 65535, "pass-fd", 3, "env-pid", "LISTEN_PID", "argv", "true")));
  });
  test("an fd cannot be both a pass-fd and a keep-fd or an ns-fd, in either order", () => {
    expectRejected(check(wire("clone", 0, "pass-fd", 9, "keep-fd", 9, "argv", "true")), /fd 9 is both a pass-fd and a keep-fd/, 4);
    expectRejected(check(wire("clone", 0, "keep-fd", 9, "pass-fd", 8, "pass-fd", 9, "argv", "true")), /fd 9 is both a pass-fd and a keep-fd/, 6);
    expectRejected(check(wire("clone", 0, "ns-fd", 9, "pass-fd", 9, "argv", "true")), /fd 9 is both a pass-fd and an ns-fd/, 6);
    expectRejected(check(wire("clone", 0, "pass-fd", 9, "ns-fd", 9, "join", "net", "/proc/self/fd/9", "argv", "true")), /fd 9 is both a pass-fd and an ns-fd/, 4);
  });
  test("a keep-fd where a passed fd lands is refused; above them it is fine", () => {
    expectRejected(check(wire("clone", 0, "pass-fd", 10, "pass-fd", 11, "keep-fd", 4, "argv", "true")), /keep-fd 4 is where a pass-fd goes \(fds 3 to 4\)/, 8);
    expectRejected(check(wire("clone", 0, "keep-fd", 3, "pass-fd", 10, "argv", "true")), /keep-fd 3 is where a pass-fd goes \(fds 3 to 3\)/, 4);
    expectOk(check(wire("clone", 0, "pass-fd", 10, "pass-fd", 11, "keep-fd", 5, "argv", "true")));
  });
});

describe("publish", () => {
  const net = ["clone", NET] as const;
  test("fd and port bounds, duplicates and the count", () => {
    expectOk(check(wire(...net, "publish", 9, 8080, "publish", 10, 1, "publish", 11, 65535, "argv", "true")));
    expectRejected(check(wire(...net, "publish", 2, 80, "argv", "true")), /publish must be 3 to 65535/, 5);
    expectRejected(check(wire(...net, "publish", 9, 0, "argv", "true")), /publish port must be 1 to 65535/, 6);
    expectRejected(check(wire(...net, "publish", 9, 65536, "argv", "true")), /out of range \(max 65535\)/, 6);
    expectRejected(check(wire(...net, "publish", 9, "080", "argv", "true")), /bad number '080'/, 6);
    expectRejected(check(wire(...net, "publish", 9, 80, "publish", 9, 81, "argv", "true")), /duplicate publish fd 9/, 8);
    expectRejected(check(rawTokens("nsbox-wire", "1", ...net.map(String), "publish", "9")), /truncated: 'publish' needs 2 arguments/);
    const fds = (n: number) => Array.from({ length: n }, (_, i) => ["publish", 100 + i, 80]).flat();
    expectOk(check(wire(...net, ...fds(16), "argv", "true")));
    expectRejected(check(wire(...net, ...fds(17), "argv", "true")), /too many 'publish' records \(max 16\)/, 52);
  });
  test("needs a network namespace of the sandbox's own, and a payload", () => {
    expectRejected(check(wire("clone", 0, "publish", 9, 80, "argv", "true")), /publish requires a network namespace of the sandbox's own/, 4);
    expectOk(check(wire("clone", 0, "join", "net", "/proc/1/ns/net", "publish", 9, 80, "argv", "true")));
    expectRejected(check(wire("clone", NET, "publish", 9, 80, "persist", "/run/x")), /publish needs a payload/, 4);
  });
  test("a publish fd is the supervisor's alone: never also a keep-fd, pass-fd or ns-fd", () => {
    expectRejected(check(wire(...net, "publish", 9, 80, "keep-fd", 9, "argv", "true")), /fd 9 is both a publish fd and a keep-fd/, 4);
    expectRejected(check(wire(...net, "pass-fd", 9, "publish", 9, 80, "argv", "true")), /fd 9 is both a publish fd and a pass-fd/, 6);
    expectRejected(check(wire("clone", 0, "ns-fd", 9, "join", "net", "/proc/self/fd/9", "publish", 9, 80, "argv", "true")), /fd 9 is both a publish fd and an ns-fd/, 9);
  });
});

describe("log", () => {
  test("fd, name and max bounds; once", () => {
    expectOk(check(wire("clone", 0, "log", 9, "web.log", 4096, "argv", "true")));
    expectRejected(check(wire("clone", 0, "log", 2, "web.log", 4096, "argv", "true")), /log must be 3 to 65535/, 5);
    expectRejected(check(wire("clone", 0, "log", 9, "a/b", 4096, "argv", "true")), /bad log name 'a\/b'/, 6);
    expectRejected(check(wire("clone", 0, "log", 9, "..", 4096, "argv", "true")), /log name must be a file name, not '\.\.'/, 6);
    expectRejected(check(wire("clone", 0, "log", 9, "x".repeat(201), 4096, "argv", "true")), /log name must be 1 to 200 bytes/, 6);
    expectRejected(check(wire("clone", 0, "log", 9, "web.log", 4095, "argv", "true")), /log max must be at least 4096 bytes/, 7);
    expectRejected(check(wire("clone", 0, "log", 9, "a", 4096, "log", 10, "b", 4096, "argv", "true")), /duplicate 'log' \(allowed once\)/, 8);
  });
  test("the log's directory fd is the supervisor's alone, and the log needs a payload", () => {
    expectRejected(check(wire("clone", 0, "log", 9, "a", 4096, "keep-fd", 9, "argv", "true")), /fd 9 is both the log's directory and a keep-fd/, 4);
    expectRejected(check(wire("clone", 0, "pass-fd", 9, "log", 9, "a", 4096, "argv", "true")), /fd 9 is both the log's directory and a pass-fd/, 6);
    expectRejected(check(wire("clone", NET, "publish", 9, 80, "log", 9, "a", 4096, "argv", "true")), /fd 9 is both the log's directory and a publish fd/, 7);
    expectRejected(check(wire("clone", NET, "log", 9, "a", 4096, "persist", "/run/x")), /log needs a payload/, 4);
  });
});

describe("on-exit-unlink, on-exit-rmdir, cgroup-join", () => {
  for (const op of ["on-exit-unlink", "on-exit-rmdir", "cgroup-join"]) {
    test(`${op}: paths are checked, at most 16, no duplicates`, () => {
      expectRejected(check(wire("clone", 0, op, "run/x", "argv", "true")), /path 'run\/x' is not absolute/, 5);
      expectRejected(check(wire("clone", 0, op, "/run/../x", "argv", "true")), /'\.' or '\.\.' component/);
      expectRejected(check(wire("clone", 0, op, "/run/x/", "argv", "true")), /trailing/);
      expectRejected(check(wire("clone", 0, op, "", "argv", "true")), /not absolute/);
      expectRejected(check(wire("clone", 0, op, "/a", op, "/a", "argv", "true")), new RegExp(`duplicate ${op} '/a'`), 7);
      const many = (n: number) => Array.from({ length: n }, (_, i) => [op, `/x/${i}`]).flat();
      expectOk(check(wire("clone", 0, ...many(16), "argv", "true")));
      expectRejected(check(wire("clone", 0, ...many(17), "argv", "true")), new RegExp(`too many '${op}' records \\(max 16\\)`));
    });
  }
  test("a missing argument swallows the next op", () => {
    expectRejected(check(rawTokens("nsbox-wire", "1", "clone", "0", "argv", "true", "on-exit-unlink")), /truncated: 'on-exit-unlink' needs 1 argument/);
  });
});

describe("watch", () => {
  const w = (file: string, key: string, msg: string) => wire("clone", 0, "watch", file, key, msg, "argv", "true");
  test("valid keys and messages", () => {
    expectOk(check(w("/sys/fs/cgroup/x/memory.events", "oom_group_kill", "m")));
    expectOk(check(w("/x", "k".repeat(64), "m".repeat(200))));
    expectOk(check(w("/x", "Max.imposed-2", " ~!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}")));
  });
  test("the file must be a WIRE path", () => {
    expectRejected(check(w("memory.events", "max", "m")), /not absolute/, 5);
    expectRejected(check(w("/x/../memory.events", "max", "m")), /'\.\.' component/, 5);
  });
  test("keys: 1-64 letters, digits, '_', '.', '-'", () => {
    expectRejected(check(w("/x", "", "m")), /watch key must be 1 to 64 bytes/, 6);
    expectRejected(check(w("/x", "k".repeat(65), "m")), /watch key must be 1 to 64 bytes/, 6);
    for (const key of ["oom kill", "max\n", "a=b", "a/b", "\u00e9", "max\t"]) expectRejected(check(w("/x", key, "m")), /bad watch key/, 6);
  });
  test("messages: 1-200 printable ASCII bytes, one line", () => {
    expectRejected(check(w("/x", "max", "")), /watch message must be 1 to 200 bytes/, 7);
    expectRejected(check(w("/x", "max", "m".repeat(201))), /watch message must be 1 to 200 bytes/, 7);
    expectRejected(check(w("/x", "max", "two\nlines")), /watch message has a byte that is not printable ASCII \(at 3\)/, 7);
    expectRejected(check(w("/x", "max", "\u001b[31mred")), /not printable ASCII \(at 0\)/);
    expectRejected(check(w("/x", "max", "del\u007f")), /not printable ASCII/);
    expectRejected(check(w("/x", "max", "caf\u00e9")), /not printable ASCII/);
    expectRejected(check(w("/x", "max", "tab\there")), /not printable ASCII/);
  });
  test("at most 8; three arguments each", () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ["watch", `/x/${i}`, "max", "m"]).flat();
    expectOk(check(wire("clone", 0, ...many(8), "argv", "true")));
    expectRejected(check(wire("clone", 0, ...many(9), "argv", "true")), /too many 'watch' records \(max 8\)/);
    expectRejected(check(rawTokens("nsbox-wire", "1", "clone", "0", "argv", "true", "watch", "/x", "max")), /truncated: 'watch' needs 3 arguments/);
  });
});

describe("sysctl", () => {
  const sc = (name: string, value = "0") => wire("clone", 0, "sysctl", name, value, "argv", "true");
  test("valid names", () => {
    for (const name of ["user/max_user_namespaces", "kernel/shmmax", "net/ipv4/conf/eth0.100/rp_filter", "net/ipv6/conf/veth-a_1/disable_ipv6", "vm", "a1_/b"]) {
      expectOk(check(sc(name)));
    }
  });
  test("names: [a-z0-9_]+ then /[a-z0-9_.-]+, no '.' or '..'", () => {
    for (const name of ["/user/max_user_namespaces", "user/", "user//x", "User/x", "user/X", "-x/y", ".x", "x.y", "a b", "user/max user", "sys\u0001", "net/ipv4/\u00e9"]) {
      expectRejected(check(sc(name)), /bad sysctl name|empty or '\.' component|contains '\.\.'/, 5);
    }
    expectRejected(check(sc("../x")), /contains '\.\.'/, 5);
    expectRejected(check(sc("user/../../etc/passwd")), /contains '\.\.'/, 5);
    expectRejected(check(sc("net/..")), /contains '\.\.'/, 5);
    expectRejected(check(sc("net/a..b")), /contains '\.\.'/, 5);
    expectRejected(check(sc("net/./ipv4")), /empty or '\.' component/, 5);
    expectRejected(check(sc("net/ipv4/.")), /empty or '\.' component/, 5);
    expectRejected(check(sc("")), /sysctl name must be 1 to 255 bytes/, 5);
    expectRejected(check(sc(`net/${"a".repeat(252)}`)), /sysctl name must be 1 to 255 bytes/, 5);
    expectOk(check(sc(`net/${"a".repeat(251)}`)));
  });
  test("values: 1-64 printable ASCII bytes", () => {
    expectOk(check(sc("net/ipv4/ip_local_port_range", "32768 60999")));
    expectOk(check(sc("kernel/x", "v".repeat(64))));
    expectRejected(check(sc("kernel/x", "")), /sysctl value must be 1 to 64 bytes/, 6);
    expectRejected(check(sc("kernel/x", "v".repeat(65))), /sysctl value must be 1 to 64 bytes/, 6);
    expectRejected(check(sc("kernel/x", "1\n2")), /sysctl value has a byte that is not printable ASCII/, 6);
    expectRejected(check(sc("kernel/x", "32768\t60999")), /not printable ASCII/, 6);
  });
  test("no duplicate name; at most 16", () => {
    expectRejected(check(wire("clone", 0, "sysctl", "kernel/a", "1", "sysctl", "kernel/a", "2", "argv", "true")), /duplicate sysctl 'kernel\/a'/, 8);
    const many = (n: number) => Array.from({ length: n }, (_, i) => ["sysctl", `kernel/k${i}`, "1"]).flat();
    expectOk(check(wire("clone", 0, ...many(16), "argv", "true")));
    expectRejected(check(wire("clone", 0, ...many(17), "argv", "true")), /too many 'sysctl' records \(max 16\)/);
  });
});

describe("mask and remount-ro", () => {
  test("are mount steps: they need NEWNS and WIRE paths", () => {
    for (const op of ["mask", "remount-ro"]) {
      expectRejected(check(wire("clone", 0, op, "/proc/kcore", "argv", "true")), /mount steps require CLONE_NEWNS/, 4);
      expectRejected(check(wire("clone", NS, op, "proc/kcore", "argv", "true")), /not absolute/, 5);
      expectRejected(check(wire("clone", NS, op, "/proc/../etc", "argv", "true")), /'\.' or '\.\.' component/, 5);
      expectRejected(check(wire("clone", NS, op, "/proc/sys/", "argv", "true")), /trailing/, 5);
      expectOk(check(wire("clone", NS, op, "/proc/sys", op, "/proc/sys", "argv", "true")));
    }
  });
  test("mask / would hide everything; remount-ro / is fine", () => {
    expectRejected(check(wire("clone", NS, "mask", "/", "argv", "true")), /mask \/ would hide the whole root/, 5);
    expectOk(check(wire("clone", NS, "remount-ro", "/", "argv", "true")));
  });
});

describe("persist", () => {
  const P = ["persist", "/run/nsbox/ns/x"] as const;
  test("argv must be absent in persist mode and present otherwise", () => {
    expectRejected(check(wire("clone", NET, ...P, "argv", "true")), /persist runs no payload: argv must be absent/, 6);
    expectRejected(check(wire("clone", NET)), /missing 'argv'/);
    expectOk(check(wire("clone", NET, ...P)));
  });
  test("no PID namespace, no init, something to keep", () => {
    expectRejected(check(wire("clone", NET | PID, ...P)), /persist refuses CLONE_NEWPID/, 2);
    expectRejected(check(wire("clone", NET | PID, "init", 0, ...P)), /persist refuses CLONE_NEWPID/);
    expectRejected(check(wire("clone", NET, "init", 1, ...P)), /init 1 requires CLONE_NEWPID/);
    expectOk(check(wire("clone", NET, "init", 0, ...P)));
    expectRejected(check(wire("clone", 0, ...P)), /persist requires clone to create a namespace/, 4);
    expectRejected(check(wire("clone", 0, "join", "net", "/run/netns/a", ...P)), /persist requires clone to create a namespace/);
  });
  test("not with a joined mount namespace; other joins are fine", () => {
    expectRejected(check(wire("clone", NET, "join", "mnt", "/proc/1/ns/mnt", ...P)), /persist cannot be combined with join mnt/, 4);
    expectOk(check(wire("clone", NET, "join", "user", "/proc/1/ns/user", ...P)));
  });
  test("persist DIR is a WIRE path, once", () => {
    expectRejected(check(wire("clone", NET, "persist", "run/x")), /not absolute/, 5);
    expectRejected(check(wire("clone", NET, ...P, ...P)), /duplicate 'persist' \(allowed once\)/, 6);
  });
  test("persist-link: needs persist, a kind clone creates, a WIRE path, no duplicate path, at most 8", () => {
    expectRejected(check(wire("clone", NET, "persist-link", "net", "/run/netns/x", "argv", "true")), /persist-link requires persist/, 4);
    expectRejected(check(wire("clone", NET, ...P, "persist-link", "uts", "/run/x")), /persist-link 'uts': clone does not create it/, 6);
    expectRejected(check(wire("clone", NET, ...P, "persist-link", "pid", "/run/x")), /persist-link 'pid': clone does not create it/);
    expectRejected(check(wire("clone", NET, ...P, "persist-link", "network", "/run/x")), /unknown namespace kind 'network'/, 7);
    expectRejected(check(wire("clone", NET, ...P, "persist-link", "net", "run/x")), /not absolute/, 8);
    expectRejected(check(wire("clone", NET, ...P, "persist-link", "net", "/run/x", "persist-link", "net", "/run/x")), /duplicate persist-link '\/run\/x'/, 11);
    expectOk(check(wire("clone", NET, ...P, "persist-link", "net", "/run/x", "persist-link", "net", "/run/y")));
    const many = (n: number) => Array.from({ length: n }, (_, i) => ["persist-link", "net", `/run/netns/${i}`]).flat();
    expectOk(check(wire("clone", NET, ...P, ...many(8))));
    expectRejected(check(wire("clone", NET, ...P, ...many(9))), /too many 'persist-link' records \(max 8\)/);
  });
});
