// The netzone commands' own small flag parser: `--flag VALUE` (repeatable where a list), switches,
// and positional words; anything unknown is a UsageError (exit 2).
import { UsageError } from "../../src/core/errors.ts";

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
  const out: ParsedArgs = { words: [], values: {}, lists: {}, switches: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--") || a === "--") {
      if (a === "--") {
        out.words.push(...args.slice(i + 1));
        break;
      }
      out.words.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (spec.switches?.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value; usage: ${usage}`);
      out.switches.add(name);
      continue;
    }
    const isList = spec.lists?.includes(name);
    if (!isList && !spec.values?.includes(name)) throw new UsageError(`unknown option --${name}; usage: ${usage}`);
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value; usage: ${usage}`);
    if (isList) (out.lists[name] ??= []).push(...value.split(",").filter((s) => s !== ""));
    else if (name in out.values) throw new UsageError(`--${name} given twice`);
    else out.values[name] = value;
  }
  return out;
}
