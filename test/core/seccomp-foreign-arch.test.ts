// The default filter compiled for another architecture than this host's (a release build compiles
// the arm64 binary's filter on x86-64: scripts/build-seccomp.ts --arch aarch64), run through the
// BPF interpreter with arm64's own syscall numbers (include/uapi/asm-generic/unistd.h).
import { expect, test } from "bun:test";
import * as v from "valibot";
import { compileSeccomp } from "../../src/core/seccomp.ts";
import { openLibseccomp, SCMP_ACT_ALLOW, SCMP_ACT_KILL_PROCESS } from "../../src/core/sys/libseccomp.ts";
import { SeccompPolicy } from "../../src/model/seccomp-policy.ts";
import { AUDIT_ARCH_X86_64, runSeccompBpf } from "./bpf-emulator.ts";

const AUDIT_ARCH_AARCH64 = 0xc00000b7;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
// asm-generic numbers, which arm64 uses.
const NR = { getpid: 172, unshare: 97, clone: 220, clone3: 435, bpf: 280, ioctl: 29, mount: 40, keyctl: 219 };
const CLONE_NEWUSER = 0x10000000n;
const CLONE_NEWNS = 0x20000n;
const TIOCSTI = 0x5412n;

test("the default policy compiled for aarch64 on this host uses arm64's numbers and kills every other ABI", () => {
  const lib = openLibseccomp(undefined, AUDIT_ARCH_AARCH64);
  expect(lib).toBeDefined();
  expect(lib!.nativeArch).toBe(AUDIT_ARCH_AARCH64);
  // Rules carry the host's numbers (libseccomp translates them); a syscall arm64 lacks gets none.
  expect(lib!.resolve("getpid")).toBe(39);
  expect(lib!.resolve("open")).toBe(-2);
  const bpf = compileSeccomp(v.parse(SeccompPolicy, {}), lib!)!;
  const arm = (nr: number, args: bigint[] = []) => runSeccompBpf(bpf, { arch: AUDIT_ARCH_AARCH64, nr, args });
  expect(arm(NR.getpid)).toBe(SCMP_ACT_ALLOW);
  expect(arm(NR.bpf)).toBe(EPERM);
  expect(arm(NR.mount)).toBe(EPERM);
  expect(arm(NR.keyctl)).toBe(EPERM);
  expect(arm(NR.clone3)).toBe(ENOSYS);
  expect(arm(NR.unshare, [CLONE_NEWUSER])).toBe(EPERM);
  expect(arm(NR.unshare, [CLONE_NEWNS])).toBe(SCMP_ACT_ALLOW);
  expect(arm(NR.clone, [CLONE_NEWUSER])).toBe(EPERM);
  expect(arm(NR.ioctl, [3n, TIOCSTI])).toBe(EPERM);
  expect(arm(NR.ioctl, [3n, 0x5401n])).toBe(SCMP_ACT_ALLOW);
  // The x86-64 number of getpid (39) is arm64's umount2 under the arm64 arch; under x86-64's
  // arch token it must not be looked up at all: the process dies.
  expect(runSeccompBpf(bpf, { arch: AUDIT_ARCH_X86_64, nr: 39 })).toBe(SCMP_ACT_KILL_PROCESS);
});
