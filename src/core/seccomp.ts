// Seccomp on the host side: checks the names a policy uses against libseccomp's syscall table and
// compiles the policy's rules (model/seccomp-rules.ts) into the BPF program the stage loads last,
// just before execve. libseccomp is reached through the SeccompLib seam so tests can fake it.
import { NsboxError, UsageError } from "../base/errors.ts";
import { embeddedDefaultFilter } from "./seccomp-default.ts";
import { seccompRules, type SeccompErrno, type SeccompPolicy, type SeccompRule } from "../model/seccomp-rules.ts";
import {
  openLibseccomp, SCMP_ACT_ALLOW, SCMP_ACT_KILL_PROCESS, SCMP_CMP_MASKED_EQ, scmpActErrno, type ScmpFilter, type SeccompLib,
} from "./sys/libseccomp.ts";

const ERRNO: Record<SeccompErrno, number> = { EPERM: 1, EACCES: 13, ENOSYS: 38 };

/**
 * The architectures whose clone/unshare take their flags in argument 0 (the s390 family swaps
 * clone's first two) and whose byte order the rules were written for. AUDIT_ARCH_* values.
 */
const SUPPORTED_ARCHS: Record<number, string> = { 0xc000003e: "x86-64", 0xc00000b7: "arm64" };

/** The stage's limit, from the kernel's BPF_MAXINSNS (WIRE.md: 1 to 4096 instructions). */
const MAX_INSTRUCTIONS = 4096;

const INSTALL_HINT = "install the Debian package libseccomp2 (apt-get install libseccomp2), or run with --seccomp none";

let opened: { lib: SeccompLib | undefined } | undefined;

/** libseccomp, opened once; undefined when it is not installed. */
export function loadLibseccomp(): SeccompLib | undefined {
  return (opened ??= { lib: openLibseccomp() }).lib;
}

/** libseccomp, or the error that stops a run: without it nsbox cannot build the filter it promised. */
export function requireLibseccomp(lib: SeccompLib | undefined): SeccompLib {
  if (!lib) throw new NsboxError("seccomp: libseccomp.so.2 is not installed, so the system call filter cannot be built", undefined, INSTALL_HINT);
  const [major = 0, minor = 0] = lib.version.split(".").map(Number);
  if (major < 2 || (major === 2 && minor < 5))
    throw new NsboxError(`seccomp: libseccomp ${lib.version} is too old (nsbox needs 2.5 or later)`, undefined, INSTALL_HINT);
  if (!(lib.nativeArch in SUPPORTED_ARCHS))
    throw new NsboxError(`seccomp: no filter for this architecture (AUDIT_ARCH 0x${lib.nativeArch.toString(16)}); nsbox supports ${Object.values(SUPPORTED_ARCHS).join(" and ")}`, undefined, "run with --seccomp none");
  return lib;
}

/**
 * The syscall names in `entries` libseccomp does not know (groups are checked by the schema and
 * their members by the tests). Empty when libseccomp is missing: `plan` then shows the names
 * unchecked, and `run` refuses to start anyway.
 */
export function unknownSyscalls(entries: readonly string[], lib: SeccompLib | undefined = loadLibseccomp()): string[] {
  if (!lib) return [];
  // __NR_SCMP_ERROR (-1) means unknown; other negative numbers are syscalls of other architectures.
  return entries.filter((e) => !e.startsWith("@") && lib.resolve(e) === -1);
}

/** Throws a UsageError naming the first unknown syscall in a flag's (or file's) list. */
export function checkSyscallNames(entries: readonly string[], where: string, lib: SeccompLib | undefined = loadLibseccomp()): void {
  const unknown = unknownSyscalls(entries, lib);
  if (unknown.length > 0)
    throw new UsageError(`${where}: '${unknown[0]}' is not a system call (libseccomp ${lib!.version} does not know it)`);
}

/**
 * The filter for a policy: allow by default, each rule an errno, every other ABI (i386 via
 * int 0x80, x32 numbers with bit 30 set) kills the process. libseccomp's native-only filter
 * sends syscall numbers >= 0x40000000 to the bad-arch action too, so x32 calls on x86-64 cannot
 * reach the kernel's x32 table (checked in test/core/seccomp.test.ts). KILL rather than an errno:
 * no program in a service sandbox uses those ABIs, a 32-bit binary then stops at its first call
 * ("Bad system call") instead of failing in odd ways, and an exploit probing them gets no retry.
 */
export function seccompFilter(policy: SeccompPolicy, lib: SeccompLib, rules: readonly SeccompRule[] = seccompRules(policy)): ScmpFilter {
  const resolved = rules.flatMap((r) => {
    const nr = lib.resolve(r.syscall);
    if (nr === -1) throw new UsageError(`seccomp: '${r.syscall}' is not a system call (libseccomp ${lib.version} does not know it)`);
    // A syscall this architecture does not have (vm86 on x86-64) cannot be called: no rule.
    if (nr < 0) return [];
    const args = r.when.map((c) => ({ arg: c.arg, op: SCMP_CMP_MASKED_EQ, datumA: c.mask, datumB: c.value }));
    return [{ action: scmpActErrno(ERRNO[r.errno]), syscall: nr, args, name: r.syscall }];
  });
  return { defaultAction: SCMP_ACT_ALLOW, badArchAction: SCMP_ACT_KILL_PROCESS, rules: resolved };
}

/**
 * The BPF program (struct sock_filter[]) for the spec's policy, or undefined when the policy asks
 * for no filter. Fails closed: a policy that needs a filter and no libseccomp stops the run.
 */
export function compileSeccomp(policy: SeccompPolicy, lib?: SeccompLib, opts: { embedded?: boolean } = {}): Uint8Array | undefined {
  // The default policy's program was compiled at build time: its rules need not be worked out.
  const prebuilt = opts.embedded !== false && !lib ? embeddedDefaultFilter(policy) : undefined;
  if (prebuilt) return prebuilt;
  const rules = seccompRules(policy);
  if (rules.length === 0) return undefined;
  const seccomp = requireLibseccomp(lib ?? loadLibseccomp());
  const { bpf } = seccomp.compile(seccompFilter(policy, seccomp, rules));
  if (bpf.length === 0 || bpf.length % 8 !== 0 || bpf.length / 8 > MAX_INSTRUCTIONS)
    throw new NsboxError(`seccomp: libseccomp produced ${bpf.length} bytes, not 1 to ${MAX_INSTRUCTIONS} BPF instructions`);
  return bpf;
}
