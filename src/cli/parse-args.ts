// A strict, order-keeping parser for sandbox command lines: `--opt V1 V2 ... -- COMMAND ARGS`.
// cac cannot take options with two values (`--bind SRC DST`) or keep order across options, and
// both matter here, so the sandbox options are read from the table in sandbox-options.ts with
// the shared tokenizer (base/argv.ts).
import { flagsOf, scanArgs, shapeTable, type ArgFlag, type FlagShape } from "../base/argv.ts";
import { findSandboxOption, SANDBOX_OPTIONS, type SandboxOption } from "./sandbox-options.ts";

/** A flag a command accepts besides the sandbox options (`--json`, `--profile FILE`). */
export interface ExtraFlag {
  name: string;
  args: readonly string[];
  help: string;
}

export interface ParsedArgs {
  /** Sandbox options in the order given. */
  options: { option: SandboxOption; values: string[]; where: string }[];
  /** Extra flags by name: their values (last one wins), or [] for switches. */
  extras: Map<string, string[]>;
  /** Flags of `own` (a plugin's, a plugin command's) in the order given. */
  own: ArgFlag[];
  /** The command and its arguments (after `--`, or from the first word that is not an option). */
  command: string[];
}

export function parseSandboxArgs(
  args: readonly string[],
  extraFlags: readonly ExtraFlag[],
  usage: string,
  own: readonly ({ name: string } & FlagShape)[] = [],
): ParsedArgs {
  const ownNames = new Set(own.map((f) => f.name));
  const scan = scanArgs(args, { shape: shapeTable(SANDBOX_OPTIONS, extraFlags, own), hint: `see ${usage}` });
  const parsed: ParsedArgs = { options: [], extras: new Map(), own: [], command: scan.rest };
  for (const flag of flagsOf(scan)) {
    const option = findSandboxOption(flag.name);
    if (option) parsed.options.push({ option, values: flag.values, where: flag.where });
    else if (ownNames.has(flag.name)) parsed.own.push(flag);
    else parsed.extras.set(flag.name, flag.values);
  }
  return parsed;
}
