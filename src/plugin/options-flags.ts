// A plugin's command-line flags, derived from its valibot options schema (one source of truth,
// as nsjail's config.proto is for its flags and config files): the entries of the object schema
// become `--kebab-name VALUE` flags with their types, defaults and help text. Then argv → the
// input that schema validates, and its issues → one line. Pure: nothing here prints.
import * as v from "valibot";
import { flagsOf, scanArgs, type ArgFlag, type FlagShape } from "../base/argv.ts";
import { UsageError } from "../base/errors.ts";

/** What a flag's value is; `list` is a repeatable string flag (an array of strings). */
export type FlagKind = "string" | "number" | "boolean" | "choice" | "list";

export interface PluginFlag {
  /** The key in the options object (camelCase as the plugin wrote it). */
  key: string;
  /** The flag without `--`: the key in kebab-case. */
  name: string;
  kind: FlagKind;
  /** The allowed values of a `choice` (picklist), or of each `list` value when it has a picklist item. */
  choices?: readonly string[];
  /** No default and not optional: the flag must be given. */
  required: boolean;
  /** The default when the flag is not given (undefined: none). */
  default?: unknown;
  /** From `v.description(...)` on the entry. */
  help: string;
  /** The value's placeholder: `v.metadata({ metavar: "ADDR" })`, else one derived from the kind. */
  metavar: string;
}

/** The fields of a valibot schema object this walk reads (they are plain objects: STYLE.md §2.1). */
interface SchemaNode {
  type: string;
  wrapped?: SchemaNode;
  default?: unknown;
  item?: SchemaNode;
  options?: readonly unknown[];
  entries?: Record<string, SchemaNode>;
  pipe?: readonly unknown[];
}

const OBJECT_TYPES = new Set(["object", "strict_object", "loose_object"]);
/** Wrappers that make an entry optional (the flag may be left out). */
const OPTIONAL_TYPES = new Set(["optional", "exact_optional", "nullish", "undefinedable"]);

/** `listenAddr` → `listen-addr`. */
export function kebabCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/_/g, "-").toLowerCase();
}

function describeNode(node: SchemaNode): string | undefined {
  return v.getDescription(node as unknown as v.GenericSchema);
}

function metavarOf(node: SchemaNode): string | undefined {
  const meta = v.getMetadata(node as unknown as v.GenericSchema) as { metavar?: unknown };
  return typeof meta.metavar === "string" ? meta.metavar : undefined;
}

function stringChoices(node: SchemaNode): readonly string[] | undefined {
  return node.type === "picklist" && node.options?.every((o) => typeof o === "string") ? (node.options as string[]) : undefined;
}

/** One entry → its flag; throws an Error saying why the entry cannot be a flag. */
function flagOf(key: string, entry: SchemaNode): PluginFlag {
  let node = entry;
  let required = true;
  let fallback: unknown;
  const help = describeNode(entry);
  const metavar = metavarOf(entry);
  while (OPTIONAL_TYPES.has(node.type) && node.wrapped) {
    required = false;
    if (fallback === undefined && node.default !== undefined) {
      fallback = v.getDefault(node as unknown as v.OptionalSchema<v.GenericSchema, unknown>);
    }
    node = node.wrapped;
  }
  const base = { key, name: kebabCase(key), required: required && fallback === undefined, default: fallback, help: help ?? describeNode(node) ?? "" };
  const meta = metavar ?? metavarOf(node);
  if (node.type === "string") return { ...base, kind: "string", metavar: meta ?? "TEXT" };
  if (node.type === "number") return { ...base, kind: "number", metavar: meta ?? "N" };
  if (node.type === "boolean") return { ...base, kind: "boolean", required: false, default: fallback ?? false, metavar: "" };
  const choices = stringChoices(node);
  if (choices) return { ...base, kind: "choice", choices, metavar: meta ?? choices.join("|") };
  if (node.type === "array" && node.item) {
    const itemChoices = stringChoices(node.item);
    if (node.item.type === "string" || itemChoices) {
      return { ...base, kind: "list", choices: itemChoices, metavar: meta ?? metavarOf(node.item) ?? itemChoices?.join("|") ?? "VALUE" };
    }
  }
  throw new Error(`option '${key}' (${node.type}) cannot be a flag: only strings, numbers, booleans, picklists and arrays of strings can`);
}

/**
 * The flags of an options schema, in the order of its entries. Throws an Error naming the first
 * entry that cannot be a flag (a nested object, a union ...) or a schema that is not an object.
 */
