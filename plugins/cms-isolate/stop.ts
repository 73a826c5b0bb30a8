// Stopping an instance: SIGTERM to the stage's supervisor (it forwards the signal to the server
// through the sandbox's init), then, past a deadline, SIGKILL, whose death takes the sandbox's
// PID 1 and everything under it (pid_namespaces(7)). The supervisor is named by pid and start
// time, checked right before each signal, so a pid recycled by then is not signalled (a pidfd
// would close the last gap between check and kill; a plugin has no system calls of its own).
import { isAlive, startTicksOf } from "./proc-facts.ts";

/** How long the server gets to end on SIGTERM before SIGKILL. */
export const TERM_GRACE_MS = 10_000;

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the process is gone (or a zombie), checking every few ms, up to `ms`. */
export async function waitGone(pid: number, startTicks: string | undefined, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  for (let every = 2; isAlive(pid, startTicks); every = Math.min(every * 2, 50)) {
    if (performance.now() > end) return false;
    await tick(every);
  }
  return true;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

/**
 * Ends the supervisor `pid` (the one that started at `startTime`, when known), or the run that is
 * about to become it: Bun before its exec into the stage has no handler for SIGTERM and ends on it
 * (what the core prepared by then is `nsbox gc`'s). SIGTERM, then SIGKILL after `graceMs`.
 * Returns how it ended.
 */
export async function stopSupervisor(pid: number, startTime?: number, graceMs = TERM_GRACE_MS): Promise<"terminated" | "killed" | "gone"> {
  const ticks = startTime === undefined ? startTicksOf(pid) : String(startTime);
  if (ticks === undefined || !isAlive(pid, ticks)) return "gone";
  signal(pid, "SIGTERM");
  if (await waitGone(pid, ticks, graceMs)) return "terminated";
  if (isAlive(pid, ticks)) signal(pid, "SIGKILL");
  await waitGone(pid, ticks, 5_000);
  return "killed";
}
