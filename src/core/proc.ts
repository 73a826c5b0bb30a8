// Facts about live processes from /proc: start times (a pid plus its start time names one
// process for good, since pids are reused) and children. Reads only; nothing here signals.
import { readFileSync } from "node:fs";
import { nodeFs } from "./sys/node-fs.ts";
import type { HostFs } from "./sys/sys.ts";

type ProcReader = Pick<HostFs, "readFile">;

/** Fields 3 on of /proc/PID/stat (proc(5)); undefined when the process is gone. */
function statFields(pid: number, fs: ProcReader): string[] | undefined {
  try {
    const stat = fs.readFile(`/proc/${pid}/stat`);
    // The command (field 2) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat: start time in clock ticks after boot; undefined if gone. */
export function startTime(pid: number, fs: ProcReader = nodeFs): number | undefined {
  const fields = statFields(pid, fs);
  return fields ? Number(fields[19]) : undefined;
}

/**
 * True while `pid` is still the process that started at `start` and has not exited: a zombie
 * (state Z, or X while being reaped) keeps its pid and start time until its parent reaps it.
 */
export function isSameProcess(pid: number, start: number, fs: ProcReader = nodeFs): boolean {
  const fields = statFields(pid, fs);
  return fields !== undefined && Number(fields[19]) === start && fields[0] !== "Z" && fields[0] !== "X";
}

/** Direct children of a process (/proc/PID/task/PID/children, Linux 3.5+). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
