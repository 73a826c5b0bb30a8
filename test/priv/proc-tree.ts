// Process trees read from /proc, for the privileged tests and the fixtures they start (which
// cannot import the bun:test harness).
import { readdirSync, readFileSync } from "node:fs";

/** The children of pid (all its threads'), in the order the kernel lists them; [] once it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** pid's descendants, depth first. */
export function descendantsOf(pid: number): number[] {
  return childrenOf(pid).flatMap((c) => [c, ...descendantsOf(c)]);
}
