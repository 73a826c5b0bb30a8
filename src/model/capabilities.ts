// Linux capability names and numbers (capabilities(7), include/uapi/linux/capability.h).
// Pure data: the spec validates names with it, the wire encoder turns names into a bit mask.

export const CAPABILITIES = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
  "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
  "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
] as const;
export type CapabilityName = (typeof CAPABILITIES)[number];

export function isCapabilityName(name: string): name is CapabilityName {
  return (CAPABILITIES as readonly string[]).includes(name);
}

/** The capability bit mask the stage keeps (bit N = capability number N). */
export function capabilityMask(names: readonly string[]): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITIES.indexOf(name as CapabilityName);
    if (bit < 0) throw new RangeError(`unknown capability ${name}`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}
