// Writable host data for mapped sandboxes (docs/ids.md): which paths may become state directories
// (--state) and what an idmapped bind (--idmap-bind) may map. Pure checks shared by the option
// parser and the rules, so a profile, a flag and a plugin are refused alike.
import type { PlanContext } from "./context.ts";
import type { IdmapRange, IdRange, SandboxSpec } from "./schema.ts";

/** Trees that hold the system itself: handing them to a sandbox's ids would let it rewrite the OS. */
const SYSTEM_TREES = ["/usr", "/etc", "/bin", "/sbin", "/boot", "/proc", "/sys", "/dev"];

const under = (path: string, top: string) => path === top || path.startsWith(`${top}/`);

/** Why DIR cannot be a state directory, or undefined when it can. */
export function stateDirProblem(dir: string): string | undefined {
  if (dir === "/") return "/ cannot be a state directory: its whole tree would be given to the sandbox";
  const top = SYSTEM_TREES.find((t) => under(dir, t)) ?? (/^\/lib[^/]*(\/|$)/.test(dir) ? `/${dir.split("/")[1]}` : undefined);
  return top ? `${dir} is under ${top}, which belongs to the system; state directories live in data places such as /srv or /var/lib` : undefined;
}

/** `INSIDE:ONDISK[:COUNT]`, comma-separated; a message instead when malformed. */
export function parseIdmap(text: string): IdmapRange[] | string {
  const ranges: IdmapRange[] = [];
  for (const part of text.split(",")) {
    const nums = part.split(":");
    if (nums.length < 2 || nums.length > 3 || !nums.every((n) => /^(0|[1-9][0-9]{0,9})$/.test(n)))
      return `'${part}' is not INSIDE:ONDISK[:COUNT] (whole numbers, e.g. 0:1000 or 33:33:1)`;
    const [inside, onDisk, count = 1] = nums.map(Number) as [number, number, number?];
    if (count < 1 || inside + count > 2 ** 32 || onDisk + count > 2 ** 32) return `'${part}' overflows the id space`;
    ranges.push({ inside, onDisk, count });
  }
  return ranges;
}

export const coversZero = (ranges: readonly IdmapRange[]) => ranges.some((r) => r.onDisk === 0);

function inRanges(id: number, count: number, ranges: readonly { inside: number; count: number }[]): boolean {
  return ranges.some((r) => id >= r.inside && id + count <= r.inside + r.count);
}

/** The inside ids a spec maps, as the normaliser will decide them (explicit maps, or the default). */
function insideMap(spec: SandboxSpec, ctx: PlanContext): readonly IdRange[] {
  if (spec.users.uidMap.length > 0) return spec.users.uidMap;
  return [{ inside: 0, outside: ctx.subuid.start, count: ctx.subuid.count }];
}

/** Issues of state directories and idmapped binds, with the step's path in the spec. */
export function hostDataIssues(spec: SandboxSpec, ctx: PlanContext): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  // Each range is a uid and a gid line on the wire, which carries at most 64 (WIRE.md bind-idmap).
  const ranges = spec.mounts.reduce((n, m) => n + (m.kind === "bind" && m.idmap ? m.idmap.length : 0), 0);
  if (ranges > 32) issues.push({ path: "mounts", message: `idmapped binds have ${ranges} ranges in all; at most 32 fit` });
  spec.mounts.forEach((m, i) => {
    if (m.kind !== "bind") return;
    const path = `mounts.${i}`;
    if (m.state) {
      const problem = stateDirProblem(m.src);
      if (problem) issues.push({ path, message: `--state: ${problem}` });
      if (m.readonly || m.src !== m.dst) issues.push({ path, message: "a state directory is bound writable at its own path" });
    }
    if (!m.idmap) return;
    if (m.state) issues.push({ path, message: "a bind is either a state directory or idmapped, not both" });
    if (ctx.uid !== 0) issues.push({ path, message: "--idmap-bind needs root: idmapping a host filesystem needs CAP_SYS_ADMIN on the host (mount_setattr(2)); use --bind on a directory you own" });
    if (spec.namespaces.user.mode !== "new") issues.push({ path, message: "--idmap-bind maps ids into the sandbox's user namespace: it needs a new one (drop --share user / --join user)" });
    if (spec.users.mapHostRoot) issues.push({ path, message: "--idmap-bind with --map-host-root maps nothing: the sandbox's ids are the host's already; use --bind" });
    if (coversZero(m.idmap) && !spec.users.idmapHostRoot)
      issues.push({ path, message: `--idmap-bind ${m.src}: on-disk uid/gid 0 is mapped, so files written there can land as host root; add --idmap-host-root if that is meant` });
    for (const r of m.idmap) {
      if (!inRanges(r.inside, r.count, insideMap(spec, ctx)))
        issues.push({ path, message: `--idmap-bind ${m.src}: inside ids ${r.inside}-${r.inside + r.count - 1} are not mapped in the sandbox's user namespace` });
    }
    const sorted = [...m.idmap].sort((a, b) => a.onDisk - b.onDisk);
    const sortedIn = [...m.idmap].sort((a, b) => a.inside - b.inside);
    if (sorted.some((r, j) => j > 0 && sorted[j - 1]!.onDisk + sorted[j - 1]!.count > r.onDisk) || sortedIn.some((r, j) => j > 0 && sortedIn[j - 1]!.inside + sortedIn[j - 1]!.count > r.inside))
      issues.push({ path, message: `--idmap-bind ${m.src}: ranges overlap` });
  });
  return issues;
}
