// What `run` and `plan` share: argv → (profile, flags) → spec draft → normalised spec.
// Any problem with the input ends here as a UsageError (exit 2) before anything is touched.
import { UsageError } from "../core/errors.ts";
import type { PlanContext } from "../spec/context.ts";
import type { NormalSpec } from "../spec/normalize.ts";
import { formatIssue, planSpec } from "../spec/plan.ts";
import { parseSandboxArgs, type ExtraFlag, type ParsedArgs } from "./parse-args.ts";
import { loadProfile } from "./profile.ts";
import { newDraft, toSpecInput } from "./sandbox-options.ts";

export const PROFILE_FLAG: ExtraFlag = { name: "profile", args: ["FILE"], help: "read options from a TOML or JSON profile first" };

export interface SandboxRequest {
  spec: NormalSpec;
  extras: ParsedArgs["extras"];
}

export function planFromArgs(args: readonly string[], extraFlags: readonly ExtraFlag[], usage: string, ctx: PlanContext): SandboxRequest {
  const parsed = parseSandboxArgs(args, [PROFILE_FLAG, ...extraFlags], usage);
  const profile = parsed.extras.get("profile");
  const draft = newDraft(ctx);
  for (const { option, values, where } of [...(profile ? loadProfile(profile[0]!) : []), ...parsed.options]) {
    option.apply(draft, values, where);
  }
  if (parsed.command.length === 0) throw new UsageError("no command given", `usage: ${usage}`);
  const result = planSpec(toSpecInput(draft, parsed.command), ctx);
  if (!result.ok) {
    const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : "";
    throw new UsageError(`${formatIssue(result.issues[0]!)}${more}`);
  }
  return { spec: result.spec, extras: parsed.extras };
}
