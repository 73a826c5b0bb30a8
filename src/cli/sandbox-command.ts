// THE planning pipeline every sandbox goes through, whoever asks for it (`run`, `plan`,
// `selftest`, `explain`, `export`, `run --plugin NAME`, a plugin command's CommandRun):
//   argv (one tokenizer) + profile file → ordered option uses → draft input (defaults first)
//   → plugin plan (it may add, never loosen) → host facts (a zone's resolv.conf, a named
//   sandbox's id range) → validate (schema, rules) → normalise → the spec `plan` prints and
//   `run` executes.
// Nothing after this changes the spec: what the host side adds for one run (fds, a zone's
// network namespace, cgroups) travels beside it as HostWire. Bad input ends here as a UsageError.
import { ArgError, UsageError } from "../base/errors.ts";
import type { FlagShape } from "../base/argv.ts";
import { planWithRange, rangeInputOf, type NamedRangeUse } from "../core/id-ranges.ts";
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { formatIssue, planSpec, type PlanResult } from "../model/plan.ts";
import { ZONE_NAME_PATTERN, type SandboxSpecInput } from "../model/schema.ts";
import type { NsboxPlugin } from "../plugin/define.ts";
import { flagShapes, optionFlags, optionInput } from "../plugin/options-flags.ts";
import { checkPluginSpec, planWithPlugin, usePlugin, type PluginUse } from "../plugin/plan-with-plugin.ts";
import { pluginFailure } from "../plugin/plugin-failure.ts";
import { zoneResolvConf } from "../core/zone/zone-resolv.ts";
import { parseSandboxArgs, type ExtraFlag, type ParsedArgs } from "./parse-args.ts";
import { loadProfile } from "./profile.ts";
import { newDraft, toSpecInput } from "./sandbox-options.ts";

export const PROFILE_FLAG: ExtraFlag = { name: "profile", args: ["FILE"], help: "read options from a TOML or JSON profile first" };

/** Facts of the host planning reads (never changes): injected so the pipeline runs in tests. */
export interface PlanFacts {
  /** The resolv.conf a member of zone NAME binds, undefined when the zone names no DNS; no zone throws. */
  zoneResolvConf(name: string): string | undefined;
}

export const hostPlanFacts: PlanFacts = { zoneResolvConf };

export interface SandboxRequest {
  spec: NormalSpec;
  extras: ParsedArgs["extras"];
  /** The plugin that planned it, with its validated options. */
  plugin?: PluginUse;
  /** The sandbox options given (flags and profile), in order: what `run`'s plan cache admits. */
  uses: readonly OptionUse[];
  /** The name's id range it was planned in (a named root launch), and what of the input chose it. */
  range?: NamedRangeUse;
}


/** One sandbox option as given: its name and values. */
export interface OptionUse {
  name: string;
  values: readonly string[];
}

/** The spec input flags and profile describe (defaults first), not yet validated; and the rest of argv. */
export function inputFromArgs(
  args: readonly string[],
  extraFlags: readonly ExtraFlag[],
  usage: string,
  ctx: PlanContext,
  requireCommand = true,
  own: readonly ({ name: string } & FlagShape)[] = [],
): { input: SandboxSpecInput; extras: ParsedArgs["extras"]; own: ParsedArgs["own"]; uses: OptionUse[] } {
  const parsed = parseSandboxArgs(args, [PROFILE_FLAG, ...extraFlags], usage, own);
  const profile = parsed.extras.get("profile");
  const draft = newDraft(ctx);
  const given = [...(profile ? loadProfile(profile[0]!) : []), ...parsed.options];
  for (const { option, values, where } of given) option.apply(draft, values, where);
  if (requireCommand && parsed.command.length === 0) throw new UsageError("no command given", `usage: ${usage}`);
  const uses = given.map(({ option, values }) => ({ name: option.name, values }));
  return { input: toSpecInput(draft, parsed.command), extras: parsed.extras, own: parsed.own, uses };
}

/**
 * What the host adds to a draft before it is validated: a zone member binds its zone's
 * resolv.conf. Only for input the rules will accept (root, a well-formed zone name), so a bad
 * one is reported by the rules, not by a failed lookup.
 */
