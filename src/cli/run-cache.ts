// The plan cache's side of a plain `nsbox run` (core/plan-cache.ts): before anything of the
// planning pipeline loads, look the line up; on a hit, launch the cached spec (the per-start
// host preparation runs as always); on a miss, hand `run` the context it read and a way to keep
// what it plans. NSBOX_PLAN_CACHE=0 turns it off.
import { execute } from "../core/execute.ts";
import { contextForSandbox } from "../core/id-ranges.ts";
import { logger, setLogLevel } from "../core/log.ts";
import { binaryIdentity, planCacheDir, readCachedPlan, storeCachedPlan, type CachedPlan } from "../core/plan-cache.ts";
import { tracePhase } from "../core/trace.ts";
import type { PlanContext } from "../model/context.ts";
import { planContextDeps, readPlanContext } from "./context.ts";
import type { FrontLine } from "../core/front-entry.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { launchSpec } from "./launch-spec.ts";
import { mentionsPlugin } from "./plugin-mention.ts";
import { VERSION } from "./version.ts";

const log = logger("run");

/** What `run` plans with after a miss: the context already read, and where to keep the plan. */
export interface PlanCacheMiss {
  ctx: PlanContext;
  /** Keeps a plan for this exact line; absent when the line may not be cached at all. */
  store?: (plan: CachedPlan) => void;
  /** Launches the planned spec: a kept plan is offered to the front too (src/native/FRONT.md). */
  launch?: (spec: NormalSpec) => never;
}

/**
 * Everything the plan of `args` can depend on: argv, the whole context (ids, environment, cwd,
 * subordinate ranges, host layout), this nsbox and its binary, the kernel.
 */
export function planCacheKey(args: readonly string[], ctx: PlanContext, binary: string): string {
  return JSON.stringify({ version: VERSION, binary, argv: args, ctx });
}

/**
 * A named sandbox's entry holds the range it was planned in. Planning would claim the name's
 * range now (recorded, or picked and recorded when it was given back): so does this, and the
 * entry is used only when that is the very same range. Anything else, a failure included, is a
 * miss: the run plans afresh and says what is wrong itself.
 */
function inSameRange(entry: CachedPlan, ctx: PlanContext): boolean {
  if (!entry.range) return true;
  try {
    const now = contextForSandbox(ctx, entry.range.input, true);
    return JSON.stringify([now.subuid, now.subgid]) === JSON.stringify([entry.range.subuid, entry.range.subgid]);
  } catch {
    return false;
  }
}

/** Launches the cached plan of `args` and never returns; returns what `run` needs on a miss. */
export function runFromCache(args: readonly string[]): PlanCacheMiss {
  const ctx = readPlanContext();
  tracePhase("context read");
  const binary = (process.env.NSBOX_PLAN_CACHE ?? "1") === "0" || mentionsPlugin(args) ? undefined : binaryIdentity();
  if (binary === undefined) return { ctx };
  const key = planCacheKey(args, ctx, binary);
  const dir = planCacheDir(ctx.uid, process.env);
  const entry = readCachedPlan(dir, key, ctx.uid);
  const hit = entry && inSameRange(entry, ctx) ? entry : undefined;
  tracePhase(hit ? "plan cache hit" : "plan cache miss");
  // The front serves a line with no flag of its own to honour (a log level); a name's range it
  // keeps by the files that record it (FRONT.md "Which lines get an entry").
  const front: FrontLine = { argv: ["run", ...args], ctx, deps: () => planContextDeps(ctx) };
  const frontFor = (plan: CachedPlan) => (plan.logLevel === undefined ? { front: plan.range ? { ...front, range: plan.range } : front } : {});
  if (hit) {
    if (hit.logLevel !== undefined) setLogLevel(hit.logLevel);
    return launchSpec(hit.spec, (spec) => execute(spec, frontFor(hit)));
  }
  let kept: CachedPlan | undefined;
  const store = (plan: CachedPlan) => {
    try {
      storeCachedPlan(dir, key, plan, ctx.uid);
      kept = plan;
      tracePhase("plan cached");
    } catch (e) {
      // A cache that cannot be written costs the next run its speed, never this run its start.
      log.debug(`plan cache: not kept: ${(e as Error).message}`);
    }
  };
  const launch = (spec: NormalSpec) => execute(spec, kept?.spec === spec ? frontFor(kept) : {});
  return { ctx, store, launch };
}
