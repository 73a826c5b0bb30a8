// The command reference: every nsbox command, its words and flags with their values and help,
// as plain data read from the option tables (cli/reference.ts). Shell completions and the man
// page are rendered from it, so they cannot drift from what the parser accepts. Pure.

export interface FlagRef {
  /** Without `--`. */
  name: string;
  /** Metavariables of its values (`["SRC", "DST"]`); empty for a switch. */
  args: readonly string[];
  help: string;
  /** The values it accepts, when they are a fixed list. */
  choices?: readonly string[];
}

export interface WordRef {
  /** A subcommand (`ns ls`, `export oci`, a plugin's command). */
  name: string;
  help: string;
  /** Flags only this word takes (a plugin command's); the command's own apply too. */
  flags?: readonly FlagRef[];
  /** Takes the sandbox options as well (`[run options]` in its usage). */
  sandbox?: boolean;
}

export interface CommandRef {
  name: string;
  summary: string;
  /** Usage lines without the leading `nsbox `. */
  usage: readonly string[];
  /** Flags of its own (not the sandbox options). */
  flags: readonly FlagRef[];
  /** Takes the sandbox options (`run`, `plan`, `export` ...). */
  sandbox: boolean;
  /** Words that may come first (subcommands); empty when none. */
  words: readonly WordRef[];
  /** A command to run follows `--`. */
  runsCommand: boolean;
  /** The command may also start at the first word that is not an option (the sandbox commands). */
  bareCommand?: boolean;
  /** Completes to other commands' names (`help`). */
  namesCommand?: boolean;
  examples: readonly string[];
  /** A plugin's command group (`nsbox NAME SUB`), with the flags `run --plugin NAME` takes. */
  plugin?: { flags: readonly FlagRef[] };
}

export interface Reference {
  program: string;
  version: string;
  commands: readonly CommandRef[];
  /** The sandbox options of `run`, `plan`, `selftest`, `explain` and `export`, in table order. */
  sandboxOptions: readonly FlagRef[];
  /** Flags any command takes (`--help`, `--version`). */
  globalFlags: readonly FlagRef[];
}

/** Metavariables whose value is a path, for file completion (a directory for DIR). */
export function pathKind(metavar: string): "file" | "dir" | undefined {
  if (/^(DIR|DST|LINK)$/.test(metavar) || metavar.endsWith("DIR")) return "dir";
  if (/^(SRC|FILE|PATH|TARGET)$/.test(metavar)) return "file";
  return undefined;
}

/** Every flag a command's word may take: its own, the word's, the sandbox options where they apply. */
export function flagsFor(ref: Reference, command: CommandRef, word?: WordRef): FlagRef[] {
  const sandbox = command.sandbox || word?.sandbox ? ref.sandboxOptions : [];
  return [...command.flags, ...(word?.flags ?? []), ...sandbox, ...ref.globalFlags.filter((f) => f.name === "help")];
}
