// Stable host id ranges for named sandboxes started by root (systemd-nspawn --private-users=pick,
// DynamicUser= hashing): a name gets a 65536-id slot picked from a hash of the name, the first free
// one after it, recorded under nsbox's persistent state. The same name gets the same range after
// a restart or a reboot, so its state directories stay writable; two names never share one.
// Unnamed runs keep the default range (the pool's first slot), which no name ever gets.
import { closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { PlanContext, SubIdRange } from "../model/context.ts";
import { DEFAULT_SUBID_START } from "../model/defaults.ts";
import { NAME_PATTERN } from "../model/names.ts";
import type { SandboxSpecInput } from "../model/schema.ts";
import { NsboxError } from "../base/errors.ts";
import { readWithDep, type FileDep } from "./file-deps.ts";
import { persistentDir, persistentRoot } from "./state-dir.ts";

export const SLOT_SIZE = 65536;
/** Without an nsbox entry in /etc/subuid: slots above the default range, below 2^31. */
const BUILTIN_POOL_END = 2 ** 31;

export interface RangePool {
  uidStart: number;
  gidStart: number;
  /** Number of slots; slot k covers start + k*65536 (slot 0 is the unnamed default). */
  slots: number;
}

export interface NamedRange {
  slot: number;
  uid: SubIdRange;
  gid: SubIdRange;
}

function slotsIn(r: SubIdRange): number {
  if (r.entryCount === undefined) return r.start === DEFAULT_SUBID_START ? (BUILTIN_POOL_END - r.start) / SLOT_SIZE : 1;
  return Math.floor(r.entryCount / SLOT_SIZE);
}

/** The slots named sandboxes may take, from the same subuid/subgid entries as the default range. */
export function rangePool(ctx: Pick<PlanContext, "subuid" | "subgid">): RangePool {
  const slots = Math.min(slotsIn(ctx.subuid), slotsIn(ctx.subgid));
  if (slots < 2) {
    throw new NsboxError(
      `named sandboxes need id ranges of their own, and the nsbox entries of /etc/subuid and /etc/subgid hold ${slots * SLOT_SIZE} ids`,
      125,
      `give the nsbox entries at least ${2 * SLOT_SIZE} ids (${SLOT_SIZE} per name, plus ${SLOT_SIZE} for unnamed runs), or remove them to use the built-in pool`,
    );
  }
  return { uidStart: ctx.subuid.start, gidStart: ctx.subgid.start, slots };
}

/** FNV-1a (32 bit) of the name: stable across versions and machines, unlike a runtime's hash. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

/** The slots to try for a name, in order: its hash's slot first, then the ones after it. */
export function probeOrder(name: string, pool: RangePool): number[] {
  const named = pool.slots - 1;
  const first = nameHash(name) % named;
  return Array.from({ length: named }, (_, i) => 1 + ((first + i) % named));
}

export function rangeOf(name: string, slot: number, pool: RangePool, dir: string): NamedRange {
  const source = `range of sandbox ${name} (slot ${slot}, ${dir})`;
  return {
    slot,
    uid: { start: pool.uidStart + slot * SLOT_SIZE, count: SLOT_SIZE, source },
    gid: { start: pool.gidStart + slot * SLOT_SIZE, count: SLOT_SIZE, source },
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * What name-NAME records: undefined when nothing is; `valid` when it is one of the pool's slots
 * and that slot's own claim holds the name. `read` reads each of the two files.
 */
export function slotRecord(name: string, pool: RangePool, dir: string, read: (file: string) => string | undefined = readText): { slot: number; valid: boolean } | undefined {
  const text = read(join(dir, `name-${name}`));
  if (text === undefined) return undefined;
  const slot = Number(text.trim());
  return { slot, valid: Number.isInteger(slot) && slot >= 1 && slot < pool.slots && read(join(dir, `slot-${slot}`)) === name };
}

/** The slot recorded for a name, checked against the slot's own claim; undefined when none is. */
function recordedSlot(name: string, pool: RangePool, dir: string): number | undefined {
  const record = slotRecord(name, pool, dir);
  if (record === undefined) return undefined;
  if (!record.valid) {
    throw new NsboxError(
      `the id range recorded for sandbox ${name} (${join(dir, `name-${name}`)}) is not one of the nsbox pool's slots`,
      125,
      `the nsbox entries of /etc/subuid or /etc/subgid changed; remove that file to pick a new range (its state directories are then given to the new one)`,
    );
  }
  return record.slot;
}

/** Claims a slot: O_EXCL on its file decides between two runs picking it at once. */
function claimSlot(name: string, slot: number, dir: string): boolean {
  const file = join(dir, `slot-${slot}`);
  try {
    const fd = openSync(file, "wx", 0o600);
    writeSync(fd, name);
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return readText(file) === name; // a run of the same name got there first
  }
}

/**
 * The range of a named sandbox. `claim` records a new one (a run); without it nothing is written
 * and a name without a range gets the one it would get now (`plan`, `explain`).
 */
export function namedRange(name: string, pool: RangePool, claim: boolean, dir: string): NamedRange {
  const recorded = recordedSlot(name, pool, dir);
  if (recorded !== undefined) return rangeOf(name, recorded, pool, dir);
  for (const slot of probeOrder(name, pool)) {
    if (!claim) {
      if (readText(join(dir, `slot-${slot}`)) === undefined) return rangeOf(name, slot, pool, dir);
      continue;
    }
    if (claimSlot(name, slot, dir)) {
      writeFileSync(join(dir, `name-${name}.tmp`), String(slot), { mode: 0o600 });
      renameSync(join(dir, `name-${name}.tmp`), join(dir, `name-${name}`));
      return rangeOf(name, slot, pool, dir);
    }
  }
  throw new NsboxError(`no free id range left for sandbox ${name}: all ${pool.slots - 1} are taken (${dir})`, 125, "remove the name-* and slot-* files of sandboxes that no longer exist");
}

/** What contextForSandbox reads of a spec input: its name and whether it takes the default map. */
export type RangeInput = Pick<SandboxSpecInput, "name"> & {
  users?: Pick<NonNullable<SandboxSpecInput["users"]>, "mapHostRoot" | "uidMap" | "gidMap">;
  namespaces?: { user?: NonNullable<SandboxSpecInput["namespaces"]>["user"] };
};

/** A named sandbox's range as planning used it, and what of the input chose it (the plan cache claims it again). */
export interface NamedRangeUse {
  input: RangeInput;
  subuid: SubIdRange;
  subgid: SubIdRange;
}

/**
 * The two files that record `range` for its name (name-NAME, then slot-K), by identity, when they
 * record exactly that range: a start that finds both unchanged (lstat) would plan in the same
 * one. Undefined when the name has no range recorded, or another one.
 */
export function recordedRangeDeps(ctx: Pick<PlanContext, "subuid" | "subgid">, range: NamedRangeUse, dir = join(persistentRoot(), "id-ranges")): FileDep[] | undefined {
  const name = range.input.name;
  if (name === undefined || !NAME_PATTERN.test(name)) return undefined;
  // Each file's identity from the very fd its text came from.
  const deps: FileDep[] = [];
  const read = (file: string) => {
    const got = readWithDep(file);
    if (got) deps.push(got.dep);
    return got?.text;
  };
  const pool = rangePool(ctx);
  const record = slotRecord(name, pool, dir, read);
  if (!record?.valid) return undefined;
  const now = rangeOf(name, record.slot, pool, dir);
  return now.uid.start === range.subuid.start && now.gid.start === range.subgid.start ? deps : undefined;
}

/** Those fields of `input`, and no others: enough to ask contextForSandbox again later. */
export function rangeInputOf(input: SandboxSpecInput): RangeInput {
  const u = input.users ?? {};
  return {
    name: input.name,
    users: { mapHostRoot: u.mapHostRoot, uidMap: u.uidMap, gidMap: u.gidMap },
    namespaces: { user: input.namespaces?.user },
  };
}

/** Whether the spec input takes the default id map of a root launch, which a name replaces. */
function usesDefaultMap(input: RangeInput, ctx: PlanContext): boolean {
  const u = input.users ?? {};
  return ctx.uid === 0 && !u.mapHostRoot && !(u.uidMap?.length || u.gidMap?.length) && (input.namespaces?.user?.mode ?? "new") === "new";
}

/**
 * The planning context for a sandbox: a named root launch maps onto its name's range instead of
 * the default one. Rootless launches keep mapping the caller's own id (all the kernel allows).
 */
export function contextForSandbox(ctx: PlanContext, input: SandboxSpecInput | RangeInput, claim: boolean, dir?: string): PlanContext {
  // Names become file names here: one the schema will refuse ("../x") is never used as one.
  if (typeof input !== "object" || input === null || typeof input.name !== "string" || !NAME_PATTERN.test(input.name) || !usesDefaultMap(input, ctx)) return ctx;
  const pool = rangePool(ctx);
  // Reading needs no directory: a path that does not exist yet means nothing is recorded.
  const range = namedRange(input.name, pool, claim, dir ?? (claim ? persistentDir("id-ranges") : join(persistentRoot(), "id-ranges")));
  return { ...ctx, subuid: range.uid, subgid: range.gid };
}

/**
 * Plans a sandbox with its name's range: looked up first, recorded (`claim`) only once `plan`
 * accepted the input, and planned again in the rare case another run took that slot meanwhile.
 */
export function planWithRange<T>(ctx: PlanContext, input: SandboxSpecInput, claim: boolean, plan: (ctx: PlanContext) => T, valid: (result: T) => boolean = () => true): { result: T; ctx: PlanContext } {
  const peeked = contextForSandbox(ctx, input, false);
  const result = plan(peeked);
  if (!claim || !valid(result)) return { result, ctx: peeked };
  const claimed = contextForSandbox(ctx, input, true);
  const same = claimed.subuid.start === peeked.subuid.start && claimed.subgid.start === peeked.subgid.start;
  return { result: same ? result : plan(claimed), ctx: claimed };
}
