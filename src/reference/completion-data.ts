// The reference flattened into what a completion script looks up: per scope (a command, a
// command's word, a plugin's run flags) the flags with their arity and what each value
// completes to. Shared by the bash, zsh and fish renderers. Pure.
import { flagsFor, pathKind, type FlagRef, type Reference } from "./model.ts";

/** What one value of a flag completes to: a path, one of a list, or nothing in particular. */
export type ValueKind = { kind: "file" } | { kind: "dir" } | { kind: "choice"; values: readonly string[] } | { kind: "any" };

export interface ScopeFlag {
  name: string;
  help: string;
  values: readonly ValueKind[];
}

export interface Scope {
  /** `run`, `ns`, `netzone create`, or `plugin:NAME` for the flags `run --plugin NAME` adds. */
  key: string;
  flags: readonly ScopeFlag[];
}

export function valueKinds(flag: FlagRef): ValueKind[] {
  return flag.args.map((meta, i) => {
    if (flag.choices && flag.args.length === 1 && i === 0) return { kind: "choice", values: flag.choices };
    const path = pathKind(meta);
    return path ? { kind: path } : { kind: "any" };
  });
}

const scopeFlags = (flags: readonly FlagRef[]): ScopeFlag[] => {
  const seen = new Set<string>();
  return flags.filter((f) => !seen.has(f.name) && seen.add(f.name)).map((f) => ({ name: f.name, help: f.help, values: valueKinds(f) }));
};

/** Every scope of the reference, commands first. */
export function completionScopes(ref: Reference): Scope[] {
  return ref.commands.flatMap((c) => [
    { key: c.name, flags: scopeFlags(flagsFor(ref, c)) },
    ...c.words.filter((w) => w.flags?.length || w.sandbox).map((w) => ({ key: `${c.name} ${w.name}`, flags: scopeFlags(flagsFor(ref, c, w)) })),
    ...(c.plugin ? [{ key: `plugin:${c.name}`, flags: scopeFlags(c.plugin.flags) }] : []),
  ]);
}

/** A value kind as one token of the scripts' value tables: `@file`, `@dir`, `@any`, or `a|b|c`. */
export function valueToken(v: ValueKind): string {
  return v.kind === "choice" ? v.values.join("|") : `@${v.kind}`;
}

/** `[scope --flag, arity]` and `[scope --flag, value tokens]` rows of the flags that take values. */
export function flagTables(scopes: readonly Scope[]): { arity: [string, string][]; values: [string, string][] } {
  const rows = scopes.flatMap((s) => s.flags.filter((f) => f.values.length).map((f) => ({ key: `${s.key} --${f.name}`, f })));
  return {
    arity: rows.map(({ key, f }) => [key, String(f.values.length)]),
    values: rows.map(({ key, f }) => [key, f.values.map(valueToken).join(" ")]),
  };
}

/** One line of help for a menu: the first clause, without backticks. */
export function shortHelp(help: string): string {
  return help.replace(/`/g, "").split(/; |\. /)[0]!.slice(0, 80);
}
