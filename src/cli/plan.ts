// `nsbox plan [OPTIONS] -- COMMAND`: print the normalised sandbox, one line per step, as JSON
// (--json) or as the stage's wire bytes (--wire); or save it as an executable plan that starts
// with the installed stage alone (--save FILE). Needs no root and changes nothing else.
import { describeSpec } from "../model/describe.ts";
import type { PlanContext } from "../model/context.ts";
import { encodeWire } from "../native/wire.ts";
import { UsageError } from "../core/errors.ts";
import { compileSeccomp } from "../core/seccomp.ts";
import type { ExtraFlag } from "./parse-args.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { planFromArgs } from "./sandbox-command.ts";
import { pluginFromArgs } from "./plugin-args.ts";
import { VERSION } from "./entry.ts";
import { savePlan } from "../core/save-plan.ts";
import { DEFAULT_STAGE_PATH } from "../core/stage-install.ts";
import { unwritableBindWarnings } from "../core/bind-access.ts";
import { logger } from "../core/log.ts";

const log = logger("plan");

export const PLAN_USAGE = "nsbox plan [OPTIONS] [--json|--wire|--save FILE] -- COMMAND [ARG...]";

export const PLAN_FLAGS: readonly ExtraFlag[] = [
  ...LOG_FLAGS,
  { name: "json", args: [], help: "print the spec as JSON" },
  { name: "wire", args: [], help: "print the stage's wire format (run it later: nsbox-stage --spec-fd 3 3<FILE)" },
  { name: "save", args: ["FILE"], help: "write an executable plan: FILE [ARG...] starts this sandbox through the installed stage, without nsbox (see nsbox stage install)" },
  { name: "append-args", args: [], help: "with --save: arguments given after FILE are appended to the command (default: refused)" },
  { name: "stage", args: ["PATH"], help: `with --save: the installed stage the plan runs with (default ${DEFAULT_STAGE_PATH})` },
];

/** Returns what to print on stdout. */
export async function planCommand(args: readonly string[], ctx: PlanContext): Promise<string | Uint8Array> {
  const { rest, plugin } = await pluginFromArgs(args, PLAN_FLAGS, ctx);
  const { spec, extras } = planFromArgs(rest, PLAN_FLAGS, PLAN_USAGE, ctx, plugin);
  applyLogFlags(extras);
  for (const warning of unwritableBindWarnings(spec)) log.warn(warning);
  if ([extras.has("json"), extras.has("wire"), extras.has("save")].filter(Boolean).length > 1) throw new UsageError("--json, --wire and --save exclude each other");
  if (!extras.has("save") && (extras.has("append-args") || extras.has("stage"))) throw new UsageError("--append-args and --stage go with --save FILE");
  if (extras.has("save")) {
    const stagePath = extras.get("stage")?.[0] ?? DEFAULT_STAGE_PATH;
    savePlan(spec, { file: extras.get("save")![0]!, stagePath, version: VERSION, appendArgs: extras.has("append-args"), plugin: plugin !== undefined });
    return "";
  }
  // A saved wire spec runs without nsbox: it carries the compiled filter (needs libseccomp).
  if (extras.has("wire")) return encodeWire(spec, { seccompBpf: compileSeccomp(spec.security.seccomp) });
  if (extras.has("json")) return `${JSON.stringify(spec, null, 2)}\n`;
  return `${describeSpec(spec).join("\n")}\n`;
}
