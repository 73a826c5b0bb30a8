// nsbox's seccomp policy in the OCI runtime-spec form (config.json `linux.seccomp`): the same
// rule list the stage's BPF is compiled from (seccomp-policy.ts), so crun or runc build the
// same filter with their own libseccomp. Pure.
import { seccompRules, type SeccompErrno, type SeccompPolicy, type SeccompRule } from "./seccomp-policy.ts";

/** errno numbers (asm-generic/errno-base.h, errno.h): the same on x86-64 and arm64. */
const ERRNO_NUMBER: Record<SeccompErrno, number> = { EPERM: 1, EACCES: 13, ENOSYS: 38 };

/** SCMP_ARCH_* names of the architectures nsbox builds filters for (core/seccomp.ts). */
export const OCI_SECCOMP_ARCH: Readonly<Record<string, string>> = { x64: "SCMP_ARCH_X86_64", arm64: "SCMP_ARCH_AARCH64" };

export interface OciSeccompArg {
  index: number;
  /** For SCMP_CMP_MASKED_EQ, `value` is the mask and `valueTwo` the value (libseccomp's datum_a, datum_b). */
  value: number;
  valueTwo: number;
  op: "SCMP_CMP_MASKED_EQ";
}

export interface OciSeccompRule {
  names: string[];
  action: "SCMP_ACT_ERRNO";
  errnoRet: number;
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: "SCMP_ACT_ALLOW";
  architectures: string[];
  syscalls: OciSeccompRule[];
}

function toNumber(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`seccomp argument ${n} does not fit a JSON number`);
  return Number(n);
}

function argsOf(rule: SeccompRule): OciSeccompArg[] {
  return rule.when.map((c) => ({ index: c.arg, value: toNumber(c.mask), valueTwo: toNumber(c.value), op: "SCMP_CMP_MASKED_EQ" }));
}

/**
 * The policy as `linux.seccomp`, or undefined when it has no rule. Calls denied whatever their
 * arguments are grouped by errno (one entry per errno); each argument rule is its own entry, since
 * an entry's comparisons are ANDed like a rule's. Only the native architecture is listed: a call
 * through another ABI (i386, x32) then meets the runtime's bad-arch action, as under nsbox.
 */
export function ociSeccomp(policy: SeccompPolicy, arch: string): OciSeccomp | undefined {
  const rules = seccompRules(policy);
  if (rules.length === 0) return undefined;
  const whole = new Map<SeccompErrno, string[]>();
  const conditional: OciSeccompRule[] = [];
  for (const r of rules) {
    if (r.when.length === 0) whole.set(r.errno, [...(whole.get(r.errno) ?? []), r.syscall]);
    else conditional.push({ names: [r.syscall], action: "SCMP_ACT_ERRNO", errnoRet: ERRNO_NUMBER[r.errno], args: argsOf(r) });
  }
  const grouped = [...whole].map(([errno, names]): OciSeccompRule => ({ names, action: "SCMP_ACT_ERRNO", errnoRet: ERRNO_NUMBER[errno] }));
  return { defaultAction: "SCMP_ACT_ALLOW", architectures: [arch], syscalls: [...grouped, ...conditional] };
}
