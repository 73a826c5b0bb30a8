// A plugin's part of planning: its options are validated, its plan() turns the base sandbox
// (defaults, profile, flags) into the one to run, and that is checked like any other spec and
// against the base (it may add, never loosen). Every failure is one line naming the plugin:
// exit 2 for the caller's mistake (a bad option value), 125 for the plugin's (a throw, a bad spec).
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { formatIssue, planSpec } from "../model/plan.ts";
import type { SandboxSpecInput } from "../model/schema.ts";
import { EXIT } from "../base/errors.ts";
import type { NsboxPlugin } from "./define.ts";
import { loosenings } from "./loosening.ts";
import { validateOptions } from "./options-flags.ts";
import { PluginError } from "../base/errors.ts";
import { pluginFailure } from "./plugin-failure.ts";

/** A plugin chosen for one run, with its options already validated. */
export interface PluginUse {
  plugin: NsboxPlugin;
  options: unknown;
}

/** Validates flag input against the plugin's options schema: a UsageError naming the plugin. */
export function usePlugin(plugin: NsboxPlugin, input: Record<string, unknown>): PluginUse {
  const result = validateOptions(plugin.options, input);
  if (!result.ok) throw new PluginError(plugin.name, result.message, EXIT.usage, `see nsbox plugin info ${plugin.name}`);
  return { plugin, options: result.value };
}

/** What the planning pipeline adds to a plugin's spec before it is validated (host facts). */
export type PrepareInput = (input: SandboxSpecInput) => SandboxSpecInput;

const asIs: PrepareInput = (input) => input;

/**
 * Checks a spec a plugin produced (from plan() or a command): valid, and not looser than `base`
 * (the normalised sandbox the caller's options describe). Returns it normalised.
 */
export function checkPluginSpec(plugin: string, input: unknown, base: NormalSpec, ctx: PlanContext, prepare: PrepareInput = asIs): NormalSpec {
  // Only an object can take host facts; anything else fails validation below, naming the plugin.
  const result = planSpec(typeof input === "object" && input !== null ? prepare(input as SandboxSpecInput) : input, ctx);
  if (!result.ok) {
    const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : "";
    throw new PluginError(plugin, `its plan is not a valid sandbox: ${formatIssue(result.issues[0]!)}${more}`);
  }
  const looser = loosenings(base, result.spec);
  if (looser.length > 0) {
    const more = looser.length > 1 ? ` (and ${looser.length - 1} more)` : "";
    throw new PluginError(plugin, `refused: its sandbox is looser than the one asked for: ${looser[0]}${more}`, EXIT.failed, "a plugin may add to a sandbox, never open it up; give that option yourself if you mean it");
  }
  return result.spec;
}

/** Runs the plugin's plan() on the base and returns the checked, normalised spec. */
export function planWithPlugin(use: PluginUse, base: SandboxSpecInput, baseSpec: NormalSpec, ctx: PlanContext, prepare: PrepareInput = asIs): NormalSpec {
  let input: unknown;
  try {
    // A copy: plan() is meant to return new data, and a plugin that mutates its input must not
    // change what the loosening check compares against.
    input = use.plugin.plan(use.options, { ...ctx, base: structuredClone(base) });
  } catch (e) {
    throw pluginFailure(use.plugin.name, "plan() failed", e);
  }
  return checkPluginSpec(use.plugin.name, input, baseSpec, ctx, prepare);
}
