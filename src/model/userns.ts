// Whether a sandbox blocks nested user namespaces with the per-namespace limit. The limit lives
// in the sandbox's own user namespace (user_namespaces(7), /proc/sys/user), where the payload has
// no CAP_SYS_RESOURCE to raise it; it is written through the sandbox's own /proc, so only a
// sandbox with a new user namespace and a /proc of its own can have it. seccomp blocks the rest.
import type { NormalSpec } from "./normalize.ts";

export function blocksNestedUserns(spec: NormalSpec): boolean {
  return spec.namespaces.user.mode === "new" && !spec.security.seccomp.allowUserns && spec.mounts.some((m) => m.kind === "proc" && m.dst === "/proc");
}
