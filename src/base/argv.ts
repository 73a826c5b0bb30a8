// The one walker of `--flag` tokens every command and plugin command shares (the run options,
// `--plugin` and a plugin's own flags, netzone's and httpd-worker's commands, the help check).
// It knows the GNU long-option shapes: `--name V`, `--name=V`, a switch, `--no-NAME` for a
// negatable switch, `--` ending the options. What each flag means is its caller's business.
import { ArgError } from "./errors.ts";

/** What a flag takes: the metavariables of its values (none for a switch). */
export interface FlagShape {
  args: readonly string[];
  /** A switch that may also be written `--no-NAME` or `--NAME=true|false` (a plugin's boolean). */
  negatable?: boolean;
}

export interface ArgFlag {
  kind: "flag";
  name: string;
  /** Its values: the inline one (`--name=V`) first, then the words after it. */
  values: string[];
  /** `--no-NAME` of a negatable switch. */
  negated: boolean;
  /** False for a flag the scan does not know (kept, with `raw`, when `unknown` is "keep"). */
  known: boolean;
  /** The tokens it was written as, to pass it on unchanged. */
  raw: string[];
  /** `--name`, for messages. */
  where: string;
}

export interface ArgWord {
  kind: "word";
  value: string;
}

export interface ScanOptions {
  /** The shape of a flag this scan knows; undefined for any other name. */
  shape(name: string): FlagShape | undefined;
  /**
   * An unknown `--flag`: "error" (the default), or "keep" it with the word after it when that
   * word does not start with '-' (`guess`), or with no value (`alone`): a first pass that only
   * looks for some flags before the table of the others is known.
   */
  unknown?: "error" | "guess" | "alone";
  /** A word before `--`: it starts the command (the default), or it is collected and the scan goes on. */
  words?: "stop" | "collect";
  /** Where a usage message points, e.g. `see nsbox run --help`. */
  hint?: string;
}

export interface ScannedArgs {
  /** Flags (and, with words "collect", words) in the order given. */
  items: (ArgFlag | ArgWord)[];
  /** The command: everything after `--`, or from the first word (words "stop"). */
  rest: string[];
  /** The options ended with `--` (not with a word or the end of args). */
  dashdash: boolean;
}

/**
 * Whether one of `names` (`--plugin`, `-h`) stands among the words before `--` (after it they
 * belong to the command), alone or as `--name=V`. A quick look that needs no table of flags.
 */
export function mentionsFlag(words: readonly string[], names: readonly string[]): boolean {
  const end = words.indexOf("--");
  return (end < 0 ? words : words.slice(0, end)).some((w) => names.some((n) => w === n || w.startsWith(`${n}=`)));
}

/** `--help` or `-h` among the words before `--`. */
export function isHelpRequest(words: readonly string[]): boolean {
  return mentionsFlag(words, ["--help", "-h"]);
}

function needsValues(name: string, args: readonly string[], hint?: string): ArgError {
  return new ArgError(name, `--${name} needs ${args.length === 1 ? "a value" : `${args.length} values`} (${args.join(" ")})`, hint);
}

export function scanArgs(args: readonly string[], options: ScanOptions): ScannedArgs {
  const { shape, unknown = "error", words = "stop", hint } = options;
  const items: (ArgFlag | ArgWord)[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === "--") return { items, rest: args.slice(i + 1), dashdash: true };
    if (!token.startsWith("--")) {
      // `-x` is a mistyped option, not a word (nor a program called -x).
      if (unknown === "error" && token.startsWith("-") && token !== "-") throw new ArgError(token, `unknown option '${token}'`, hint);
      if (words === "collect") {
        items.push({ kind: "word", value: token });
        continue;
      }
      return { items, rest: args.slice(i), dashdash: false };
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq > 0 ? eq : undefined);
    const inline = eq > 0 ? [token.slice(eq + 1)] : [];
    const direct = shape(name);
    const positive = !direct && name.startsWith("no-") ? shape(name.slice(3)) : undefined;
    const negated = positive?.negatable === true;
    const known = direct ?? (negated ? positive : undefined);
    if (!known) {
      if (unknown === "error") throw new ArgError(name, `unknown option '--${name}'`, hint);
      const next = args[i + 1];
      const take = eq > 0 || unknown === "alone" ? 0 : next !== undefined && !next.startsWith("-") ? 1 : 0;
      const raw = args.slice(i, i + 1 + take);
      items.push({ kind: "flag", name, values: [...inline, ...raw.slice(1)], negated: false, known: false, raw, where: `--${name}` });
      i += take;
      continue;
    }
    const flagName = negated ? name.slice(3) : name;
    const arity = known.args.length;
    if (inline.length > 0 && (negated || (arity === 0 && !known.negatable))) throw new ArgError(flagName, `--${name} takes no value`, hint);
    // A negatable switch takes its optional value inline only: `--shout=false`.
    const wanted = arity === 0 ? inline.length : arity;
    const following = args.slice(i + 1, i + 1 + wanted - inline.length);
    if (following.length < wanted - inline.length || following.includes("--")) throw needsValues(flagName, known.args, hint);
    const raw = args.slice(i, i + 1 + following.length);
    items.push({ kind: "flag", name: flagName, values: [...inline, ...following], negated, known: true, raw, where: `--${name}` });
    i += following.length;
  }
  return { items, rest: [], dashdash: false };
}

/** The flags of a scan, in order. */
export function flagsOf(scan: ScannedArgs): ArgFlag[] {
  return scan.items.filter((x): x is ArgFlag => x.kind === "flag");
}

/** The words of a scan (words "collect"), then what followed `--`: a command's positional arguments. */
export function wordsOf(scan: ScannedArgs): string[] {
  return [...scan.items.flatMap((i) => (i.kind === "word" ? [i.value] : [])), ...scan.rest];
}

/** A lookup over named shapes, the first table that has the name winning. */
export function shapeTable(...tables: readonly (readonly ({ name: string } & FlagShape)[])[]): (name: string) => FlagShape | undefined {
  const byName = new Map<string, FlagShape>();
  for (const table of tables) for (const f of table) if (!byName.has(f.name)) byName.set(f.name, f);
  return (name) => byName.get(name);
}
