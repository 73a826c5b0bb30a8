// The seccomp policy's meaning, without its schema (seccomp-policy.ts): the levels, the precedence
// between the lists and the rule list they make. Pure, and free of valibot, so the host side of a
// start (core/seccomp.ts) can compile or recognise a policy without building any schema.
import {
  DEFAULT_DENY, expandSeccompNames, SECCOMP_ENOSYS, STRICT_DENY,
} from "./seccomp-groups.ts";

export const SECCOMP_BASES = ["default", "strict", "none"] as const;
export type SeccompBase = (typeof SECCOMP_BASES)[number];

/** What a denied call returns. EPERM reads "not allowed"; ENOSYS "not in this kernel". */
export const SECCOMP_ERRNOS = ["EPERM", "EACCES", "ENOSYS"] as const;
export type SeccompErrno = (typeof SECCOMP_ERRNOS)[number];


/** A policy as the schema (seccomp-policy.ts) outputs it: every field filled in. */
export interface SeccompPolicy {
  base: SeccompBase;
  allow: string[];
  deny: string[];
  allowUserns: boolean;
  errno: SeccompErrno;
}

/** The policy of every run that names none, as the schema fills it in from `{}` (the tests compare). */
export const DEFAULT_SECCOMP_POLICY: Readonly<SeccompPolicy> = { base: "default", allow: [], deny: [], allowUserns: false, errno: "EPERM" };

/** (argument `arg` & mask) == value, on all 64 bits: SCMP_CMP_MASKED_EQ. */
export interface SeccompCompare {
  arg: number;
  mask: bigint;
  value: bigint;
}

/** One filter rule: the call fails with `errno` when every comparison holds (none: always). */
export interface SeccompRule {
  syscall: string;
  errno: SeccompErrno;
  when: readonly SeccompCompare[];
}

const U32 = 0xffffffffn;
const CLONE_NEWUSER = 0x10000000n;
const TIOCSTI = 0x5412n;
const TIOCLINUX = 0x541cn;
/** personality(2) values that only query or are harmless: PER_LINUX32 (linux32/setarch) and UNAME26. */
const PER_LINUX32 = 0x0008n;
const UNAME26 = 0x0020000n;

/**
 * ioctl(fd, TIOCSTI) pushes input into a terminal: a sandboxed process sharing the caller's tty
 * types commands into the caller's shell (CVE-2017-5226); TIOCLINUX can do the same through the
 * console's selection buffer. The kernel takes `unsigned int cmd`, so only the low 32 bits
 * count: flatpak compared all 64 and was bypassed by setting a high bit (CVE-2019-10063). Mask.
 */
const TERMINAL_RULES: readonly SeccompCompare[][] = [
  [{ arg: 1, mask: U32, value: TIOCSTI }],
  [{ arg: 1, mask: U32, value: TIOCLINUX }],
];

/**
 * personality(2) other than PER_LINUX, PER_LINUX32, UNAME26 (and their combinations) and the
 * 0xffffffff query: refuses ADDR_NO_RANDOMIZE (no ASLR for what the payload executes next),
 * READ_IMPLIES_EXEC, MMAP_PAGE_ZERO and the address-limit flags, as Docker's profile does.
 * The kernel takes `unsigned int`: every compare is masked to 32 bits.
 *
 * libseccomp can put only one comparison per argument in a rule and rules are ORed, so "not one
 * of these values" is built from masked equalities: with F the 30 refused bits in a cycle
 * f0..f29, rule i matches "f(i) set and f(i+1) clear". A value matches none of them only when
 * all of F is clear (an allowed value) or all of F is set; of the latter only 0xffffffff is
 * harmless (a query changes nothing), and three exact rules catch the other three.
 */
function personalityRules(): SeccompCompare[][] {
  const allowedBits = PER_LINUX32 | UNAME26;
  const refused: bigint[] = [];
  for (let bit = 0n; bit < 32n; bit++) if (((1n << bit) & allowedBits) === 0n) refused.push(1n << bit);
  const chain = refused.map((bit, i) => [{ arg: 0, mask: bit | refused[(i + 1) % refused.length]!, value: bit }]);
  const allRefused = U32 & ~allowedBits;
  const allSetButQuery = [allRefused, allRefused | PER_LINUX32, allRefused | UNAME26];
  return [...chain, ...allSetButQuery.map((value) => [{ arg: 0, mask: U32, value }])];
}

/**
 * Creating a user namespace needs no privilege, and inside one the payload is root again over a
 * kernel surface (netfilter, mounts of "userns-safe" filesystems ...) that many escalations went
 * through. clone and unshare carry the flag in argument 0 (on x86-64 and arm64); clone3 carries
 * it in a struct behind a pointer, so it is refused whole with ENOSYS and glibc falls back to
 * clone; setns into a namespace needs privileges in it, and a payload only has those in a user
 * namespace of its own: it goes with them.
 */
