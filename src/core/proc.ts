// Facts about live processes from /proc: start times (a pid plus its start time names one
// process for good, since pids are reused) and children. Reads only; nothing here signals.
import { readFileSync } from "node:fs";

/** Field 22 of /proc/PID/stat (proc(5)): start time in clock ticks after boot; undefined if gone. */
export function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** True while `pid` is still the process that started at `start`. */
export function isSameProcess(pid: number, start: number): boolean {
  return startTime(pid) === start;
}

/** Direct children of a process (/proc/PID/task/PID/children, Linux 3.5+). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
