// Persistent namespaces: kept alive with no process by bind-mounting their nsfs files under
// <state>/ns/NAME/KIND (a network namespace also at /run/netns/NAME, where `ip netns` looks).
// The record is written before anything is made, and every failure undoes what was made.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PlanContext } from "../model/context.ts";
import { planSpec, formatIssue } from "../model/plan.ts";
import { NS_KINDS, type NsKind } from "../model/schema.ts";
import { NsboxError, UsageError } from "../base/errors.ts";
import { runStage } from "./execute.ts";
import { parseMountinfo } from "./mountinfo.ts";
import { existingStateDir, stateDir, stateRoot } from "./state-dir.ts";
import { ffiSys } from "./sys/ffi.ts";
import type { Sys } from "./sys/sys.ts";

/** A PID namespace cannot be persisted: once its init is gone nothing can enter it (pid_namespaces(7)). */
export const PERSISTABLE_KINDS: readonly NsKind[] = NS_KINDS.filter((k) => k !== "pid");
const NETNS_DIR = "/run/netns";
const MS_BIND = 0x1000;
const MS_PRIVATE = 1 << 18;
const MNT_DETACH = 2;

export interface PersistRecord {
  version: 1;
  name: string;
  kinds: NsKind[];
  /** The bind-mounted files, one per kind, plus the /run/netns link for a network namespace. */
  files: string[];
  createdAt: string;
}

export const persistRoot = () => join(stateRoot(), "ns");
const recordPath = (name: string) => join(stateDir("persist"), `${name}.json`);

/** The file to join for KIND of the persisted namespaces NAME. */
export function persistedPath(name: string, kind: NsKind): string {
  return join(persistRoot(), name, kind);
}

function mountPoints(): Set<string> {
  return new Set(parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")).map((m) => m.mountPoint));
}

/**
 * The kernel refuses to bind a mount namespace file where the binding could propagate back into
 * that namespace (a reference loop): the directory must be its own mount with private
 * propagation. It is made once and kept, as `ip netns` keeps /run/netns.
 */
function ensurePrivateMount(dir: string, sys: Sys): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!mountPoints().has(dir)) sys.mount(dir, dir, null, MS_BIND);
  sys.mount("none", dir, null, MS_PRIVATE);
}

export function readPersistRecord(name: string): PersistRecord | undefined {
  const dir = existingStateDir("persist");
  try {
    return dir ? (JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as PersistRecord) : undefined;
  } catch {
    return undefined;
  }
}

export function listPersistRecords(): PersistRecord[] {
  const dir = existingStateDir("persist");
  if (!dir) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => readPersistRecord(f.slice(0, -5)) ?? []);
}

/** Unmounts and removes everything a record names; safe on a half-made record. */
export function removePersisted(record: PersistRecord, sys: Sys = ffiSys): void {
  const mounted = mountPoints();
  for (const file of record.files) {
    if (mounted.has(file)) sys.umount(file, MNT_DETACH);
    rmSync(file, { force: true });
  }
  rmSync(join(persistRoot(), record.name), { recursive: true, force: true });
  rmSync(recordPath(record.name), { force: true });
  releasePrivateMount(sys);
}

/** The private mount under the persisted namespaces goes with the last of them. */
export function releasePrivateMount(sys: Sys = ffiSys): boolean {
  const root = persistRoot();
  if (listPersistRecords().length > 0 || !mountPoints().has(root)) return false;
  sys.umount(root, MNT_DETACH);
  return true;
}

export function persistNamespaces(name: string, kinds: NsKind[], ctx: PlanContext, sys: Sys = ffiSys): PersistRecord {
  if (ctx.uid !== 0) throw new UsageError("nsbox ns persist needs root (bind-mounting namespace files needs CAP_SYS_ADMIN)");
  const bad = kinds.find((k) => !PERSISTABLE_KINDS.includes(k));
  if (bad) throw new UsageError(`--unshare: a ${bad} namespace cannot be persisted (its init would be gone)`);
  if (readPersistRecord(name)) throw new UsageError(`persistent namespaces named ${name} exist already`, `remove them first: nsbox ns rm ${name}`);
  const netLink = join(NETNS_DIR, name);
  if (kinds.includes("net") && existsSync(netLink)) throw new UsageError(`${netLink} exists already (ip netns)`);

  const dir = join(persistRoot(), name);
  const record: PersistRecord = {
    version: 1,
    name,
    kinds,
    files: [...kinds.map((k) => join(dir, k)), ...(kinds.includes("net") ? [netLink] : [])],
    createdAt: new Date().toISOString(),
  };
  const plan = planSpec(
    {
      name,
      namespaces: Object.fromEntries(NS_KINDS.map((k) => [k, { mode: kinds.includes(k) ? "new" : "host" }])),
      network: { mode: kinds.includes("net") ? "loopback" : "host" },
      // The stage needs no command in persist mode; the schema wants one, the wire gets none.
      process: { argv: ["persist"], init: false },
    },
    ctx,
  );
  if (!plan.ok) throw new UsageError(formatIssue(plan.issues[0]!));
  writeFileSync(recordPath(name), JSON.stringify(record), { mode: 0o600 });
  try {
    ensurePrivateMount(persistRoot(), sys);
    mkdirSync(dir, { mode: 0o700 });
    if (kinds.includes("net")) mkdirSync(NETNS_DIR, { recursive: true, mode: 0o755 });
    for (const file of record.files) writeFileSync(file, "", { flag: "wx", mode: 0o444 });
    const spec = { ...plan.spec, process: { ...plan.spec.process, argv: [] } };
    const links = kinds.includes("net") ? [{ kind: "net" as const, path: netLink }] : [];
    const r = runStage(spec, { persist: { dir, links } }, sys);
    if (r.code !== 0) throw new NsboxError(r.stderr.trim().replace(/^nsbox: /, "") || `the stage failed (exit ${r.code})`, r.code);
  } catch (e) {
    removePersisted(record, sys);
    throw e;
  }
  return record;
}
