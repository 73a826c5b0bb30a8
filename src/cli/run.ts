// `nsbox run [OPTIONS] -- COMMAND [ARG...]`: plan the sandbox from flags and profile, then
// hand it to the core, which execs into the stage and never returns.
import { mentionsFlag } from "../base/argv.ts";
import { execute } from "../core/execute.ts";
import type { PlanContext } from "../model/context.ts";
import type { CliIo } from "./io.ts";
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
  return mentionsFlag(args, ["--plugin", "--config-dir"]);
}

export async function runCommand(args: readonly string[], ctx: PlanContext, io: Pick<CliIo, "launch" | "facts"> = {}): Promise<never> {
  const { rest, plugin } = mentionsPlugin(args)
    ? await (await import("./plugin-args.ts")).pluginFromArgs(args, LOG_FLAGS, ctx)
    : { rest: [...args], plugin: undefined };
  tracePhase("context read");
  const { spec, extras } = planFromArgs(rest, LOG_FLAGS, RUN_USAGE, ctx, plugin, { facts: io.facts, claimRange: true });
  tracePhase("parsed and planned");
  applyLogFlags(extras);
  for (const warning of [...riskWarnings(spec), ...unwritableBindWarnings(spec)]) log.warn(warning);
  return (io.launch ?? execute)(spec);
}
