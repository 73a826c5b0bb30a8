// The seccomp filter in real sandboxes: each denied family fails with the filter's errno where,
// without the filter (--seccomp none), the same call does something else. Probes are raw x86-64
// syscalls made from python3 (ctypes), which the sandbox sees through the os root's read-only /usr.
import { afterAll, expect, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeRoot, host, inSandbox, NSBOX, nsbox, tempDir, type Result } from "./harness.ts";

const isX86_64 = process.arch === "x64";
const EPERM = 1, EACCES = 13, ENOSYS = 38;

/** Python that defines sc(nr, *args) -> "result errno" with every argument passed as 64 bits. */
const PRELUDE = [
  "import ctypes, os, sys",
  "libc = ctypes.CDLL(None, use_errno=True)",
  "libc.syscall.restype = ctypes.c_long",
  "def sc(nr, *a):",
  "    ctypes.set_errno(0)",
  "    r = libc.syscall(ctypes.c_ulong(nr), *[ctypes.c_ulong(x % (1 << 64)) for x in a])",
  "    return f'{r} {ctypes.get_errno() if r == -1 else 0}'",
].join("\n");

/** x86-64 probes: each a call the default policy denies, with arguments the kernel would accept or reject differently. */
const PROBES: Record<string, string> = {
  keyctl: "sc(250, 0, -3, 0)", // KEYCTL_GET_KEYRING_ID of the session keyring
  add_key: "sc(248, 0, 0, 0, 0, -3)",
  bpf: "sc(321, 1000, 0, 0)", // an unknown command: EINVAL from the kernel
  perf_event_open: "sc(298, 0, 0, -1, -1, 0)", // NULL attr: EFAULT from the kernel
  ptrace: "sc(101, 0, 0, 0, 0)", // PTRACE_TRACEME
  userfaultfd: "sc(323, 1)", // UFFD_USER_MODE_ONLY: allowed unprivileged
  unshare_userns: "sc(272, 0x10000000)", // CLONE_NEWUSER
  mount: "sc(165, 1, 1, 1, 0, 0)", // bad pointers: EFAULT from the kernel
  open_by_handle_at: "sc(304, -1, 0, 0)",
  setns: "sc(308, -1, 0)", // EBADF from the kernel
  personality: "sc(135, 0x40000)", // ADDR_NO_RANDOMIZE
  clone3: "sc(435, 0, 0)", // EINVAL from the kernel
  io_uring_setup: "sc(425, 0, 0)",
};

function probe(names: string[], opts: string[] = []): Record<string, [number, number]> {
  const script = `${PRELUDE}\n${names.map((n) => `print(${JSON.stringify(n)}, ${PROBES[n]}, flush=True)`).join("\n")}`;
  const r = nsbox(["run", ...opts, "--", "python3", "-c", script]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => {
    const [name, result, errno] = l.split(" ");
    return [name!, [Number(result), Number(errno)]];
  }));
}

const statusField = (r: Result, field: string) => r.stdout.match(new RegExp(`^${field}:\\s*(\\d+)`, "m"))?.[1];

