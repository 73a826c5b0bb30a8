import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { planSpec } from "../../src/model/plan.ts";
import { describeSpec } from "../../src/model/describe.ts";
import { expandSeccompNames, SECCOMP_GROUPS } from "../../src/model/seccomp-groups.ts";
import {
  deniedSyscalls, describeSeccomp, SeccompPolicy, seccompRules, type SeccompRule,
} from "../../src/model/seccomp-policy.ts";
import { DEFAULT_SECCOMP_POLICY, type SeccompPolicy as RulesPolicy } from "../../src/model/seccomp-rules.ts";
import { rootCtx } from "../helpers.ts";

const policy = (input: v.InferInput<typeof SeccompPolicy> = {}) => v.parse(SeccompPolicy, input);

/** What the rule list returns for one call: the errno of the first matching rule, or "allow". */
function outcome(rules: readonly SeccompRule[], syscall: string, args: bigint[] = []): string {
  const hit = rules.find((r) => r.syscall === syscall && r.when.every((c) => ((args[c.arg] ?? 0n) & c.mask) === c.value));
  return hit ? hit.errno : "allow";
}

describe("groups", () => {
  test("groups expand recursively and are plain data", () => {
    const privileged = expandSeccompNames(["@privileged"]);
    for (const s of ["chown", "fchownat", "settimeofday", "init_module", "iopl", "reboot", "swapon", "setuid", "bpf"]) expect(privileged).toContain(s);
    expect(privileged).not.toContain("@chown");
    expect([...expandSeccompNames(["@mount"])].sort()).toEqual(
      ["chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree", "pivot_root", "umount", "umount2"],
    );
  });
  test("every group member is a syscall name or a known group", () => {
    for (const [name, group] of Object.entries(SECCOMP_GROUPS)) {
      for (const m of group.members) expect(m.startsWith("@") ? m in SECCOMP_GROUPS : /^[a-z_][a-z0-9_]*$/.test(m), `${name}: ${m}`).toBe(true);
    }
  });
});

describe("levels", () => {
  test("default denies the families a service never needs", () => {
    const d = deniedSyscalls(policy());
    for (const s of [
      "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module",
      "delete_module", "open_by_handle_at", "ptrace", "userfaultfd", "mount", "umount2", "pivot_root", "move_mount", "open_tree",
      "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "setns", "clone3", "acct", "swapon", "swapoff", "reboot",
      "settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "iopl", "ioperm", "syslog", "vhangup", "lookup_dcookie",
      "quotactl", "nfsservctl", "uselib", "_sysctl", "sysfs", "io_uring_setup", "io_uring_enter", "io_uring_register", "modify_ldt",
    ]) expect(d, s).toContain(s);
    for (const s of ["read", "openat", "clone", "unshare", "ioctl", "personality", "setuid", "chown", "mkdir", "seccomp"]) expect(d, s).not.toContain(s);
  });
  test("strict is default plus more; none is nothing", () => {
    const def = deniedSyscalls(policy());
    const strict = deniedSyscalls(policy({ base: "strict" }));
    for (const s of def) expect(strict).toContain(s);
    for (const s of ["setuid", "chown", "capset", "ustat", "name_to_handle_at", "process_vm_readv", "kcmp"]) expect(strict, s).toContain(s);
    expect(seccompRules(policy({ base: "none" }))).toEqual([]);
  });
  test("callers that only fall back on ENOSYS get ENOSYS, whatever the policy's errno", () => {
    const rules = seccompRules(policy({ errno: "EACCES" }));
    expect(outcome(rules, "clone3")).toBe("ENOSYS");
    expect(outcome(rules, "io_uring_setup")).toBe("ENOSYS");
    expect(outcome(rules, "keyctl")).toBe("EACCES");
    expect(outcome(rules, "ioctl", [0n, 0x5412n])).toBe("EACCES");
  });
});

describe("precedence: (base + deny) - allow", () => {
  test("allow removes from the base, deny adds", () => {
    const d = deniedSyscalls(policy({ allow: ["@keyring", "ptrace"], deny: ["mkdir", "@chown"] }));
    expect(d).not.toContain("keyctl");
    expect(d).not.toContain("ptrace");
    expect(d).toContain("perf_event_open"); // the rest of @debug stays
    expect(d).toContain("mkdir");
    expect(d).toContain("fchownat");
  });
  test("none with a deny list filters just those", () => {
    expect(seccompRules(policy({ base: "none", deny: ["mkdir"] }))).toEqual([{ syscall: "mkdir", errno: "EPERM", when: [] }]);
  });
  test("allowing a syscall drops its argument rules too; denying it whole replaces them", () => {
    expect(outcome(seccompRules(policy({ allow: ["ioctl"] })), "ioctl", [0n, 0x5412n])).toBe("allow");
    const denied = seccompRules(policy({ deny: ["ioctl"] })).filter((r) => r.syscall === "ioctl");
    expect(denied).toEqual([{ syscall: "ioctl", errno: "EPERM", when: [] }]);
  });
  test("allowUserns drops every user-namespace rule", () => {
    const rules = seccompRules(policy({ allowUserns: true }));
    for (const s of ["clone3", "setns"]) expect(outcome(rules, s)).toBe("allow");
    expect(outcome(rules, "clone", [0x10000000n])).toBe("allow");
    expect(outcome(rules, "unshare", [0x10000000n])).toBe("allow");
  });
  test("a syscall both allowed and denied is an issue naming both entries", () => {
    const r = planSpec({ process: { argv: ["true"] }, security: { seccomp: { allow: ["@keyring"], deny: ["keyctl", "mkdir"] } } }, rootCtx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]!.message).toBe("seccomp: keyctl is both allowed (@keyring) and denied (keyctl): drop one of them");
  });
});

