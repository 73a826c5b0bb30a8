// Choices that weaken a sandbox on purpose: each gets a warning when the sandbox starts (and a
// mention in `nsbox plan`), so nobody keeps real root or a dangerous capability unknowingly.
import type { NormalSpec } from "./normalize.ts";
import { coversZero } from "./host-data.ts";

/** Capabilities that, even inside namespaces, open paths to the host or to other processes. */
export const DANGEROUS_CAPABILITIES: Readonly<Record<string, string>> = {
  CAP_SYS_ADMIN: "mounts, namespaces and many kernel interfaces",
  CAP_SYS_PTRACE: "reading and controlling other processes' memory",
  CAP_SYS_MODULE: "loading kernel modules",
  CAP_NET_ADMIN: "reconfiguring network interfaces, routes and firewall of its namespace",
  CAP_DAC_READ_SEARCH: "open_by_handle_at, which escaped containers before (CVE-2014-3519 'shocker')",
};

export function riskWarnings(spec: NormalSpec): string[] {
  const warnings: string[] = [];
  if (spec.users.mapHostRoot) warnings.push("--map-host-root: root inside is real root on the host; files it can reach are not protected by permissions");
  if (spec.mounts.some((m) => m.kind === "bind" && m.idmap && coversZero(m.idmap)))
    warnings.push("--idmap-host-root: an idmapped bind maps on-disk uid/gid 0; files the sandbox writes there are host root's");
  if (spec.namespaces.user.mode === "host" && spec.users.uid === 0)
    warnings.push("--share user as root: the command runs as real host root; files it can reach are not protected by permissions");
  for (const cap of spec.security.capabilities) {
    const why = DANGEROUS_CAPABILITIES[cap];
    if (why) warnings.push(`${cap} is kept: it allows ${why}`);
  }
  return warnings;
}
