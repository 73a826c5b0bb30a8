// The policy compiler: rule lists through a fake libseccomp, then real BPF from libseccomp run
// through a BPF interpreter (bpf-emulator.ts) to see what the kernel would return, without root.
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { NsboxError } from "../../src/base/errors.ts";
import { checkSyscallNames, compileSeccomp, loadLibseccomp, requireLibseccomp, seccompFilter } from "../../src/core/seccomp.ts";
import {
  openLibseccomp, SCMP_ACT_ALLOW, SCMP_ACT_KILL_PROCESS, SCMP_CMP_MASKED_EQ, type ScmpFilter, type SeccompLib,
} from "../../src/core/sys/libseccomp.ts";
import { SECCOMP_GROUPS } from "../../src/model/seccomp-groups.ts";
import { SeccompPolicy } from "../../src/model/seccomp-policy.ts";
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, runSeccompBpf } from "./bpf-emulator.ts";

const policy = (input: v.InferInput<typeof SeccompPolicy> = {}) => v.parse(SeccompPolicy, input);

/** A libseccomp that knows a few x86-64 numbers and records what it is asked to compile. */
function fakeLib(): SeccompLib & { compiled: ScmpFilter[] } {
  const numbers: Record<string, number> = { ioctl: 16, keyctl: 250, clone: 56, clone3: 435, unshare: 272, personality: 135, mkdir: 83, vm86: -10071 };
  const compiled: ScmpFilter[] = [];
  return {
    version: "2.5.4",
    nativeArch: AUDIT_ARCH_X86_64,
    compiled,
    resolve: (name) => numbers[name] ?? (/^[a-z_]/.test(name) ? -10000 : -1),
    compile(filter) {
      compiled.push(filter);
      return { bpf: new Uint8Array(8) };
    },
  };
}

describe("the filter, through a fake libseccomp", () => {
  test("allow by default, other ABIs kill, TIOCSTI/TIOCLINUX as masked compares on argument 1", () => {
    const f = seccompFilter(policy(), fakeLib());
    expect(f.defaultAction).toBe(SCMP_ACT_ALLOW);
    expect(f.badArchAction).toBe(SCMP_ACT_KILL_PROCESS);
    const ioctl = f.rules.filter((r) => r.name === "ioctl");
    expect(ioctl).toEqual([
      { name: "ioctl", syscall: 16, action: 0x50001, args: [{ arg: 1, op: SCMP_CMP_MASKED_EQ, datumA: 0xffffffffn, datumB: 0x5412n }] },
      { name: "ioctl", syscall: 16, action: 0x50001, args: [{ arg: 1, op: SCMP_CMP_MASKED_EQ, datumA: 0xffffffffn, datumB: 0x541cn }] },
    ]);
    expect(f.rules.find((r) => r.name === "clone3")).toMatchObject({ syscall: 435, action: 0x50026, args: [] });
    expect(f.rules.find((r) => r.name === "keyctl")).toMatchObject({ syscall: 250, action: 0x50001, args: [] });
  });
  test("syscalls of other architectures get no rule; unknown names are usage errors", () => {
    const lib = fakeLib();
    expect(seccompFilter(policy({ base: "none", deny: ["vm86", "mkdir"] }), lib).rules.map((r) => r.name)).toEqual(["mkdir"]);
    expect(() => seccompFilter(policy({ base: "none", deny: ["nope"] }), { ...lib, resolve: () => -1 })).toThrow(
      "seccomp: 'nope' is not a system call (libseccomp 2.5.4 does not know it)",
    );
    expect(() => checkSyscallNames(["mkdir", "@keyring", "Nope"], "--seccomp-deny", { ...lib, resolve: (n) => (n === "Nope" ? -1 : 1) })).toThrow(
      "--seccomp-deny: 'Nope' is not a system call (libseccomp 2.5.4 does not know it)",
    );
  });
  test("no filter needs no libseccomp; a filter without libseccomp fails closed naming the package", () => {
    expect(compileSeccomp(policy({ base: "none" }), undefined)).toBeUndefined();
    expect(() => requireLibseccomp(undefined)).toThrow(NsboxError);
    try {
      requireLibseccomp(undefined);
    } catch (e) {
      expect((e as NsboxError).exitCode).toBe(125);
      expect((e as NsboxError).hint).toContain("libseccomp2");
    }
    expect(openLibseccomp("libnsbox-no-such-library.so.9")).toBeUndefined();
    expect(() => requireLibseccomp({ ...fakeLib(), version: "2.4.1" })).toThrow("too old");
    expect(() => requireLibseccomp({ ...fakeLib(), nativeArch: 0x80000016 })).toThrow("no filter for this architecture");
  });
});

const lib = loadLibseccomp();
if (!lib && process.env.CI) throw new Error("libseccomp.so.2 is missing: install libseccomp2");

