// `nsbox export systemd|oci [OPTIONS] -- COMMAND`: the sandbox `run` would build, planned the same
// way (same options, profile and plugins), written as a systemd unit (stdout) or an OCI bundle
// (--bundle DIR). The translations are model/export-systemd.ts and model/export-oci.ts; they load
// only when `export` runs, so the command table of every other command stays as small as it was.
import { resolve } from "node:path";
import { UsageError } from "../core/errors.ts";
import { logger } from "../core/log.ts";
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { DEFAULT_STAGE_PATH } from "../core/stage-install.ts";
import { VERSION } from "./entry.ts";
import { optionFlags } from "../plugin/options-flags.ts";
import type { PluginUse } from "../plugin/plan-with-plugin.ts";
import type { CliIo } from "./index.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { parseSandboxArgs, type ExtraFlag } from "./parse-args.ts";
import { pluginFromArgs, PLUGIN_FLAGS, takeConfigDir } from "./plugin-args.ts";
import { planFromArgs, PROFILE_FLAG } from "./sandbox-command.ts";

const log = logger("export");

export const EXPORT_USAGE = "nsbox export systemd [--via nsbox|native|plan --save FILE] [OPTIONS] -- COMMAND [ARG...] | export oci --bundle DIR [OPTIONS] -- COMMAND [ARG...]";
export const EXPORT_TARGETS = ["systemd", "oci"] as const;

export const EXPORT_FLAGS: readonly ExtraFlag[] = [
  ...LOG_FLAGS,
  { name: "via", args: ["nsbox|plan|native"], help: "systemd: ExecStart= runs nsbox run (default), a saved plan (--save FILE), or the nearest systemd directives" },
  { name: "save", args: ["FILE"], help: "systemd --via plan: save the plan here for ExecStart= (as nsbox plan --save)" },
  { name: "stage", args: ["PATH"], help: `systemd --via plan: the installed stage the plan runs with (default ${DEFAULT_STAGE_PATH})` },
  { name: "bundle", args: ["DIR"], help: "oci: write the bundle (config.json, rootfs/) to this new directory" },
  ...PLUGIN_FLAGS,
];

/** The plugin's flags as given (non-default values), to repeat them on the ExecStart= line. */
function pluginArgs(use: PluginUse | undefined, configDir: string | undefined): string[] {
  if (!use) return [];
  const options = use.options as Record<string, unknown>;
  const args = [...(configDir ? ["--config-dir", resolve(configDir)] : []), "--plugin", use.plugin.name];
  for (const flag of optionFlags(use.plugin.options)) {
    const value = options[flag.key];
    if (value === undefined || JSON.stringify(value) === JSON.stringify(flag.default)) continue;
    if (flag.kind === "boolean") args.push(value ? `--${flag.name}` : `--no-${flag.name}`);
    else if (Array.isArray(value)) for (const item of value) args.push(`--${flag.name}`, String(item));
    else args.push(`--${flag.name}`, String(value));
  }
  return args;
}

/** The run options of `rest` in order, the profile made absolute (as loadProfile reads it): what ExecStart= repeats. */
function runArgs(rest: readonly string[]): string[] {
  const parsed = parseSandboxArgs(rest, [PROFILE_FLAG, ...EXPORT_FLAGS], EXPORT_USAGE);
  const profile = parsed.extras.get("profile");
  return [
    ...(profile ? ["--profile", resolve(profile[0]!)] : []),
    ...parsed.options.flatMap(({ option, values }) => [`--${option.name}`, ...values]),
  ];
}

