// The plugin contract (DESIGN.md §3). A plugin is a named object built with definePlugin: a
// valibot schema for its options (flags, help and defaults are derived from it), a pure plan()
// that turns options into a sandbox spec, optional commands (`nsbox NAME SUBCOMMAND`) and
// optional host-side hooks that get a narrow context, never raw system calls.
import type * as v from "valibot";
import type { ConsolaInstance } from "consola/core";
import type { UsageError } from "../core/errors.ts";
import type { PlanContext } from "../model/context.ts";
import type { SandboxSpecInput } from "../model/schema.ts";

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

/** What every hook and command gets: a logger tagged with the plugin's name and its state. */
export interface HookContext {
  plugin: string;
  log: ConsolaInstance;
  state: StateStore;
  /** The plugin's configuration from `nsbox plugin add NAME --set key=value`. */
  config: Readonly<Record<string, string>>;
}

/** What a command gets besides the hook context. */
export interface CommandContext extends HookContext {
  plan: PlanContext;
  /** Writes to nsbox's stdout: a command's data output (logs go to ctx.log, on stderr). */
  stdout(data: string): void;
  /**
   * The sandbox the `nsbox run` options at the start of `args` describe (the same table, with
   * `--profile`), and the words after them: for commands taking "[run options] -- CMD". A bad
   * option throws a UsageError. The spec a command returns must not be looser than this one.
   */
  sandbox(args: readonly string[]): { spec: SandboxSpecInput; command: string[] };
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

/**
 * What a third-party plugin file receives: it cannot resolve nsbox's node_modules from where it
 * is installed, so its default export is `(api) => api.definePlugin({...})` and it takes
 * valibot and the helpers from here (docs/plugins.md). Built-in plugins import them directly.
 */
export interface PluginApi {
  apiVersion: typeof PLUGIN_API_VERSION;
  definePlugin: typeof definePlugin;
  /** valibot, the same copy nsbox validates with. */
  v: typeof v;
  /** Throw it from plan(), a hook or a command for a usage problem: exit 2 instead of 125. */
  UsageError: typeof UsageError;
}

/** The default export of a third-party plugin file. */
export type PluginFactory = (api: PluginApi) => NsboxPlugin<any> | Promise<NsboxPlugin<any>>;
