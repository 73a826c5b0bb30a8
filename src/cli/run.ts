// `nsbox run [OPTIONS] -- COMMAND [ARG...]`: plan the sandbox from flags and profile, then
// hand it to the core, which execs into the stage and never returns.
import { execute } from "../core/execute.ts";
import type { PlanContext } from "../model/context.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { planFromArgs } from "./sandbox-command.ts";
import { riskWarnings } from "../model/risks.ts";
import { logger } from "../core/log.ts";
import { unwritableBindWarnings } from "../core/bind-access.ts";
import { tracePhase } from "../core/trace.ts";

const log = logger("run");

export const RUN_USAGE = "nsbox run [OPTIONS] -- COMMAND [ARG...]";

/** True when a plugin may be involved: only then is the plugin registry loaded at all. */
export function mentionsPlugin(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => /^--(plugin|config-dir)(=|$)/.test(a));
}

export async function runCommand(args: readonly string[], ctx: PlanContext): Promise<never> {
  const { rest, plugin } = mentionsPlugin(args)
    ? await (await import("./plugin-args.ts")).pluginFromArgs(args, LOG_FLAGS, ctx)
    : { rest: [...args], plugin: undefined };
  tracePhase("context read");
  const { spec, extras } = planFromArgs(rest, LOG_FLAGS, RUN_USAGE, ctx, plugin, true);
  tracePhase("parsed and planned");
  applyLogFlags(extras);
  for (const warning of [...riskWarnings(spec), ...unwritableBindWarnings(spec)]) log.warn(warning);
  return execute(spec);
}
