// The plugin contract (DESIGN.md §3). A plugin is a named object built with definePlugin: a
// valibot schema for its options (flags, help and defaults are derived from it), a pure plan()
// that turns options into a sandbox spec, optional commands (`nsbox NAME SUBCOMMAND`) and
// optional host-side hooks that get a narrow context, never raw system calls.
import type * as v from "valibot";
import type { ConsolaInstance } from "consola/core";
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import type { SandboxSpecInput } from "../model/schema.ts";
import type { ArgFlag, FlagShape } from "../base/argv.ts";
import type { PluginServices } from "./services.ts";

/** The contract version this nsbox implements; a plugin naming another one is refused. */
export const PLUGIN_API_VERSION = 1;

/** What plan() receives besides its options. */
export interface PluginPlanContext extends PlanContext {
  /**
   * The sandbox as the defaults, the profile and the run flags built it. plan() returns the
   * spec to run: usually this with its own additions. It must not loosen what the caller asked
   * for (a plugin that needs something the flags exclude throws an Error saying so).
   */
  base: SandboxSpecInput;
}

/** A small key-value store in the plugin's own state directory (/var/lib/nsbox/NAME, or XDG). */
export interface StateStore {
  readonly dir: string;
  read(key: string): string | undefined;
  write(key: string, value: string): void;
  remove(key: string): void;
  keys(): string[];
}

/**
 * What every hook and command gets: a logger tagged with the plugin's name, its state, its
 * settings, and the host services (services.ts): what a plugin may do on the host goes through
 * these, never through an import of nsbox's core.
 */
export interface HookContext extends PluginServices {
  plugin: string;
  log: ConsolaInstance;
  state: StateStore;
  /** The plugin's configuration from `nsbox plugin add NAME --set key=value`. */
  config: Readonly<Record<string, string>>;
}

/** What a command gets besides the hook context. */
export interface CommandContext extends HookContext {
  plan: PlanContext;
  /**
   * The argv that starts this nsbox again (absolute: its executable, and its script when not
   * compiled), for a command that supervises a sandbox as a child (`nsbox run ...`).
   */
  nsboxArgv: readonly string[];
  /** Writes to nsbox's stdout: a command's data output (logs go to ctx.log, on stderr). */
  stdout(data: string): void;
  /**
   * The sandbox the `nsbox run` options at the start of `args` describe (the same table and
   * tokenizer as `nsbox run`, with `--profile`, `--quiet` and `--verbose`), and the words after
   * them: for commands taking "[own flags] [run options] -- CMD". The command's own flags, given
   * as `flags`, may be mixed with the run options; they come back in order. A bad option throws
   * a UsageError. The spec a command returns must not be looser than this one.
   */
  sandbox(args: readonly string[], own?: { flags?: readonly OwnFlag[] }): { spec: SandboxSpecInput; command: string[]; flags: ArgFlag[] };
  /**
   * The spec nsbox runs for `input`: checked and normalised by the same pipeline as `nsbox run`
   * and `nsbox plan` (a UsageError naming the first issue otherwise). For a command that must
   * look at the final values (host ids, capabilities) before it returns its CommandRun.
   */
  normalize(input: SandboxSpecInput): NormalSpec;
}

/** A flag of a plugin command, taken by ctx.sandbox beside the run options. */
export interface OwnFlag extends FlagShape {
  name: string;
}

export interface PluginCommand {
  name: string;
  description: string;
  /** Usage after `nsbox PLUGIN NAME`, e.g. "--listen ADDR [run options] -- SERVER [ARGS...]". */
  usage: string;
  /**
   * Runs the command with its raw arguments. Returns the exit code, or a sandbox to run (the
   * core then execs into it like `nsbox run`).
   */
  run(args: readonly string[], ctx: CommandContext): number | CommandRun | Promise<number | CommandRun>;
}

/** A command's request to run a sandbox, with what the host side must add for it. */
export interface CommandRun {
  spec: SandboxSpecInput;
  /** Fds nsbox opened for the payload (listening sockets), in order: they become fds 3, 4, ... */
  passFds?: number[];
}

export interface PluginHooks {
  /** `nsbox plugin add`: prepare the host (validated config in ctx.config). Throwing undoes the add. */
  setup?(ctx: HookContext): void | Promise<void>;
  /** `nsbox plugin remove`: undo setup. */
  teardown?(ctx: HookContext): void | Promise<void>;
}

export interface NsboxPlugin<S extends v.GenericSchema = v.GenericSchema> {
  /** Lowercase, digits and '-'; equals its folder; shown in every log line and error it causes. */
  name: string;
  apiVersion: number;
  version: string;
  description: string;
  /** A valibot object schema of the options `nsbox run --plugin NAME` takes (with defaults). */
  options: S;
  /** Pure: options in, spec out. Throw an Error with a clear message to refuse. */
  plan(options: v.InferOutput<S>, ctx: PluginPlanContext): SandboxSpecInput;
  /**
   * Settings `nsbox plugin add NAME --set key=value` accepts, as a valibot object schema of
   * strings; they reach hooks and commands as ctx.config. Without it, --set is refused.
   */
  config?: v.GenericSchema;
  commands?: PluginCommand[];
  hooks?: PluginHooks;
  /** A complete example of using it, shown by `nsbox plugin info`. */
  example?: string;
}

/** Identity helper: gives a literal plugin object its types (citty's defineCommand idiom). */
export function definePlugin<S extends v.GenericSchema>(plugin: NsboxPlugin<S>): NsboxPlugin<S> {
  return plugin;
}

