// The netzone commands' flags, read with nsbox's shared tokenizer: `--flag VALUE` (repeatable,
// comma-separated, where a list), switches, and positional words; anything unknown is a
// UsageError (exit 2).
import { flagsOf, scanArgs, UsageError, wordsOf, type FlagShape } from "nsbox/plugin";

export interface ArgSpec {
  values?: readonly string[];
  lists?: readonly string[];
  switches?: readonly string[];
}

export interface ParsedArgs {
  words: string[];
  values: Record<string, string>;
  lists: Record<string, string[]>;
  switches: Set<string>;
}

export function parseArgs(args: readonly string[], spec: ArgSpec, usage: string): ParsedArgs {
  const shape = (name: string): FlagShape | undefined =>
    spec.switches?.includes(name) ? { args: [] } : spec.values?.includes(name) || spec.lists?.includes(name) ? { args: ["VALUE"] } : undefined;
  const scan = scanArgs(args, { shape, unknown: "alone", words: "collect", hint: `usage: ${usage}` });
  const out: ParsedArgs = { words: wordsOf(scan), values: {}, lists: {}, switches: new Set() };
  for (const flag of flagsOf(scan)) {
    const { name, values } = flag;
    if (!flag.known) throw new UsageError(`unknown option --${name}; usage: ${usage}`);
    if (spec.switches?.includes(name)) out.switches.add(name);
    else if (spec.lists?.includes(name)) (out.lists[name] ??= []).push(...values[0]!.split(",").filter((s) => s !== ""));
    else if (name in out.values) throw new UsageError(`--${name} given twice`);
    else out.values[name] = values[0]!;
  }
  return out;
}
