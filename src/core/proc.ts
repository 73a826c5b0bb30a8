// Facts about live processes from /proc: start times (a pid plus its start time names one
// process for good, since pids are reused), parents, children and whether a process has exec'd.
// Reads only; nothing here signals. /proc/PID/stat is readable by anyone for every process.
import { nodeFs } from "./sys/node-fs.ts";
import type { HostFs } from "./sys/sys.ts";

export type ProcReader = Pick<HostFs, "readFile">;

/** The fields of /proc/PID/stat (proc(5)) that nsbox reads. */
export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (being reaped), ... */
  state: string;
  /** Field 4. */
  ppid: number;
  /** Field 9: the kernel's PF_* flags of the process. */
  flags: number;
  /** Field 22: start time in clock ticks after boot. */
  startTime: number;
}

/** /proc/PID/stat; undefined when the process is gone. */
export function procStat(pid: number, fs: ProcReader = nodeFs): ProcStat | undefined {
  let stat: string;
  try {
    stat = fs.readFile(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command (field 2) may contain spaces and parentheses: split after the last ')'.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: f[0]!, ppid: Number(f[1]), flags: Number(f[6]), startTime: Number(f[19]) };
}

/** Start time in clock ticks after boot; undefined if gone. */
export function startTime(pid: number, fs: ProcReader = nodeFs): number | undefined {
  return procStat(pid, fs)?.startTime;
}

/** A zombie (state Z, or X while being reaped) keeps its pid and start time until its parent reaps it. */
export const hasExited = (s: ProcStat): boolean => s.state === "Z" || s.state === "X";

/** True while `pid` is still the process that started at `start` and has not exited. */
export function isSameProcess(pid: number, start: number, fs: ProcReader = nodeFs): boolean {
  const s = procStat(pid, fs);
  return s !== undefined && s.startTime === start && !hasExited(s);
}

/** PF_FORKNOEXEC (include/linux/sched.h): set on every new process by fork/clone (copy_process), cleared by its first successful execve (begin_new_exec). */
const PF_FORKNOEXEC = 0x40;

/** Whether the process has run an execve since it was forked: from then on it runs a program of its own. */
export const hasExeced = (s: ProcStat): boolean => (s.flags & PF_FORKNOEXEC) === 0;

/** Direct children of a process (/proc/PID/task/PID/children, Linux 3.5+), in the order they became its children. */
export function childrenOf(pid: number, fs: ProcReader = nodeFs): number[] {
  try {
    return fs.readFile(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