const USERNS_FLAG_RULES: readonly { syscall: string; when: SeccompCompare[] }[] = [
  { syscall: "clone", when: [{ arg: 0, mask: CLONE_NEWUSER, value: CLONE_NEWUSER }] },
  { syscall: "unshare", when: [{ arg: 0, mask: CLONE_NEWUSER, value: CLONE_NEWUSER }] },
];
const USERNS_DENY = ["clone3", "setns"];

function baseNames(policy: SeccompPolicy): string[] {
  const level = policy.base === "strict" ? STRICT_DENY : policy.base === "default" ? DEFAULT_DENY : [];
  return policy.base !== "none" && !policy.allowUserns ? [...level, ...USERNS_DENY] : [...level];
}

/** The syscalls denied whatever their arguments: (base ∪ deny) − allow. */
export function deniedSyscalls(policy: SeccompPolicy): Set<string> {
  const denied = expandSeccompNames([...baseNames(policy), ...policy.deny]);
  for (const name of expandSeccompNames(policy.allow)) denied.delete(name);
  return denied;
}

/**
 * The whole rule list, sorted by syscall. Precedence: the base level, plus the deny list, minus
 * the allow list; an entry both allowed and denied is an error (seccompIssues), so the order of
 * flags never matters. Allowing a syscall drops every rule for it, argument rules included:
 * `allow ioctl` lets TIOCSTI through, as asked. A syscall denied whole needs no argument rule.
 */
export function seccompRules(policy: SeccompPolicy): SeccompRule[] {
  const denied = deniedSyscalls(policy);
  const allowed = expandSeccompNames(policy.allow);
  const errnoOf = (syscall: string): SeccompErrno => (SECCOMP_ENOSYS.has(syscall) ? "ENOSYS" : policy.errno);
  const rules: SeccompRule[] = [...denied].map((syscall) => ({ syscall, errno: errnoOf(syscall), when: [] }));
  const conditional: { syscall: string; when: readonly SeccompCompare[] }[] = [];
  if (policy.base !== "none") {
    conditional.push(...TERMINAL_RULES.map((when) => ({ syscall: "ioctl", when })));
    conditional.push(...personalityRules().map((when) => ({ syscall: "personality", when })));
    if (!policy.allowUserns) conditional.push(...USERNS_FLAG_RULES);
  }
  for (const r of conditional) {
    if (!denied.has(r.syscall) && !allowed.has(r.syscall)) rules.push({ syscall: r.syscall, errno: errnoOf(r.syscall), when: r.when });
  }
  return rules.sort((a, b) => (a.syscall < b.syscall ? -1 : a.syscall > b.syscall ? 1 : 0));
}

/** Contradictions between the lists: a syscall both allowed and denied, named with the entries that did it. */
export function seccompIssues(policy: SeccompPolicy): { path: string; message: string }[] {
  const owners = (list: readonly string[], syscall: string) => list.filter((e) => expandSeccompNames([e]).has(syscall));
  const allowed = expandSeccompNames(policy.allow);
  const both = [...expandSeccompNames(policy.deny)].filter((s) => allowed.has(s)).sort();
  if (both.length === 0) return [];
  const first = both[0]!;
  const more = both.length > 1 ? ` (and ${both.length - 1} more: ${both.slice(1, 6).join(", ")}${both.length > 6 ? ", ..." : ""})` : "";
  return [{
    path: "security.seccomp.deny",
    message: `seccomp: ${first} is both allowed (${owners(policy.allow, first).join(", ")}) and denied (${owners(policy.deny, first).join(", ")})${more}: drop one of them`,
  }];
}

/** One line for `nsbox plan`. */
export function describeSeccomp(policy: SeccompPolicy): string {
  const rules = seccompRules(policy);
  if (rules.length === 0) return "seccomp: none (no system call filter)";
  const whole = rules.filter((r) => r.when.length === 0);
  const byErrno = SECCOMP_ERRNOS.map((e) => [e, whole.filter((r) => r.errno === e).length] as const).filter(([, n]) => n > 0);
  const counts = byErrno.map(([e, n], i) => `${n}${i === 0 ? ` syscall${n === 1 ? "" : "s"} denied` : ""} with ${e}`).join(", ");
  const argRules = [
    rules.some((r) => r.syscall === "ioctl" && r.when.length) && "ioctl TIOCSTI/TIOCLINUX",
    rules.some((r) => r.syscall === "personality" && r.when.length) && "personality changes",
    rules.some((r) => (r.syscall === "clone" || r.syscall === "unshare") && r.when.length) && "new user namespaces",
  ].filter(Boolean);
  const base = policy.base === "none" ? "no base policy" : `${policy.base} policy`;
  const userns = policy.allowUserns && policy.base !== "none" ? "; user namespaces allowed" : "";
  const parts = [
    `seccomp: ${base} (${counts || "no syscall denied whole"}${argRules.length ? `; ${argRules.join(", ")} refused` : ""}${userns}; other ABIs (i386, x32) kill the process)`,
    ...(policy.allow.length ? [`allow: ${policy.allow.join(", ")}`] : []),
    ...(policy.deny.length ? [`deny: ${policy.deny.join(", ")}`] : []),
  ];
  return parts.join(", ");
}
