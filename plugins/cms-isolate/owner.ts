// The process that owns an instance's start: the `run` that is, or is about to become (once it
// execs into the stage, keeping its pid), the instance's supervisor. `up` names its `run` child,
// right after spawning it, under the instances lock; a `run` started directly (a systemd unit)
// names itself. Between that claim and the core's record of the sandbox (Bun starts, plans and
// prepares the host: tens of ms) it is the only sign that the instance is taken. A process is
// named by pid and start time (proc(5) stat field 22): a pid reused later is not the owner. An
// owner that is gone (a run that failed, one killed with SIGKILL) is stale and counts for nothing.
import { readlinkSync } from "node:fs";
import { isAlive, startTicksOf } from "./proc-facts.ts";

export interface Owner {
  pid: number;
  /** Clock ticks after boot (proc(5) stat field 22). */
  startTime: number;
}

/** The process `pid` as an owner, or undefined when it is gone. */
export function ownerOf(pid: number): Owner | undefined {
  const ticks = startTicksOf(pid);
  return ticks === undefined ? undefined : { pid, startTime: Number(ticks) };
}

/** Whether `owner` names this very process (a `run` that `up` claimed the instance for). */
export function isMe(owner: Owner): boolean {
  return owner.pid === process.pid && owner.startTime === ownerOf(process.pid)?.startTime;
}

/** The same process, or no owner on either side. */
export const sameOwner = (a: Owner | undefined, b: Owner | undefined) => a?.pid === b?.pid && a?.startTime === b?.startTime;

/** The owner if it is still that process and has not ended (a zombie has ended). */
export function liveOwner(owner: Owner | undefined): Owner | undefined {
  return owner && isAlive(owner.pid, String(owner.startTime)) ? owner : undefined;
}

function exeOf(pid: number | "self"): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return undefined;
  }
}

/**
 * What a live owner without a sandbox record is doing: still nsbox (the same executable as this
 * one) is a start in progress; the stage (exec'd from a memfd or its cache file) whose record is
 * gone is tearing the instance down.
 */
export function phaseOf(owner: Owner): "starting" | "stopping" {
  const exe = exeOf(owner.pid);
  return exe === undefined || exe === exeOf("self") ? "starting" : "stopping";
}