export function withHostFacts(input: SandboxSpecInput, ctx: PlanContext, facts: PlanFacts): SandboxSpecInput {
  const zone = input.network?.mode === "zone" ? input.network.zone : undefined;
  if (zone === undefined || !ZONE_NAME_PATTERN.test(zone) || ctx.uid !== 0) return input;
  if ((input.namespaces?.mnt?.mode ?? "new") !== "new") return input;
  const resolv = facts.zoneResolvConf(zone);
  if (resolv === undefined) return input;
  // Onto the file a symlinked /etc/resolv.conf leads to (the stage refuses a symlink as a
  // destination); the normaliser then binds no host copy there (model/resolv-conf.ts).
  const dst = ctx.host.resolvConf ?? "/etc/resolv.conf";
  return { ...input, mounts: [...(input.mounts ?? []), { kind: "bind", src: resolv, dst, readonly: true }] };
}

/** How the last steps run: the host's facts, and whether a named root launch records its id range. */
export interface PlanOptions {
  facts?: PlanFacts;
  /** `run` (and a plugin command's sandbox): record the name's id range; `plan` only looks it up (docs/ids.md). */
  claimRange?: boolean;
}

function specOf(result: PlanResult): NormalSpec {
  if (!result.ok) {
    const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : "";
    throw new UsageError(`${formatIssue(result.issues[0]!)}${more}`);
  }
  return result.spec;
}

/** The last steps for input without a plugin: host facts, validation, normalisation. */
export function normalizeInput(input: SandboxSpecInput, ctx: PlanContext, facts: PlanFacts = hostPlanFacts): NormalSpec {
  return specOf(planSpec(withHostFacts(input, ctx, facts), ctx));
}

/**
 * A spec a plugin made (plan() or a command's CommandRun): host facts, then checked against
 * `base`, in its name's id range (recorded with `claimRange`, as `nsbox run --name` does).
 */
export function normalizePluginInput(plugin: string, input: unknown, base: NormalSpec, ctx: PlanContext, { facts = hostPlanFacts, claimRange = false }: PlanOptions = {}): NormalSpec {
  const check = (c: PlanContext) => checkPluginSpec(plugin, input, base, c, (i) => withHostFacts(i, c, facts));
  return planWithRange(ctx, input as SandboxSpecInput, claimRange, check).result;
}

/**
 * The validated, normalised spec; with a plugin, the one its plan() makes of it: its own flags
 * are read in the same strict pass as the run options, wherever they stand among them.
 */
export function planFromArgs(
  args: readonly string[],
  extraFlags: readonly ExtraFlag[],
  usage: string,
  ctx: PlanContext,
  plugin?: NsboxPlugin,
  { facts = hostPlanFacts, claimRange = false }: PlanOptions = {},
): SandboxRequest {
  const flags = plugin ? optionFlags(plugin.options) : [];
  const own = flagShapes(flags);
  const hint = plugin && `see nsbox plugin info ${plugin.name}`;
  let parsed: ReturnType<typeof inputFromArgs>;
  try {
    parsed = inputFromArgs(args, extraFlags, usage, ctx, true, own);
  } catch (e) {
    // A mistake in one of the plugin's flags names the plugin (its flags are in its own help).
    if (plugin && e instanceof ArgError && own.some((f) => f.name === e.flag)) throw pluginFailure(plugin.name, "bad options", e, hint);
    throw e;
  }
  let use: PluginUse | undefined;
  if (plugin) {
    try {
      use = usePlugin(plugin, optionInput(flags, parsed.own));
    } catch (e) {
      throw pluginFailure(plugin.name, "bad options", e, hint);
    }
  }
  // A named sandbox plans in its name's id range (looked up; recorded by `run`).
  const named = planWithRange(ctx, parsed.input, claimRange, (c) => planSpec(withHostFacts(parsed.input, c, facts), c), (r) => r.ok);
  const base = specOf(named.result);
  const rangeCtx = named.ctx;
  const spec = use ? planWithPlugin(use, parsed.input, base, rangeCtx, (i) => withHostFacts(i, rangeCtx, facts)) : base;
  const range: NamedRangeUse | undefined = rangeCtx === ctx ? undefined : { input: rangeInputOf(parsed.input), subuid: rangeCtx.subuid, subgid: rangeCtx.subgid };
  return { spec, extras: parsed.extras, plugin: use, uses: parsed.uses, ...(range ? { range } : {}) };
}
