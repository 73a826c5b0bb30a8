// `nsbox run [OPTIONS] -- COMMAND [ARG...]`: plan the sandbox from flags and profile, then
// hand it to the core, which execs into the stage and never returns.
import { execute } from "../core/execute.ts";
import type { CachedPlan } from "../core/plan-cache.ts";
import type { PlanContext } from "../model/context.ts";
import type { CliIo } from "./io.ts";
import { launchSpec } from "./launch-spec.ts";
import { LOG_FLAGS, logLevelOf } from "./log-flags.ts";
import { isCacheablePlan } from "./plan-cache-policy.ts";
import { mentionsPlugin } from "./plugin-mention.ts";
import { planFromArgs } from "./sandbox-command.ts";
import { setLogLevel } from "../core/log.ts";
import { tracePhase } from "../core/trace.ts";

export const RUN_USAGE = "nsbox run [OPTIONS] -- COMMAND [ARG...]";

/**
 * Plans and launches; `store` (from the plan cache, run-cache.ts) keeps the plan when its
 * options make it a pure function of argv and the context (plan-cache-policy.ts).
 */
export async function runCommand(args: readonly string[], ctx: PlanContext, io: Pick<CliIo, "launch" | "facts"> = {}, store?: (plan: CachedPlan) => void): Promise<never> {
  const { rest, plugin } = mentionsPlugin(args)
    ? await (await import("./plugin-args.ts")).pluginFromArgs(args, LOG_FLAGS, ctx)
    : { rest: [...args], plugin: undefined };
  const { spec, extras, uses, range } = planFromArgs(rest, LOG_FLAGS, RUN_USAGE, ctx, plugin, { facts: io.facts, claimRange: true });
  tracePhase("parsed and planned");
  const logLevel = logLevelOf(extras);
  if (logLevel !== undefined) setLogLevel(logLevel);
  if (store && !plugin && isCacheablePlan(uses, extras)) store({ spec, ...(logLevel === undefined ? {} : { logLevel }), ...(range ? { range } : {}) });
  return launchSpec(spec, io.launch ?? execute);
}
