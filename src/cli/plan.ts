// `nsbox plan [OPTIONS] -- COMMAND`: print the normalised sandbox, one line per step, as JSON
// (--json) or as the stage's wire bytes (--wire). Needs no root and changes nothing.
import { describeSpec } from "../model/describe.ts";
import type { PlanContext } from "../model/context.ts";
import { encodeWire } from "../native/wire.ts";
import { UsageError } from "../core/errors.ts";
import { compileSeccomp } from "../core/seccomp.ts";
import type { ExtraFlag } from "./parse-args.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { planFromArgs } from "./sandbox-command.ts";
import { pluginFromArgs } from "./plugin-args.ts";
import { unwritableBindWarnings } from "../core/bind-access.ts";
import { logger } from "../core/log.ts";

const log = logger("plan");

export const PLAN_USAGE = "nsbox plan [OPTIONS] [--json|--wire] -- COMMAND [ARG...]";

export const PLAN_FLAGS: readonly ExtraFlag[] = [
  ...LOG_FLAGS,
  { name: "json", args: [], help: "print the spec as JSON" },
  { name: "wire", args: [], help: "print the stage's wire format (run it later: nsbox-stage --spec-fd 3 3<FILE)" },
];

/** Returns what to print on stdout. */
export async function planCommand(args: readonly string[], ctx: PlanContext): Promise<string | Uint8Array> {
  const { rest, plugin } = await pluginFromArgs(args, PLAN_FLAGS, ctx);
  const { spec, extras } = planFromArgs(rest, PLAN_FLAGS, PLAN_USAGE, ctx, plugin);
  applyLogFlags(extras);
  for (const warning of unwritableBindWarnings(spec)) log.warn(warning);
  if (extras.has("json") && extras.has("wire")) throw new UsageError("--json and --wire exclude each other");
  // A saved wire spec runs without nsbox: it carries the compiled filter (needs libseccomp).
  if (extras.has("wire")) return encodeWire(spec, { seccompBpf: compileSeccomp(spec.security.seccomp) });
  if (extras.has("json")) return `${JSON.stringify(spec, null, 2)}\n`;
  return `${describeSpec(spec).join("\n")}\n`;
}
