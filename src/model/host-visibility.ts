// Which host paths a planned sandbox can reach, from its mount steps alone: a host path is seen
// inside when a bind brings its tree in and no later mount covers the place it lands (a tmpfs,
// a proc, a mask ...). explain uses it to list the host unix sockets a sandbox could connect(2)
// to: a read-only mount does not stop connect (unix(7): it needs write permission on the
// socket inode only). Pure; symlinks on the way are not followed.
import type { MountStep } from "./schema.ts";

const under = (path: string, dir: string) => dir === "/" || path === dir || path.startsWith(`${dir}/`);

/** Steps that put something else at their destination; dir, symlink and remount-ro do not. */
const covers = (m: MountStep) => m.kind !== "dir" && m.kind !== "symlink" && m.kind !== "remount-ro";

/**
 * Where the host path appears inside, or undefined when the sandbox cannot see it. `mounts` are
 * normalised (parents first, later duplicates dropped), so the last covering step whose
 * destination holds a path is the mount on top there.
 */
export function hostPathInside(mounts: readonly MountStep[], hostPath: string): string | undefined {
  for (const [i, m] of mounts.entries()) {
    if (m.kind !== "bind" || !under(hostPath, m.src)) continue;
    const rest = m.src === "/" ? hostPath : hostPath.slice(m.src.length);
    const inside = m.dst === "/" ? rest : `${m.dst}${rest}`;
    const top = mounts.findLastIndex((c) => covers(c) && under(inside, c.dst));
    if (top === i) return inside;
  }
  return undefined;
}

/** The host paths of a list that the sandbox sees (sockets from /proc/net/unix, for example). */
export function visibleHostPaths(mounts: readonly MountStep[], hostPaths: readonly string[]): string[] {
  return hostPaths.filter((p) => hostPathInside(mounts, p) !== undefined);
}