describe("validation", () => {
  const issues = (seccomp: object) => {
    const r = planSpec({ process: { argv: ["true"] }, security: { seccomp } }, rootCtx);
    return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
  };
  test("unknown groups, malformed names, bad levels and errnos", () => {
    expect(issues({ allow: ["@nosuch"] })[0]).toStartWith("security.seccomp.allow.0: unknown seccomp group '@nosuch' (groups: @chown @clock");
    expect(issues({ deny: ["Mkdir!"] })[0]).toBe("security.seccomp.deny.0: 'Mkdir!' is not a system call name or @group");
    expect(issues({ base: "paranoid" })[0]).toStartWith("security.seccomp.base:");
    expect(issues({ errno: "EIO" })[0]).toStartWith("security.seccomp.errno:");
    expect(issues({ frob: 1 })[0]).toStartWith("security.seccomp.frob:");
  });
  test("a spec without seccomp gets the default policy", () => {
    const r = planSpec({ process: { argv: ["true"] } }, rootCtx);
    expect(r.ok && r.spec.security.seccomp).toEqual({ base: "default", allow: [], deny: [], allowUserns: false, errno: "EPERM" });
  });
});

describe("argument rules", () => {
  const rules = seccompRules(policy());
  test("TIOCSTI and TIOCLINUX: masked to the 32 bits the kernel reads, so high bits cannot hide them", () => {
    const ioctl = rules.filter((r) => r.syscall === "ioctl");
    expect(ioctl.map((r) => r.when)).toEqual([[{ arg: 1, mask: 0xffffffffn, value: 0x5412n }], [{ arg: 1, mask: 0xffffffffn, value: 0x541cn }]]);
    expect(outcome(rules, "ioctl", [0n, 0x1_0000_5412n])).toBe("EPERM");
    expect(outcome(rules, "ioctl", [0n, 0xffffffff_0000541cn])).toBe("EPERM");
    expect(outcome(rules, "ioctl", [0n, 0x5413n])).toBe("allow");
  });
  test("user namespaces: the CLONE_NEWUSER bit of clone and unshare, whatever else is set", () => {
    expect(outcome(rules, "clone", [0x11n])).toBe("allow"); // SIGCHLD
    expect(outcome(rules, "clone", [0x10000011n])).toBe("EPERM");
    expect(outcome(rules, "clone", [0xffffffff_ffffffffn])).toBe("EPERM");
    expect(outcome(rules, "unshare", [0x20000n])).toBe("allow"); // CLONE_NEWNS: the kernel checks caps
    expect(outcome(rules, "unshare", [0x10020000n])).toBe("EPERM");
  });
  test("personality: only PER_LINUX, PER_LINUX32, UNAME26 and the query pass", () => {
    const allowed = new Set([0n, 0x8n, 0x20000n, 0x20008n, 0xffffffffn]);
    const check = (value: bigint) => {
      const expected = allowed.has(value & 0xffffffffn) ? "allow" : "EPERM";
      expect(outcome(rules, "personality", [value]), `personality(0x${value.toString(16)})`).toBe(expected);
    };
    // Every value with one or two bits set, the all-ones neighbours, high bits (ignored by the kernel), random ones.
    for (let i = 0n; i < 32n; i++) {
      check(1n << i);
      check(0xffffffffn & ~(1n << i));
      for (let j = 0n; j < i; j++) check((1n << i) | (1n << j));
    }
    for (const value of [0x40000n, 0x400000n, 0x100000n, 0xfffdfff7n, 0xfffdffffn, 0xfffffff7n, 0x1_00000000n, 0xffffffff_ffffffffn]) check(value);
    let seed = 12345;
    for (let n = 0; n < 20000; n++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const value = BigInt(seed);
      check(value);
      check(value & 0x20008n);
    }
  });
});

test("plan shows the policy in one line", () => {
  expect(describeSeccomp(policy())).toBe(
    "seccomp: default policy (63 syscalls denied with EPERM, 4 with ENOSYS; ioctl TIOCSTI/TIOCLINUX, personality changes, new user namespaces refused; other ABIs (i386, x32) kill the process)",
  );
  expect(describeSeccomp(policy({ base: "none" }))).toBe("seccomp: none (no system call filter)");
  expect(describeSeccomp(policy({ allow: ["@keyring"], deny: ["mkdir"], allowUserns: true }))).toContain(
    "user namespaces allowed; other ABIs (i386, x32) kill the process), allow: @keyring, deny: mkdir",
  );
  const r = planSpec({ process: { argv: ["true"] } }, rootCtx);
  expect(r.ok && describeSpec(r.spec).filter((l) => l.startsWith("seccomp: "))).toHaveLength(1);
});

describe("the default policy without the schema (seccomp-rules.ts)", () => {
  test("is exactly what the schema fills in from nothing, key order included (the embedded filter is chosen by its JSON)", () => {
    expect(JSON.stringify(DEFAULT_SECCOMP_POLICY)).toBe(JSON.stringify(policy()));
  });
  test("the schema's output is the rules' input type, both ways", () => {
    const fromSchema: RulesPolicy = policy({ base: "strict", allow: ["ptrace"] });
    const back: SeccompPolicy = fromSchema;
    expect(seccompRules(back)).toEqual(seccompRules(fromSchema));
  });
});
