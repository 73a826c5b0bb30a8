// What the host side of `nsbox selftest` reads to judge a probe for itself: fields of
// /proc/PID/stat and /proc/PID/status, the attach count of a SysV segment, a process's cgroups.
// Pure parsers of the kernel's text (proc(5)); the reads themselves are in fixtures.ts.

/** Field 3 of /proc/PID/stat: R, S, D, T (stopped), t (tracing stop), Z ... */
export function parseProcState(stat: string): string | undefined {
  // The command (field 2) may contain spaces and parentheses: the state follows the last ')'.
  const after = stat.slice(stat.lastIndexOf(")") + 2);
  return after.split(" ")[0] || undefined;
}

function statusField(status: string, key: string): string | undefined {
  const line = status.split("\n").find((l) => l.startsWith(`${key}:`));
  return line?.slice(key.length + 1).trim();
}

/** TracerPid of /proc/PID/status: 0 when nobody ptraces the process. */
export function parseTracerPid(status: string): number | undefined {
  const v = statusField(status, "TracerPid");
  return v === undefined ? undefined : Number(v);
}

/** NSpid of /proc/PID/status: the pid in each PID namespace, outermost first. */
export function parseNsPids(status: string): number[] {
  return (statusField(status, "NSpid") ?? "").split(/\s+/).filter(Boolean).map(Number);
}

/** shm_nattch of a segment in /proc/sysvipc/shm (columns: key shmid perms size cpid lpid nattch ...). */
export function parseShmAttaches(table: string, id: number): number | undefined {
  for (const line of table.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (Number(cols[1]) === id && cols.length > 6) return Number(cols[6]);
  }
  return undefined;
}
