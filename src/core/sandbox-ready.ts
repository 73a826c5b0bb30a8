// When a running sandbox may be joined: once its command has been exec'd, never before. Its record
// exists before the stage runs, and its first process from the stage's clone on (run.c child()),
// but that process builds the sandbox only afterwards: it unshares the cgroup and time namespaces,
// builds the root and pivots into it, sets the hostname, loopback and sysctls, and only then does
// the payload set up its ids, capabilities and filter and exec (payload.c). A process joining
// earlier would find a mount namespace that is still a copy of the host's tree (or the host's
// cgroup namespace) and see the host under the sandbox's ids.
//
// "Exec'd" is the kernel's own mark: PF_FORKNOEXEC is set on every new process (copy_process) and
// cleared by its first successful execve (begin_new_exec), and /proc/PID/stat shows it to anyone
// whatever the process's dumpable state, so a caller without root, who may not open the init's
// /proc files, gets the same answer as root. It only moves forward: after the payload's exec the
// init changes nothing any more (init.c waits and forwards signals), so namespaces opened after
// readiness was seen, while init and command are still the same processes (pid and start time),
// are the built sandbox's. A command that is the stage binary itself counts as exec'd too: it was.
import { NsboxError } from "../base/errors.ts";
import { childrenOf, hasExeced, hasExited, procStat, type ProcReader, type ProcStat } from "./proc.ts";
import { isRunning, type SandboxRecord } from "./sandbox-record.ts";
import { logger } from "./log.ts";
import { nodeFs } from "./sys/node-fs.ts";

const log = logger("exec");

/** A pid and its start time: one process for good. */
export interface LiveProcess {
  pid: number;
  start: number;
}

export type SandboxState = { state: "ready"; init: LiveProcess; command: LiveProcess } | { state: "starting" } | { state: "ended" };

const STARTING: SandboxState = { state: "starting" };

/** The oldest child of `parent` that has not exited, with its stat. */
function firstChild(parent: number, fs: ProcReader): { pid: number; stat: ProcStat } | undefined {
  const pid = childrenOf(parent, fs)[0];
  const stat = pid === undefined ? undefined : procStat(pid, fs);
  // The parent read again from the child's own stat: the pid may have been reused since the list.
  return stat && stat.ppid === parent && !hasExited(stat) ? { pid: pid!, stat } : undefined;
}

/**
 * Where the sandbox of `record` stands: ended (its supervisor is gone), starting (no init yet, or
 * its command not exec'd yet; an init or command that just exited reads so too, until the
 * supervisor follows it), or ready, with its init and command (the same process without an init
 * of its own).
 */
export function sandboxState(record: SandboxRecord, fs: ProcReader = nodeFs): SandboxState {
  if (!isRunning(record, fs)) return { state: "ended" };
  const init = firstChild(record.pid, fs);
  if (!init) return STARTING;
  const ownInit = record.spec.process.init;
  // The stage's init never execs: an exec'd child is something else (before nsbox exec'd the stage).
  if (ownInit && hasExeced(init.stat)) return STARTING;
  const command = ownInit ? firstChild(init.pid, fs) : init;
  if (!command || !hasExeced(command.stat)) return STARTING;
  return { state: "ready", init: { pid: init.pid, start: init.stat.startTime }, command: { pid: command.pid, start: command.stat.startTime } };
}

export interface ReadyWait {
  fs?: ProcReader;
  /** How long a sandbox may take to start: it takes milliseconds, more on a loaded host. */
  totalMs?: number;
  pollMs?: number;
  now?: () => number;
  sleep?: (ms: number) => void;
}

/**
 * The init and command of the sandbox once it is ready, polling /proc while it starts. A sandbox
 * still starting after `totalMs`, or one that ended, is an error: it is never joined early.
 */
export function awaitSandboxReady(record: SandboxRecord, { fs = nodeFs, totalMs = 5000, pollMs = 5, now = Date.now, sleep = Bun.sleepSync }: ReadyWait = {}): { init: LiveProcess; command: LiveProcess } {
  const deadline = now() + totalMs;
  for (let first = true; ; first = false) {
    const s = sandboxState(record, fs);
    if (s.state === "ready") return { init: s.init, command: s.command };
    if (s.state === "ended") throw new NsboxError(`the sandbox ${record.name} ended`);
    if (now() >= deadline) throw new NsboxError(`the sandbox ${record.name} is still starting; try again`);
    if (first) log.debug(`the sandbox ${record.name} is still starting: waiting up to ${totalMs} ms for its command to run`);
    sleep(pollMs);
  }
}
