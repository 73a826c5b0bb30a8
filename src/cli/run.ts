// `nsbox run [OPTIONS] -- COMMAND [ARG...]`: plan the sandbox from flags and profile, then
// hand it to the core, which execs into the stage and never returns.
import { execute } from "../core/execute.ts";
import type { PlanContext } from "../spec/context.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { planFromArgs } from "./sandbox-command.ts";
import { riskWarnings } from "../spec/risks.ts";
import { logger } from "../core/log.ts";

const log = logger("run");

export const RUN_USAGE = "nsbox run [OPTIONS] -- COMMAND [ARG...]";

export function runCommand(args: readonly string[], ctx: PlanContext): never {
  const { spec, extras } = planFromArgs(args, LOG_FLAGS, RUN_USAGE, ctx);
  applyLogFlags(extras);
  for (const warning of riskWarnings(spec)) log.warn(warning);
  return execute(spec);
}