describeRoot("seccomp", () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("every run is filtered unless --seccomp none", () => {
    const on = inSandbox("cat /proc/self/status");
    expect(on.code).toBe(0);
    expect(statusField(on, "Seccomp")).toBe("2");
    expect(statusField(on, "NoNewPrivs")).toBe("1");
    const off = inSandbox("cat /proc/self/status", ["--seccomp", "none"]);
    expect(statusField(off, "Seccomp")).toBe("0");
  });

  test("ordinary programs still work: a shell, ls, ps, python (with threads), date", () => {
    const r = inSandbox("ls / >/dev/null && ps >/dev/null && python3 -c 'import threading; t = threading.Thread(target=print, args=(1,)); t.start(); t.join()' && date >/dev/null && echo ok");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\nok\n");
    expect(r.code).toBe(0);
  });

  test.skipIf(!isX86_64)("each denied family fails with the filter's errno; without the filter it does not", () => {
    const names = Object.keys(PROBES);
    const on = probe(names);
    const off = probe(names, ["--seccomp", "none"]);
    for (const name of names) {
      const expected = name === "clone3" || name === "io_uring_setup" ? ENOSYS : EPERM;
      expect(on[name], `${name} filtered`).toEqual([-1, expected]);
      expect(off[name], `${name} unfiltered`).not.toEqual([-1, expected]);
    }
  });

  test.skipIf(!isX86_64)("the policy's errno applies to its denials; ENOSYS stays where callers fall back on it", () => {
    const file = join(dir, "eacces.toml");
    writeFileSync(file, 'base = "default"\nerrno = "EACCES"\n');
    const r = probe(["keyctl", "mount", "ptrace", "clone3"], ["--seccomp", file]);
    expect(r).toEqual({ keyctl: [-1, EACCES], mount: [-1, EACCES], ptrace: [-1, EACCES], clone3: [-1, ENOSYS] });
  });

  test.skipIf(!isX86_64)("TIOCSTI and TIOCLINUX are refused on the payload's own terminal, high bits or not", () => {
    // The payload makes a pty of the sandbox's devpts its controlling terminal, where the kernel
    // itself would let TIOCSTI through (dev.tty.legacy_tiocsti=1) or answer EIO (=0), never EPERM.
    const script = [
      PRELUDE,
      "import fcntl, termios",
      "m, s = os.openpty()",
      "fcntl.ioctl(s, termios.TIOCSCTTY, 0)",
      "c = ctypes.c_char(b'x')",
      "for cmd in (0x5412, 0x100005412, 0xffffffff00005412, 0x541c):",
      "    ctypes.set_errno(0)",
      "    r = libc.syscall(ctypes.c_ulong(16), ctypes.c_ulong(s), ctypes.c_ulong(cmd), ctypes.byref(c))",
      "    print(r, ctypes.get_errno() if r == -1 else 0, flush=True)",
    ].join("\n");
    const on = nsbox(["run", "--", "python3", "-c", script]);
    expect(on.stdout).toBe("-1 1\n-1 1\n-1 1\n-1 1\n");
    const off = nsbox(["run", "--seccomp", "none", "--", "python3", "-c", script]);
    expect(off.code).toBe(0);
    expect(off.stdout.trim().split("\n")).toHaveLength(4);
    expect(off.stdout).not.toContain("-1 1\n");
  });

  test.skipIf(!isX86_64 || !Bun.which("script"))("TIOCSTI on the caller's terminal (fd 0 a pty) is refused", () => {
    const py = "import ctypes; l = ctypes.CDLL(None, use_errno=True); c = ctypes.c_char(b'x'); print(l.syscall(16, 0, ctypes.c_ulong(0x5412), ctypes.byref(c)), ctypes.get_errno())";
    const r = host(`script -qec "${NSBOX} run -- python3 -c \\"${py}\\"" /dev/null`);
    expect(r.stdout.trim()).toBe("-1 1");
  });

  test.skipIf(!isX86_64)("other ABIs: an x32 call kills the process (SIGSYS), where the kernel would say ENOSYS or run it", () => {
    const x32 = `${PRELUDE}\nprint(sc(0x40000000 | 39), flush=True)`; // x32 getpid
    const on = nsbox(["run", "--", "python3", "-c", x32]);
    expect(on.code).toBe(128 + 31);
    expect(on.stdout).toBe("");
    const off = nsbox(["run", "--seccomp", "none", "--", "python3", "-c", x32]);
    expect(off.code).toBe(0);
  });

  test.skipIf(!isX86_64)("other ABIs: an i386 call (int 0x80) kills the process where the host can make one", () => {
    const i386 = [
      "import ctypes, mmap",
      "buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)",
      "buf.write(bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xc3]))  # mov eax, 20 (i386 getpid); int 0x80; ret",
      "print(ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(buf)))(), flush=True)",
    ].join("\n");
    const off = nsbox(["run", "--seccomp", "none", "--", "python3", "-c", i386]);
    const on = nsbox(["run", "--", "python3", "-c", i386]);
    // Some hosts (this VM's kernel among them) answer int 0x80 with SIGSEGV before any filter
    // sees it; the i386 branch of the program is covered by test/core/seccomp.test.ts then.
    if (off.code === 0) expect(on.code).toBe(128 + 31);
    else expect(on.code).toBe(off.code);
  });

  test.skipIf(!isX86_64)("--seccomp-allow @keyring lets keyctl through; --allow-userns lets unshare(CLONE_NEWUSER) through", () => {
    expect(probe(["keyctl", "add_key"], ["--seccomp-allow", "@keyring"]).keyctl![0]).toBeGreaterThan(0);
    expect(probe(["unshare_userns", "clone3"], ["--allow-userns"])).toMatchObject({ unshare_userns: [0, 0], clone3: [-1, 22] });
  });

  test("--seccomp-deny mkdir makes mkdir fail with EPERM", () => {
    const r = inSandbox("mkdir /tmp/x", ["--seccomp-deny", "mkdir"]);
    expect(r.stderr).toContain("Operation not permitted");
    expect(r.code).not.toBe(0);
    expect(inSandbox("mkdir /tmp/x && echo made").stdout).toBe("made\n");
  });

  test("strict also refuses what @privileged names", () => {
    const r = inSandbox("touch /tmp/f && chown 0:0 /tmp/f", ["--seccomp", "strict"]);
    expect(r.stderr).toContain("Operation not permitted");
    expect(inSandbox("touch /tmp/f && chown 0:0 /tmp/f && echo ok").stdout).toBe("ok\n");
  });

  test("bad input: exit 2, one line on stderr, nothing started", () => {
    const marker = join(dir, "started");
    const malformed = join(dir, "bad.toml");
    writeFileSync(malformed, "base = \n");
    const unknownKey = join(dir, "key.toml");
    writeFileSync(unknownKey, 'base = "default"\ndenny = ["mkdir"]\n');
    const cases: [string[], string][] = [
      [["--seccomp-deny", "nosuchcall"], "'nosuchcall' is not a system call"],
      [["--seccomp-allow", "@nosuchgroup"], "unknown seccomp group '@nosuchgroup'"],
      [["--seccomp", malformed], "not valid TOML"],
      [["--seccomp", unknownKey], "'denny' is not a policy key"],
      [["--seccomp-allow", "@keyring", "--seccomp-deny", "keyctl"], "keyctl is both allowed (@keyring) and denied (keyctl)"],
    ];
    for (const [opts, message] of cases) {
      const r = nsbox(["run", ...opts, "--bind", dir, "/run/out", "--", "touch", "/run/out/started"]);
      expect(r.code, opts.join(" ")).toBe(2);
      expect(r.stderr.trimEnd().split("\n"), opts.join(" ")).toHaveLength(1);
      expect(r.stderr).toContain(message);
      expect(existsSync(marker)).toBe(false);
    }
  });
});
