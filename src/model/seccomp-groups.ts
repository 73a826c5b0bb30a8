// Named groups of system calls for the seccomp policy, as plain data in the style of systemd's
// SystemCallFilter= sets (src/shared/seccomp-util.c): same names and, where systemd has the group,
// the same members, so `@mount` means here what it means in a unit file. Every name must be one
// libseccomp 2.5.4 knows (test/core/seccomp.test.ts checks); names that exist only on other
// architectures (vm86, rtas ...) are kept, as systemd does, and resolve to nothing on this one.

export interface SeccompGroup {
  /** One line for `nsbox plan` and error messages. */
  help: string;
  /** System call names, or other groups (`@x`), expanded recursively. */
  members: readonly string[];
}

export const SECCOMP_GROUPS = {
  "@clock": {
    help: "set the system clock (the clock is not namespaced: CLOCK_REALTIME is the host's)",
    members: ["adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday", "stime"],
  },
  "@cpu-emulation": {
    help: "CPU emulation: x86 LDT changes and vm86 (old, rarely used kernel code; only Wine and DOS emulators need it)",
    members: ["modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old"],
  },
  "@debug": {
    help: "debugging and tracing: ptrace, perf events, taking another process's fds",
    members: ["lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", "rtas", "s390_runtime_instr", "sys_debug_setcontext"],
  },
  "@io-uring": {
    // nsbox's own group (systemd files these under @aio). io_uring is a second syscall interface
    // with its own, large kernel surface: Google reported that 60% of the kernel exploits sent to
    // its kCTF VRP targeted it (2023), and ChromeOS, Android and recent Docker default profiles
    // turn it off. Denied with ENOSYS (SECCOMP_ENOSYS below) so liburing/libuv users fall back to
    // ordinary read/write, as on a kernel built without it.
    help: "io_uring (a large second syscall interface; callers fall back on ENOSYS)",
    members: ["io_uring_enter", "io_uring_register", "io_uring_setup"],
  },
  "@keyring": {
    // Keyrings are not namespaced: a sandbox shares the kernel's key quota and the keys of its
    // uid (CVE-2016-0728 turned a keyctl refcount overflow into root).
    help: "kernel keyrings (not namespaced)",
    members: ["add_key", "keyctl", "request_key"],
  },
  "@module": {
    help: "load and unload kernel modules",
    members: ["delete_module", "finit_module", "init_module"],
  },
  "@mount": {
    // The new mount API (fsopen ...) and mount_setattr as well as mount(2): each is another way
    // to change the tree the stage built.
    help: "mount, unmount and change mounts (the old and the new mount API), chroot, pivot_root",
    members: ["chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree", "pivot_root", "umount", "umount2"],
  },
  "@obsolete": {
    help: "unusual, obsolete or unimplemented system calls",
    members: [
      "_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime", "get_kernel_syms", "getpmsg", "gtty", "idle",
      "lock", "mpx", "prof", "profil", "putpmsg", "query_module", "security", "sgetmask", "ssetmask", "stty", "sysfs",
      "tuxcall", "ulimit", "uselib", "ustat", "vserver",
    ],
  },
  "@privileged": {
    help: "system calls that need privileges (systemd's set: ownership, credentials, clock, modules, raw I/O, reboot, swap ...)",
    members: [
      "@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap", "_sysctl", "acct", "bpf", "capset", "chroot",
      "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at", "pivot_root", "quotactl", "setdomainname",
      "setfsuid", "setfsuid32", "setgroups", "setgroups32", "sethostname", "setresuid", "setresuid32", "setreuid",
      "setreuid32", "setuid", "setuid32", "vhangup",
    ],
  },
  "@chown": {
    help: "change the owner of files",
    members: ["chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32"],
  },
  "@raw-io": {
    help: "raw I/O port and PCI config access",
    members: ["ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "s390_pci_mmio_read", "s390_pci_mmio_write"],
  },
  "@reboot": {
    help: "reboot and kexec",
    members: ["kexec_file_load", "kexec_load", "reboot"],
  },
  "@swap": {
    help: "enable and disable swap",
    members: ["swapoff", "swapon"],
  },
} as const satisfies Record<string, SeccompGroup>;

export type SeccompGroupName = keyof typeof SECCOMP_GROUPS;

/**
 * Denied with ENOSYS whoever denies them, because their callers treat only ENOSYS as "not
 * there" and fall back: glibc (2.34+) retries clone3 as clone, whose flags a filter can read
 * (clone3 takes them in a struct behind a pointer, which seccomp cannot follow); liburing and
 * libuv give up io_uring. EPERM would make thread creation or the event loop fail instead.
 */
export const SECCOMP_ENOSYS: ReadonlySet<string> = new Set(["clone3", "io_uring_enter", "io_uring_register", "io_uring_setup"]);

/** The default policy: what a service never needs and an attacker wants. Unconditional denials. */
export const DEFAULT_DENY: readonly string[] = [
  "@clock", "@cpu-emulation", "@debug", "@io-uring", "@keyring", "@module", "@mount", "@raw-io", "@reboot", "@swap",
  // eBPF: a verifier and JIT in the kernel, the source of many escalations (CVE-2017-16995,
  // CVE-2021-3490); Debian already refuses it without CAP_BPF, this also covers a relaxed sysctl.
  "bpf",
  // Lets any caller stall a kernel page fault in user space: the classic way to widen race
  // windows in kernel exploits (hence vm.unprivileged_userfaultfd). Services do not need it.
  "userfaultfd",
  // The 2014 "shocker" escape from Docker opened host files by brute-forced file handles.
  "open_by_handle_at",
  // Host-wide state and information: process accounting, the kernel log (addresses, other
  // tenants' messages), terminal hangup, quotas, and the obsolete calls that still do something.
  "acct", "syslog", "vhangup", "quotactl", "quotactl_fd", "nfsservctl", "uselib", "_sysctl", "sysfs", "ustat",
];

/**
 * Strict adds what a well-behaved service rarely needs: everything systemd calls @privileged (so
 * also chown, setuid and capset, which some programs call on themselves even without caps: they
 * then fail with EPERM), @obsolete, file handles, reading or comparing other processes' memory
 * and kernel objects.
 */
export const STRICT_DENY: readonly string[] = [
  ...DEFAULT_DENY,
  "@obsolete", "@privileged", "name_to_handle_at", "process_vm_readv", "process_vm_writev", "kcmp",
];

export function isSeccompGroup(name: string): name is SeccompGroupName {
  return Object.hasOwn(SECCOMP_GROUPS, name);
}

/** Every system call a list names, groups expanded; throws on an unknown group (validate first). */
export function expandSeccompNames(names: readonly string[]): Set<string> {
  const out = new Set<string>();
  const visit = (name: string) => {
    if (!name.startsWith("@")) return void out.add(name);
    if (!isSeccompGroup(name)) throw new Error(`unknown seccomp group ${name}`);
    for (const member of SECCOMP_GROUPS[name].members) visit(member);
  };
  names.forEach(visit);
  return out;
}
