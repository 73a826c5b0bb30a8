// A strict, order-keeping parser for sandbox command lines: `--opt V1 V2 ... -- COMMAND ARGS`.
// cac cannot take options with two values (`--bind SRC DST`) or keep order across options, and
// both matter here, so the sandbox options are parsed from the table in sandbox-options.ts.
import { UsageError } from "../core/errors.ts";
import { findSandboxOption, type SandboxOption } from "./sandbox-options.ts";

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
  /** The command and its arguments (after `--`, or from the first word that is not an option). */
  command: string[];
}

export function parseSandboxArgs(args: readonly string[], extraFlags: readonly ExtraFlag[], usage: string): ParsedArgs {
  const parsed: ParsedArgs = { options: [], extras: new Map(), command: [] };
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === "--") {
      parsed.command = args.slice(i + 1);
      break;
    }
    if (!token.startsWith("--") || token === "--") {
      if (token.startsWith("-") && token !== "-") throw new UsageError(`unknown option '${token}'`, `see ${usage}`);
      parsed.command = args.slice(i);
      break;
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq > 0 ? eq : undefined);
    const inline = eq > 0 ? [token.slice(eq + 1)] : [];
    const option = findSandboxOption(name);
    const extra = option ? undefined : extraFlags.find((f) => f.name === name);
    if (!option && !extra) throw new UsageError(`unknown option '--${name}'`, `see ${usage}`);
    const arity = (option ?? extra)!.args.length;
    if (inline.length > arity) throw new UsageError(`--${name} takes no value`, `see ${usage}`);
    const values = [...inline, ...args.slice(i + 1, i + 1 + arity - inline.length)];
    if (values.length < arity || values.includes("--")) {
      const metas = (option ?? extra)!.args.join(" ");
      throw new UsageError(`--${name} needs ${arity === 1 ? "a value" : `${arity} values`} (${metas})`, `see ${usage}`);
    }
    i += arity - inline.length;
    if (option) parsed.options.push({ option, values, where: `--${name}` });
    else parsed.extras.set(name, values);
  }
  return parsed;
}
