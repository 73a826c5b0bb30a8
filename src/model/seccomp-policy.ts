// The seccomp policy's schema (base level, allow and deny lists, user namespaces, errno). What a
// policy means (precedence, the rule list) is in seccomp-rules.ts, re-exported here.
import * as v from "valibot";
import { isSeccompGroup, SECCOMP_GROUPS } from "./seccomp-groups.ts";
import { SECCOMP_BASES, SECCOMP_ERRNOS } from "./seccomp-rules.ts";

export * from "./seccomp-rules.ts";

/** The spelling of a syscall name in the kernel's tables; libseccomp checks that it exists. */
const SYSCALL_NAME = /^[a-z_][a-z0-9_]{0,63}$/;

/** Why an allow/deny entry is malformed, or undefined when it is a group or a syscall-shaped name. */
export function seccompEntryProblem(entry: string): string | undefined {
  if (entry.startsWith("@")) {
    return isSeccompGroup(entry) ? undefined : `unknown seccomp group '${entry}' (groups: ${Object.keys(SECCOMP_GROUPS).sort().join(" ")})`;
  }
  return SYSCALL_NAME.test(entry) ? undefined : `'${entry}' is not a system call name or @group`;
}

const SeccompEntry = v.pipe(
  v.string(),
  v.rawCheck(({ dataset, addIssue }) => {
    const problem = dataset.typed ? seccompEntryProblem(dataset.value) : undefined;
    if (problem) addIssue({ message: problem });
  }),
);

export const SeccompPolicy = v.strictObject({
  /** The level the lists change: default (every run), strict, or none (no filter of its own). */
  base: v.optional(v.picklist(SECCOMP_BASES), "default"),
  /** Groups and syscalls the filter must leave alone, even when the base denies them. */
  allow: v.optional(v.array(SeccompEntry), []),
  /** Groups and syscalls denied on top of the base. */
  deny: v.optional(v.array(SeccompEntry), []),
  /** Let the payload create user namespaces (clone/unshare CLONE_NEWUSER, clone3, setns). */
  allowUserns: v.optional(v.boolean(), false),
  /** The errno of denied calls, except those callers need to see as ENOSYS (SECCOMP_ENOSYS). */
  errno: v.optional(v.picklist(SECCOMP_ERRNOS), "EPERM"),
});
export type SeccompPolicy = v.InferOutput<typeof SeccompPolicy>;