export function optionFlags(schema: v.GenericSchema): PluginFlag[] {
  const node = schema as unknown as SchemaNode;
  if (!OBJECT_TYPES.has(node.type) || !node.entries) {
    throw new Error(`its options must be a valibot object schema (v.object or v.strictObject), not ${node.type}`);
  }
  const flags = Object.entries(node.entries).map(([key, entry]) => flagOf(key, entry));
  const seen = new Set<string>();
  for (const f of flags) {
    if (!/^[a-z][a-z0-9-]*$/.test(f.name)) throw new Error(`option '${f.key}' does not make a flag name (letters, digits and '-')`);
    if (seen.has(f.name)) throw new Error(`two options make the same flag --${f.name}`);
    seen.add(f.name);
  }
  return flags;
}

/** `--greeting TEXT`, `--shout`, `--listen ADDR (repeatable)`. */
export function flagUsage(flag: PluginFlag): string {
  return `--${flag.name}${flag.metavar ? ` ${flag.metavar}` : ""}${flag.kind === "list" ? " (repeatable)" : ""}`;
}

export interface ParsedOptionFlags {
  /** What the options schema is given: only the flags that were present. */
  input: Record<string, unknown>;
  /** Everything else, in order: the run options and, after them, the command. */
  rest: string[];
}

function parseValue(flag: PluginFlag, value: string): unknown {
  if (flag.kind === "number") {
    const n = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isNaN(n)) throw new UsageError(`--${flag.name}: '${value}' is not a number`);
    return n;
  }
  if (flag.kind === "boolean") {
    if (value === "true" || value === "yes") return true;
    if (value === "false" || value === "no") return false;
    throw new UsageError(`--${flag.name}: '${value}' is not true or false`);
  }
  return value;
}

/** The shapes the shared tokenizer reads a plugin's flags with: booleans are negatable switches. */
export function flagShapes(flags: readonly PluginFlag[]): ({ name: string } & FlagShape)[] {
  return flags.map((f) => (f.kind === "boolean" ? { name: f.name, args: [], negatable: true } : { name: f.name, args: [f.metavar] }));
}

/**
 * The options input from a plugin's flags as the tokenizer found them, in order: booleans from
 * `--shout`, `--no-shout`, `--shout=false`; a list flag repeats; otherwise the last one wins.
 */
export function optionInput(flags: readonly PluginFlag[], found: readonly ArgFlag[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const byName = new Map(flags.map((f) => [f.name, f]));
  for (const a of found) {
    const flag = byName.get(a.name);
    if (!flag) continue;
    if (flag.kind === "boolean") {
      input[flag.key] = a.negated ? false : a.values.length === 0 ? true : parseValue(flag, a.values[0]!);
      continue;
    }
    const parsed = parseValue(flag, a.values[0]!);
    input[flag.key] = flag.kind === "list" ? [...((input[flag.key] as unknown[] | undefined) ?? []), parsed] : parsed;
  }
  return input;
}

/**
 * Takes the plugin's flags out of `args` (up to `--` or the first word that is not an option),
 * leaving the rest in order. `otherArity(name)` is how many values another flag takes
 * (undefined when there is none of that name), so that a value such as `--setenv A --greeting`
 * is skipped rather than read as a flag. A flag without its value throws a UsageError.
 */
export function parseOptionFlags(
  flags: readonly PluginFlag[],
  args: readonly string[],
  otherArity: (name: string) => number | undefined,
): ParsedOptionFlags {
  const own = flagShapes(flags);
  const ownShape = new Map(own.map((f) => [f.name, f]));
  const shape = (name: string): FlagShape | undefined => {
    const arity = ownShape.has(name) ? undefined : otherArity(name);
    return ownShape.get(name) ?? (arity === undefined ? undefined : { args: Array<string>(arity).fill("VALUE") });
  };
  const scan = scanArgs(args, { shape, unknown: "alone" });
  const found = flagsOf(scan);
  const rest = found.filter((f) => !ownShape.has(f.name)).flatMap((f) => f.raw);
  return { input: optionInput(flags, found.filter((f) => ownShape.has(f.name))), rest: [...rest, ...(scan.dashdash ? ["--"] : []), ...scan.rest] };
}

/** `× must not be empty → at greeting` (valibot's summarize style), one issue. */
export function formatOptionIssue(issue: v.BaseIssue<unknown>): string {
  const path = v.getDotPath(issue);
  return `× ${issue.message}${path ? ` → at ${path}` : ""}`;
}

export type OptionsResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Validates flag input (or config) against a schema: the output, or the first issue as one line. */
export function validateOptions(schema: v.GenericSchema, input: unknown): OptionsResult {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : "";
  return { ok: false, message: `${formatOptionIssue(result.issues[0])}${more}` };
}
