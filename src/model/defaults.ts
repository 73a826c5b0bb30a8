// The embedded default sandbox: what `nsbox run -- CMD` gives with no options. Every namespace
// but time is new, the host's OS is visible read-only (root-view.ts), and every writable or
// communicating path (/tmp, /var/tmp, /run with its unix sockets, /dev/shm, /proc, /dev) is a
// fresh private one.
import type { MountStep, SandboxSpecInput } from "./schema.ts";

type MountStepInput = Extract<SandboxSpecInput["mounts"], unknown[]>[number];

/**
 * What runc and bubblewrap hide or freeze in /proc and /sys: kernel memory and keys, timers and
 * scheduler internals that leak other processes' activity, and the knobs (sysctl, irq, bus,
 * sysrq) that would change the host. A mask resolves its path without following symlinks, so a
 * path swapped for a symlink cannot redirect it (CVE-2025-31133). Missing paths are skipped.
 */
const KERNEL_INTERFACE_MOUNTS: readonly MountStepInput[] = [
  ...["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"].map(
    (dst): MountStepInput => ({ kind: "mask", dst }),
  ),
  ...["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"].map((dst): MountStepInput => ({ kind: "remount-ro", dst })),
];

/** Private replacements for everything under the root that is writable or reaches other processes. */
export const PRIVATE_MOUNTS: readonly MountStepInput[] = [
  { kind: "dev", dst: "/dev" }, // minimal /dev with a private devpts and /dev/shm
  { kind: "proc", dst: "/proc" },
  { kind: "tmpfs", dst: "/tmp", mode: 0o1777 },
  { kind: "tmpfs", dst: "/var/tmp", mode: 0o1777 },
  // /run holds the host's unix sockets (dbus, systemd, docker): a read-only bind would still let
  // the payload connect to them, since connect(2) needs only write permission on the socket inode.
  { kind: "tmpfs", dst: "/run", mode: 0o755 },
  ...KERNEL_INTERFACE_MOUNTS,
];

export const DEFAULT_HOSTNAME = "nsbox";

/** Default subordinate range when /etc/subuid has no `nsbox` entry: above every range useradd
 * hands out (SUB_UID_MAX defaults to 600100000, login.defs(5)) and below 2^31. */
export const DEFAULT_SUBID_START = 1879048192;
export const DEFAULT_SUBID_COUNT = 65536;

export type { MountStep };
