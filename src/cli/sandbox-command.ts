// What `run` and `plan` share: argv → (profile, flags) → spec draft → normalised spec.
// Any problem with the input ends here as a UsageError (exit 2) before anything is touched.
import { UsageError } from "../core/errors.ts";
import { planWithRange } from "../core/id-ranges.ts";
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { formatIssue, planSpec } from "../model/plan.ts";
import { parseSandboxArgs, type ExtraFlag, type ParsedArgs } from "./parse-args.ts";
import { loadProfile } from "./profile.ts";
import { newDraft, toSpecInput } from "./sandbox-options.ts";
import type { SandboxSpecInput } from "../model/schema.ts";
import { planWithPlugin, type PluginUse } from "../plugin/plan-with-plugin.ts";

export const PROFILE_FLAG: ExtraFlag = { name: "profile", args: ["FILE"], help: "read options from a TOML or JSON profile first" };

export interface SandboxRequest {
  spec: NormalSpec;
  extras: ParsedArgs["extras"];
}

/** The spec input flags and profile describe (defaults first), not yet validated. */
export function inputFromArgs(
  args: readonly string[],
  extraFlags: readonly ExtraFlag[],
  usage: string,
  ctx: PlanContext,
  requireCommand = true,
): { input: SandboxSpecInput; extras: ParsedArgs["extras"] } {
  const parsed = parseSandboxArgs(args, [PROFILE_FLAG, ...extraFlags], usage);
  const profile = parsed.extras.get("profile");
  const draft = newDraft(ctx);
  for (const { option, values, where } of [...(profile ? loadProfile(profile[0]!) : []), ...parsed.options]) {
    option.apply(draft, values, where);
  }
  if (requireCommand && parsed.command.length === 0) throw new UsageError("no command given", `usage: ${usage}`);
  return { input: toSpecInput(draft, parsed.command), extras: parsed.extras };
}

/**
 * The validated, normalised spec; with a plugin, the one its plan() makes of it (plan-with-plugin.ts).
 * `claimRange`: a named root launch records its id range (run); otherwise it is only looked up.
 */
export function planFromArgs(args: readonly string[], extraFlags: readonly ExtraFlag[], usage: string, ctx: PlanContext, plugin?: PluginUse, claimRange = false): SandboxRequest {
  const { input, extras } = inputFromArgs(args, extraFlags, usage, ctx);
  const named = planWithRange(ctx, input, claimRange, (c) => planSpec(input, c), (r) => r.ok);
  const result = named.result;
  ctx = named.ctx;
  if (!result.ok) {
    const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : "";
    throw new UsageError(`${formatIssue(result.issues[0]!)}${more}`);
  }
  return { spec: plugin ? planWithPlugin(plugin, input, result.spec, ctx) : result.spec, extras };
}