describe.skipIf(!lib)("real libseccomp", () => {
  const ERRNO = (e: number) => 0x00050000 | e;
  const EPERM = ERRNO(1);
  const ENOSYS = ERRNO(38);
  const ALLOW = 0x7fff0000;
  const KILL_PROCESS = 0x80000000;
  const bpfOf = (p = policy()) => compileSeccomp(p, lib)!;
  const call = (bpf: Uint8Array, nr: number, args: bigint[] = [], arch = AUDIT_ARCH_X86_64) => runSeccompBpf(bpf, { nr, arch, args });

  test("every name in every group is one libseccomp knows", () => {
    for (const [group, { members }] of Object.entries(SECCOMP_GROUPS)) {
      for (const m of members) if (!m.startsWith("@")) expect(lib!.resolve(m), `${group}: ${m}`).not.toBe(-1);
    }
  });
  test("the program is whole BPF instructions, within the stage's limit", () => {
    for (const base of ["default", "strict"] as const) {
      const bpf = bpfOf(policy({ base }));
      expect(bpf.length).toBeGreaterThan(0);
      expect(bpf.length % 8).toBe(0);
      expect(bpf.length / 8).toBeLessThanOrEqual(4096);
    }
  });
  test.skipIf(lib?.nativeArch !== AUDIT_ARCH_X86_64)("x86-64: what the kernel would return", () => {
    const bpf = bpfOf();
    expect(call(bpf, 39)).toBe(ALLOW); // getpid
    expect(call(bpf, 0)).toBe(ALLOW); // read
    expect(call(bpf, 250)).toBe(EPERM); // keyctl
    expect(call(bpf, 321)).toBe(EPERM); // bpf
    expect(call(bpf, 101)).toBe(EPERM); // ptrace
    expect(call(bpf, 165)).toBe(EPERM); // mount
    expect(call(bpf, 304)).toBe(EPERM); // open_by_handle_at
    expect(call(bpf, 435)).toBe(ENOSYS); // clone3
    expect(call(bpf, 425)).toBe(ENOSYS); // io_uring_setup
    // ioctl: TIOCSTI with and without high bits; another tty ioctl passes.
    expect(call(bpf, 16, [0n, 0x5412n])).toBe(EPERM);
    expect(call(bpf, 16, [0n, 0x1_00005412n])).toBe(EPERM);
    expect(call(bpf, 16, [0n, 0x541cn])).toBe(EPERM);
    expect(call(bpf, 16, [0n, 0x5401n])).toBe(ALLOW); // TCGETS
    // clone / unshare: CLONE_NEWUSER anywhere among the flags.
    expect(call(bpf, 56, [0x11n])).toBe(ALLOW);
    expect(call(bpf, 56, [0x10000011n])).toBe(EPERM);
    expect(call(bpf, 56, [0xffffffff_10000000n])).toBe(EPERM);
    expect(call(bpf, 272, [0x10000000n])).toBe(EPERM);
    expect(call(bpf, 272, [0x00000400n])).toBe(ALLOW); // CLONE_FS
    // personality
    for (const ok of [0n, 8n, 0x20000n, 0xffffffffn]) expect(call(bpf, 135, [ok])).toBe(ALLOW);
    for (const bad of [0x40000n, 0x400000n, 0xfffffff7n]) expect(call(bpf, 135, [bad])).toBe(EPERM);
    // Other ABIs: i386 (int 0x80) and x32 (bit 30 of the number) are killed, whatever the call.
    expect(call(bpf, 20, [], AUDIT_ARCH_I386)).toBe(KILL_PROCESS);
    expect(call(bpf, 0x40000000 | 39)).toBe(KILL_PROCESS);
    expect(call(bpf, 0x40000000 | 250)).toBe(KILL_PROCESS);
  });
  test.skipIf(lib?.nativeArch !== AUDIT_ARCH_X86_64)("allow, deny, errno and user namespaces change the program", () => {
    const opened = bpfOf(policy({ allow: ["@keyring", "ioctl"], deny: ["mkdir"], errno: "EACCES", allowUserns: true }));
    expect(call(opened, 250)).toBe(ALLOW);
    expect(call(opened, 16, [0n, 0x5412n])).toBe(ALLOW);
    expect(call(opened, 83)).toBe(ERRNO(13)); // mkdir
    expect(call(opened, 321)).toBe(ERRNO(13)); // bpf, with the policy's errno
    expect(call(opened, 435)).toBe(ALLOW); // clone3
    expect(call(opened, 56, [0x10000011n])).toBe(ALLOW);
    expect(call(opened, 308)).toBe(ALLOW); // setns
    expect(call(bpfOf(policy({ base: "strict" })), 105)).toBe(EPERM); // setuid
    expect(call(bpfOf(), 105)).toBe(ALLOW);
    const none = bpfOf(policy({ base: "none", deny: ["mkdir"] }));
    expect(call(none, 83)).toBe(EPERM);
    expect(call(none, 250)).toBe(ALLOW);
    expect(call(none, 0x40000000 | 39)).toBe(KILL_PROCESS);
  });
  test("libseccomp's own disassembly shows the 64-bit masked compare for TIOCSTI", () => {
    const { pfc } = lib!.compile(seccompFilter(policy(), lib!), { pfc: true });
    expect(pfc).toContain("if ($a1.hi32 & 0x00000000 == 0)");
    expect(pfc).toContain("if ($a1.lo32 & 0xffffffff == 21522)"); // 0x5412
    expect(pfc).toContain("action KILL_PROCESS;");
  });
});