/** The one value of a flag, checked against its allowed values. */
function oneOf<T extends string>(extras: Map<string, string[]>, name: string, allowed: readonly T[], fallback: T): T {
  const value = extras.get(name)?.[0] ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name}: '${value}' is not one of ${allowed.join(", ")}`);
  return value as T;
}

/** A saved plan of the sandbox (plan --save), for `--via plan`; its absolute path. */
async function savedPlan(spec: NormalSpec, extras: Map<string, string[]>, plugin: boolean): Promise<string> {
  const file = extras.get("save")?.[0];
  if (!file) throw new UsageError("--via plan needs --save FILE: where the plan is written for ExecStart=");
  const { savePlan } = await import("../core/save-plan.ts");
  savePlan(spec, { file, stagePath: extras.get("stage")?.[0] ?? DEFAULT_STAGE_PATH, version: VERSION, appendArgs: false, plugin });
  return resolve(file);
}

/** The unit on stdout: `nsbox run` with the same options, a saved plan, or systemd's nearest directives. */
async function exportSystemd(spec: NormalSpec, extras: Map<string, string[]>, io: CliIo, plugin: boolean, runArgs: () => string[]): Promise<void> {
  if (extras.has("bundle")) throw new UsageError("--bundle is for export oci");
  const { SYSTEMD_VIAS, systemdUnitNative, systemdUnitViaNsbox, systemdUnitViaPlan } = await import("../model/export-systemd.ts");
  const head = { description: `nsbox sandbox: ${spec.process.argv.join(" ")}` };
  const via = oneOf(extras, "via", SYSTEMD_VIAS, "nsbox");
  if (via !== "plan" && (extras.has("save") || extras.has("stage"))) throw new UsageError("--save and --stage go with --via plan");
  if (via === "plan") io.stdout(systemdUnitViaPlan(head, await savedPlan(spec, extras, plugin)));
  else io.stdout(via === "native" ? systemdUnitNative(head, spec) : systemdUnitViaNsbox(head, process.execPath, runArgs(), spec.process.argv));
}

/** The bundle written to a new directory; what OCI cannot say, as warnings. */
async function exportOci(spec: NormalSpec, extras: Map<string, string[]>): Promise<void> {
  for (const flag of ["via", "save", "stage"]) if (extras.has(flag)) throw new UsageError(`--${flag} is for export systemd`);
  const [{ existsSync }, { hostRootEntries, writeOciBundle }, { ociBundle }, { OCI_SECCOMP_ARCH }] = await Promise.all([
    import("node:fs"), import("../core/oci-bundle.ts"), import("../model/export-oci.ts"), import("../model/export-oci-seccomp.ts"),
  ]);
  const dir = extras.get("bundle")?.[0];
  if (!dir) throw new UsageError("export oci needs --bundle DIR", `usage: ${EXPORT_USAGE}`);
  const arch = OCI_SECCOMP_ARCH[process.arch];
  if (!arch) throw new UsageError(`export oci: no seccomp architecture for ${process.arch} (nsbox supports x64 and arm64)`);
  const bundle = ociBundle(spec, { arch, hostRoot: hostRootEntries(), exists: existsSync });
  writeOciBundle(resolve(dir), bundle);
  for (const note of bundle.notes) log.warn(`not expressed in OCI: ${note}`);
}

/** `nsbox export TARGET ...`: planned like `run`, then translated. */
export async function exportCommand(args: readonly string[], io: CliIo): Promise<void> {
  const [target, ...rest] = args;
  if (!target || !(EXPORT_TARGETS as readonly string[]).includes(target)) {
    throw new UsageError(target ? `export: unknown target '${target}' (systemd or oci)` : "export: name a target: systemd or oci", `usage: ${EXPORT_USAGE}`);
  }
  // A unit or bundle runs later, elsewhere: it gets what --setenv says, not this shell's environment.
  const ctx: PlanContext = { ...io.context(), env: {} };
  const { rest: runRest, plugin } = await pluginFromArgs(rest, EXPORT_FLAGS, ctx);
  const { spec, extras } = planFromArgs(runRest, EXPORT_FLAGS, EXPORT_USAGE, ctx, plugin);
  applyLogFlags(extras);
  if (target === "systemd") await exportSystemd(spec, extras, io, plugin !== undefined, () => [...pluginArgs(plugin, takeConfigDir(rest).configDir), ...runArgs(runRest)]);
  else await exportOci(spec, extras);
}
