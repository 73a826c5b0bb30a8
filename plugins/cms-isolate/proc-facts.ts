// Facts about a running instance, read from /proc and the cgroup file system (proc(5),
// cgroups(7)): its id range, memory in use, uptime, whether its server listens inside its own
// network namespace, and whether its supervisor is still there. Reads only.
import { readFileSync } from "node:fs";

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The host uids the process's ids map to (/proc/PID/uid_map, read from the host's namespace):
 * its first range. A root launch maps 0.. onto the name's range; a rootless one the caller alone.
 */
export function idRangeOf(pid: number): { start: number; count: number } | undefined {
  const line = read(`/proc/${pid}/uid_map`)?.trim().split("\n")[0];
  const [, outside, count] = (line ?? "").trim().split(/\s+/).map(Number);
  return Number.isInteger(outside) && Number.isInteger(count) ? { start: outside!, count: count! } : undefined;
}

/** Where the memory controller is mounted: cgroup v2's root, or a v1 hierarchy naming it (proc(5) mountinfo). */
function memoryMount(): { path: string; version: 1 | 2 } | undefined {
  const mounts = (read("/proc/self/mountinfo") ?? "").split("\n").map((line) => {
    const [left, right] = line.split(" - ");
    const [fstype, , superOptions] = (right ?? "").split(" ");
    return { mountPoint: left?.split(" ")[4] ?? "", fstype, superOptions: superOptions ?? "" };
  });
  const v1 = mounts.find((m) => m.fstype === "cgroup" && m.superOptions.split(",").includes("memory"));
  if (v1) return { path: v1.mountPoint, version: 1 };
  const v2 = mounts.find((m) => m.fstype === "cgroup2");
  return v2 && { path: v2.mountPoint, version: 2 };
}

/** Bytes of memory the process's cgroup uses (v2 memory.current, v1 memory.usage_in_bytes), when it has one. */
export function memoryOf(pid: number): number | undefined {
  const mount = memoryMount();
  if (!mount) return undefined;
  const lines = read(`/proc/${pid}/cgroup`)?.split("\n") ?? [];
  const own = mount.version === 2 ? lines.find((l) => l.startsWith("0::")) : lines.find((l) => l.split(":")[1]?.split(",").includes("memory"));
  const path = own?.slice(own.indexOf(":", own.indexOf(":") + 1) + 1);
  if (path === undefined || path === "/") return undefined;
  const bytes = read(`${mount.path}${path}/${mount.version === 2 ? "memory.current" : "memory.usage_in_bytes"}`);
  return bytes === undefined ? undefined : Number(bytes.trim());
}

/** Seconds since the process started (proc(5): stat field 22, in clock ticks since boot). */
export function uptimeOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  const boot = read("/proc/uptime");
  if (!stat || !boot) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // sysconf(_SC_CLK_TCK) is 100 on every Linux architecture nsbox builds for.
  const started = Number(fields[19]) / 100;
  return Math.max(0, Math.round(Number(boot.split(" ")[0]) - started));
}

/** Whether a process with this pid exists and is not a zombie (an exited child nobody reaped yet). */
export function isAlive(pid: number, startTicks?: string): boolean {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return false;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return false;
  return startTicks === undefined || fields[19] === startTicks;
}

/** The start time of a process in clock ticks (stat field 22): with its pid, it names it for good. */
export function startTicksOf(pid: number): string | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

/**
 * Whether something listens on TCP `port` in the network namespace of `pid` (its
 * /proc/PID/net/tcp and tcp6: state 0A is LISTEN), on loopback or on every address.
 */
export function listensInside(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["tcp", "tcp6"]) {
    const lines = read(`/proc/${pid}/net/${table}`)?.split("\n").slice(1) ?? [];
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f[3] === "0A" && f[1]?.endsWith(`:${hexPort}`)) return true;
    }
  }
  return false;
}
