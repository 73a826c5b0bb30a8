// `nsbox NAME SUBCOMMAND [ARGS...]`: the commands plugins contribute. index.ts sends here any
// first word that is not an nsbox command. The command gets its raw args and a narrow context;
// it returns an exit code, or a sandbox (CommandRun) that is checked like a plugin's plan (valid,
// not looser than the run options it parsed, or than the defaults) and run like `nsbox run`.
import { isHelpRequest } from "../base/argv.ts";
import { EXIT, PluginError, UsageError } from "../base/errors.ts";
import { execute } from "../core/execute.ts";
import { planWithRange } from "../core/id-ranges.ts";
import { unwritableBindWarnings } from "../core/bind-access.ts";
import { logger } from "../core/log.ts";
import { findPlugin, hookContext } from "../core/plugins/catalog.ts";
import type { CommandContext, CommandRun, NsboxPlugin, PluginCommand } from "../plugin/define.ts";
import { pluginFailure } from "../plugin/plugin-failure.ts";
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { riskWarnings } from "../model/risks.ts";
import type { SandboxSpecInput } from "../model/schema.ts";
import type { CliIo } from "./io.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { pluginCatalog, takeConfigDir } from "./plugin-args.ts";
import { inputFromArgs, normalizeInput, normalizePluginInput, type PlanFacts } from "./sandbox-command.ts";

/** This nsbox again: the compiled binary alone, or Bun with the entry script (`bun src/main.ts`). */
function selfArgv(): string[] {
  return Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
}

function commandsHelp(plugin: NsboxPlugin): string {
  const usages = (plugin.commands ?? []).map((c) => [`nsbox ${plugin.name} ${c.name} ${c.usage}`.trimEnd(), c.description] as const);
  if (usages.length === 0) return `plugin ${plugin.name} has no commands; use it as: nsbox run --plugin ${plugin.name} [OPTIONS] -- COMMAND\n`;
  const width = Math.max(...usages.map(([u]) => u.length));
  return `${plugin.description}\n\nCommands:\n${usages.map(([u, d]) => `  ${u.padEnd(width)}  ${d}\n`).join("")}`;
}

/** The normalised sandbox a spec input describes, for comparing with what a command returns. */
function normalBase(input: SandboxSpecInput, ctx: PlanContext, facts?: PlanFacts): NormalSpec {
  // The base only needs to be valid in what is compared: a command may bring its own argv.
  const withArgv = input.process.argv.length > 0 ? input : { ...input, process: { ...input.process, argv: ["true"] } };
  return normalizeInput(withArgv, ctx, facts);
}

/** Checks a command's sandbox and execs into it (the same path as `nsbox run`); never returns. */
function runCommandSandbox(plugin: NsboxPlugin, run: CommandRun, base: NormalSpec, ctx: PlanContext, io: CliIo): never {
  // The same pipeline as `nsbox run --plugin`: host facts, validation, the loosening check; a
  // named sandbox runs in its name's range, as with `nsbox run --name` (docs/ids.md).
  const spec = normalizePluginInput(plugin.name, run.spec, base, ctx, { facts: io.facts, claimRange: true });
  const passFds = run.passFds ?? [];
  if (!Array.isArray(passFds) || !passFds.every((fd) => Number.isInteger(fd) && fd >= 0)) {
    throw new PluginError(plugin.name, "passFds must be a list of open file descriptors");
  }
  for (const warning of [...riskWarnings(spec), ...unwritableBindWarnings(spec)]) logger(plugin.name).warn(warning);
  // The fds become 3, 4, ... in the payload, in this order (WIRE.md `pass-fd`, LISTEN_FDS).
  return (io.launch ?? execute)(spec, { host: { passFds } });
}

async function runCommand(plugin: NsboxPlugin, command: PluginCommand, args: string[], ctx: CommandContext, base: () => NormalSpec, io: CliIo): Promise<number> {
  let result: number | CommandRun;
  try {
    result = await command.run(args, ctx);
  } catch (e) {
    throw pluginFailure(plugin.name, `${command.name} failed`, e);
  }
  if (typeof result === "number") {
    if (!Number.isInteger(result) || result < 0 || result > 255) throw new PluginError(plugin.name, `${command.name} returned ${result}, not an exit status`);
    return result;
  }
  if (typeof result !== "object" || result === null || !("spec" in result)) {
    throw new PluginError(plugin.name, `${command.name} returned neither an exit status nor a sandbox to run`);
  }
  return runCommandSandbox(plugin, result, base(), ctx.plan, io);
}

/** Runs `nsbox NAME SUBCOMMAND ...`; returns the exit code (a command's sandbox execs instead). */
export async function runPluginCommand(words: readonly string[], io: CliIo): Promise<number> {
  const name = words[0]!;
  const { configDir, rest } = takeConfigDir(words.slice(1));
  const plan = io.context();
  const catalog = pluginCatalog(plan, configDir);
  const found = await findPlugin(catalog, name);
  if (!found) throw new UsageError(`unknown command '${name}'`, "see nsbox --help and nsbox plugin list");
  const { plugin } = found;
  const sub = rest[0];
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") {
    io.stdout(commandsHelp(plugin));
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = plugin.commands?.find((c) => c.name === sub);
  if (!command) throw new PluginError(plugin.name, `no command '${sub}'`, EXIT.usage, `commands: ${(plugin.commands ?? []).map((c) => c.name).join(", ") || "none"}`);
  const args = rest.slice(1);
  if (isHelpRequest(args)) {
    io.stdout(`usage: nsbox ${plugin.name} ${command.name} ${command.usage}\n\n${command.description}\n`);
    return EXIT.ok;
  }
  // What the command's own run options asked for; the defaults when it parsed none.
  let base: NormalSpec | undefined;
  const ctx: CommandContext = {
    ...hookContext(catalog, plugin),
    plan,
    nsboxArgv: selfArgv(),
    stdout: (data) => io.stdout(data),
    sandbox(sandboxArgs, own = {}) {
      const usage = `nsbox ${plugin.name} ${command.name} ${command.usage}`;
      const { input, extras, own: flags } = inputFromArgs(sandboxArgs, LOG_FLAGS, usage, plan, false, own.flags ?? []);
      applyLogFlags(extras);
      base = normalBase(input, plan, io.facts);
      return { spec: structuredClone(input), command: [...input.process.argv], flags };
    },
    // A named sandbox in its name's range (looked up, not recorded), as the run will plan it.
    normalize: (input) => planWithRange(plan, input, false, (c) => normalizeInput(input, c, io.facts)).result,
  };
  return runCommand(plugin, command, args, ctx, () => base ?? normalBase(inputFromArgs([], [], "", plan, false).input, plan, io.facts), io);
}
