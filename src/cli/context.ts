// Reads the PlanContext from the host once per command: who runs nsbox, its environment and
// the subordinate id range that root-started sandboxes map onto (/etc/subuid convention), and
// the host's OS layout the default root is made of.
import { readFileSync } from "node:fs";
import { DEFAULT_SUBID_COUNT, DEFAULT_SUBID_START } from "../model/defaults.ts";
import type { PlanContext, SubIdRange } from "../model/context.ts";
import { readHostLayout } from "../core/host-layout.ts";

/** The owner name nsbox looks up in /etc/subuid and /etc/subgid (as podman uses `containers`). */
export const SUBID_OWNER = "nsbox";

/** The first `nsbox:START:COUNT` line of a subuid(5)/subgid file, or the built-in range. */
export function findSubIdRange(text: string | undefined, file: string): SubIdRange {
  for (const line of (text ?? "").split("\n")) {
    const [owner, start, count] = line.trim().split(":");
    if (owner === SUBID_OWNER && /^\d+$/.test(start ?? "") && /^[1-9]\d*$/.test(count ?? "")) {
      return { start: Number(start), count: Math.min(Number(count), 65536), source: `${file} entry for ${SUBID_OWNER}`, entryCount: Number(count) };
    }
  }
  return { start: DEFAULT_SUBID_START, count: DEFAULT_SUBID_COUNT, source: `built-in default (no ${SUBID_OWNER} entry in ${file})` };
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

export function readPlanContext(): PlanContext {
  const env: Record<string, string> = {};
  for (const [k, val] of Object.entries(process.env)) if (val !== undefined) env[k] = val;
  return {
    uid: process.getuid!(),
    gid: process.getgid!(),
    env,
    cwd: process.cwd(),
    subuid: findSubIdRange(readOptional("/etc/subuid"), "/etc/subuid"),
    subgid: findSubIdRange(readOptional("/etc/subgid"), "/etc/subgid"),
    host: readHostLayout(),
  };
}
