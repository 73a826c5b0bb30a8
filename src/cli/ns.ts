// `nsbox ns SUBCOMMAND`: inspecting namespaces. cac has no sub-sub-commands, so `ns [...args]`
// dispatches on its first word through NS_SUBCOMMANDS. For now: `ns ls [--type KIND] [--json]`,
// every namespace on the host like util-linux lsns.
import type { CAC } from "cac";
import { UsageError } from "../core/errors.ts";
import { hostFacts, type HostFacts } from "../core/host-facts.ts";
import { listNamespaces, type NsEntry, type NsRef } from "../core/ns-list.ts";
import { NS_KINDS, type NsKind } from "../spec/schema.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./index.ts";

export const NS_USAGE = "nsbox ns ls [--type KIND] [--json]";

export interface NsDeps {
  facts?: HostFacts;
  /** Names the nsbox sandbox a namespace belongs to (filled by a later issue from /run/nsbox). */
  nameOf?: (ns: NsRef) => string | null;
}

interface NsOptions {
  type?: unknown;
  json?: unknown;
}

function parseKind(value: unknown): NsKind | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError("--type was given more than once", `see ${NS_USAGE}`);
  const kind = String(value); // mri turns a numeric value into a number
  if (!(NS_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--type: unknown namespace kind '${kind}'`, `use one of ${NS_KINDS.join(", ")}`);
  return kind as NsKind;
}

const dash = (v: number | string | null) => (v === null ? "-" : String(v));

const COLUMNS: readonly { header: string; right?: boolean; value(e: NsEntry): string }[] = [
  { header: "NS", right: true, value: (e) => String(e.inode) },
  { header: "TYPE", value: (e) => e.kind },
  { header: "NPROCS", right: true, value: (e) => String(e.nprocs) },
  { header: "PID", right: true, value: (e) => dash(e.pid) },
  { header: "UID", right: true, value: (e) => dash(e.uid) },
  { header: "USERNS", right: true, value: (e) => dash(e.owner) },
  { header: "NAME/PATH", value: (e) => dash(e.name ?? e.path) },
  // Last, so a long command line does not push the other columns out of line.
  { header: "COMMAND", value: (e) => dash(e.command) },
];

/** Aligned columns with a header line, like lsns. */
export function formatNsTable(entries: readonly NsEntry[]): string {
  const rows = [COLUMNS.map((c) => c.header), ...entries.map((e) => COLUMNS.map((c) => c.value(e)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : COLUMNS[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ");
  return rows.map((r) => `${line(r).trimEnd()}\n`).join("");
}

function nsLs(rest: readonly string[], options: NsOptions, deps: NsDeps): string {
  if (rest.length > 0) throw new UsageError(`ns ls: unexpected argument '${rest[0]}'`, `see ${NS_USAGE}`);
  const entries = listNamespaces(deps.facts ?? hostFacts, { kind: parseKind(options.type), nameOf: deps.nameOf });
  return options.json ? `${JSON.stringify(entries, null, 2)}\n` : formatNsTable(entries);
}

/** The words `ns` understands; each returns what to print. */
const NS_SUBCOMMANDS: Readonly<Record<string, (rest: readonly string[], options: NsOptions, deps: NsDeps) => string>> = {
  ls: nsLs,
};

/** Dispatches `ns WORD ...`; returns what to print on stdout. */
export function nsCommand(args: readonly string[], options: NsOptions, deps: NsDeps = {}): string {
  const [word, ...rest] = args;
  const known = Object.keys(NS_SUBCOMMANDS).join(", ");
  if (word === undefined) throw new UsageError("ns needs a subcommand", `one of: ${known} (${NS_USAGE})`);
  const sub = Object.hasOwn(NS_SUBCOMMANDS, word) ? NS_SUBCOMMANDS[word] : undefined;
  if (!sub) throw new UsageError(`unknown ns subcommand '${word}'`, `one of: ${known}`);
  return sub(rest, options, deps);
}

/** Adds `ns` to the CLI; deps default to the real host and no sandbox names. */
export function registerNs(cli: CAC, io: CliIo, deps: NsDeps = {}): void {
  const cmd = cli
    .command("ns [...args]", "Inspect namespaces: `ns ls` lists every namespace on the host (like lsns)")
    .usage(NS_USAGE.replace(/^nsbox /, ""))
    .option("--type <kind>", `only namespaces of this kind (${NS_KINDS.join(",")})`)
    .option("--json", "print an array of objects")
    .example("  nsbox ns ls")
    .example("  nsbox ns ls --type net --json")
    .action((args: string[], options: NsOptions & Record<string, unknown>) => {
      applyLogOptions(options);
      io.stdout(nsCommand(args, options, deps));
    });
  addLogOptions(cmd);
}
