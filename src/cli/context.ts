// Reads the PlanContext from the host once per command: who runs nsbox, its environment and
// the subordinate id range that root-started sandboxes map onto (/etc/subuid convention), and
// the host's OS layout the default root is made of.
import { readFileSync } from "node:fs";
import { DEFAULT_SUBID_COUNT, DEFAULT_SUBID_START } from "../model/defaults.ts";
import type { PlanContext, SubIdRange } from "../model/context.ts";
import { hostLayoutDeps, readHostLayout } from "../core/host-layout.ts";
import { resolutionDeps, uniqueDeps, type FileDep } from "../core/file-deps.ts";

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

const SUBID_FILES = ["/etc/subuid", "/etc/subgid"] as const;

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
    subuid: findSubIdRange(readOptional(SUBID_FILES[0]), SUBID_FILES[0]),
    subgid: findSubIdRange(readOptional(SUBID_FILES[1]), SUBID_FILES[1]),
    host: readHostLayout(),
  };
}

/**
 * The files readPlanContext read the context from (the rest of it, ids, environment and cwd,
 * the front reads itself): while each lstats the same, so does the context (src/native/FRONT.md).
 */
export function planContextDeps(ctx: PlanContext): FileDep[] {
  return uniqueDeps([...SUBID_FILES.flatMap((f) => resolutionDeps(f, true)), ...hostLayoutDeps(ctx.host)]);
}
