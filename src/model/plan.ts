// From an input (flags, profile, plugin) to the normalised spec, or to the issues that stop it:
// schema, then cross-field rules, then the normaliser. Pure; nothing here touches the host.
import * as v from "valibot";
import type { PlanContext } from "./context.ts";
import { normalizeSpec, type NormalSpec } from "./normalize.ts";
import { checkRules, type SpecIssue } from "./rules.ts";
import { SandboxSpec, type SandboxSpecInput } from "./schema.ts";

export type PlanResult = { ok: true; spec: NormalSpec } | { ok: false; issues: SpecIssue[] };

export function planSpec(input: SandboxSpecInput | unknown, ctx: PlanContext): PlanResult {
  const parsed = v.safeParse(SandboxSpec, input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.issues.map((i) => ({ message: i.message, path: v.getDotPath(i) ?? "" })),
    };
  }
  const issues = checkRules(parsed.output, ctx);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, spec: normalizeSpec(parsed.output, ctx) };
}

/** `× must be an absolute path → at mounts.0.src` (valibot's summarize style), one issue a line. */
export function formatIssue(issue: SpecIssue): string {
  return `× ${issue.message}${issue.path ? ` → at ${issue.path}` : ""}`;
}
