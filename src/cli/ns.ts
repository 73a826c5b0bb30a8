// `nsbox ns SUBCOMMAND`: namespaces themselves. cac has no sub-sub-commands, so `ns [...args]`
// dispatches on its first word through NS_SUBCOMMANDS: `ls` (every namespace on the host, like
// util-linux lsns), `persist NAME` (namespaces that live without a process) and `rm NAME`.
import type { CAC } from "cac";
import { EXIT, NsboxError, UsageError } from "../base/errors.ts";
import { hostFacts, type HostFacts } from "../core/host-facts.ts";
import { listNamespaces, type NsEntry, type NsRef } from "../core/ns-list.ts";
import { NS_KINDS, type NsKind } from "../model/schema.ts";
import type { PlanContext } from "../model/context.ts";
import { persistNamespaces, readPersistRecord, removePersisted } from "../core/persist.ts";
import { sandboxNamer } from "../core/sandbox-names.ts";
import { checkName } from "./names.ts";
import { readPlanContext } from "./context.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./io.ts";
import { alignColumns } from "./columns.ts";

export const NS_USAGE = "nsbox ns ls [--type KIND] [--json] | ns persist NAME [--unshare LIST] | ns rm NAME";

export interface NsDeps {
  facts?: HostFacts;
  /** Names the nsbox sandbox a namespace belongs to; default: running sandboxes and persisted ones. */
  nameOf?: (ns: NsRef) => string | null;
  context?: () => PlanContext;
}

interface NsOptions {
  type?: unknown;
  json?: unknown;
  unshare?: unknown;
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
  return alignColumns(rows, COLUMNS.map((c) => c.right === true));
}

function nsLs(rest: readonly string[], options: NsOptions, deps: NsDeps): string {
  if (rest.length > 0) throw new UsageError(`ns ls: unexpected argument '${rest[0]}'`, `see ${NS_USAGE}`);
  const entries = listNamespaces(deps.facts ?? hostFacts, { kind: parseKind(options.type), nameOf: deps.nameOf ?? sandboxNamer() });
  return options.json ? `${JSON.stringify(entries, null, 2)}\n` : formatNsTable(entries);
}

function oneName(rest: readonly string[], word: string): string {
  if (rest.length !== 1) throw new UsageError(`ns ${word} needs exactly one NAME`, `see ${NS_USAGE}`);
  return checkName(rest[0]!, `ns ${word}`);
}

function nsPersist(rest: readonly string[], options: NsOptions, deps: NsDeps): string {
  const name = oneName(rest, "persist");
  const list = options.unshare === undefined ? "net" : String(options.unshare);
  const kinds = [...new Set(list.split(",").map((k) => k.trim()))];
  for (const k of kinds) {
    if (!(NS_KINDS as readonly string[]).includes(k)) throw new UsageError(`--unshare: unknown namespace kind '${k}'`, `use some of ${NS_KINDS.join(",")}`);
  }
  const record = persistNamespaces(name, kinds as NsKind[], (deps.context ?? readPlanContext)());
  return `${record.files.join("\n")}\n`;
}

function nsRm(rest: readonly string[]): string {
  const name = oneName(rest, "rm");
  const record = readPersistRecord(name);
  if (!record) throw new NsboxError(`no persistent namespaces named ${name}`, EXIT.failed, "see nsbox ns ls");
  removePersisted(record);
  return "";
}

/** The words `ns` understands; each returns what to print. */
const NS_SUBCOMMANDS: Readonly<Record<string, (rest: readonly string[], options: NsOptions, deps: NsDeps) => string>> = {
  ls: nsLs,
  persist: nsPersist,
  rm: nsRm,
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
    .command("ns [...args]", "Namespaces: `ns ls` lists every one on the host (like lsns); `ns persist`/`ns rm` keep and drop ones that live without a process")
    .usage(NS_USAGE.replace(/^nsbox /, ""))
    .option("--type <kind>", `only namespaces of this kind (${NS_KINDS.join(",")})`)
    .option("--json", "print an array of objects")
    .option("--unshare <list>", "ns persist: the kinds to create and keep (default net; pid cannot be kept)")
    .example("  nsbox ns ls")
    .example("  nsbox ns ls --type net --json")
    .example("  nsbox ns persist lab --unshare net,uts && nsbox run --join net=lab -- ip addr")
    .example("  nsbox ns rm lab")
    .action((args: string[], options: NsOptions & Record<string, unknown>) => {
      applyLogOptions(options);
      io.stdout(nsCommand(args, options, deps));
    });
  addLogOptions(cmd);
}
