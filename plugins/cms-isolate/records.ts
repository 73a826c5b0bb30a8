// What the plugin keeps per instance in its own state (ctx.state): the instance's record
// (`NAME.json`: its code, data, listen address, limits and command, as parsed) and its log
// (`NAME.log`: the server's stdout and stderr when `up` started it, which the stage's supervisor
// writes and rotates to `NAME.log.1` under the instance's cap). A record is the instance's
// definition: it stays while the instance is stopped, and only `down` removes it. Whether an
// instance runs is read from the core's records (ctx.sandboxes.findByName); the record adds only
// `owner`, the process that claimed its last start (owner.ts: pid and start time), which makes a
// start in progress visible before the core has a record of it. An owner that is gone means
// nothing, so the field needs no cleanup; a record without it (written before it existed) has
// no start in progress.
import { join } from "node:path";
import type { SandboxFound, SandboxService, StateStore } from "nsbox/plugin";
import { INSTANCE_NAME, sandboxName, type Instance } from "./args.ts";
import { liveOwner, phaseOf, type Owner } from "./owner.ts";

const recordKey = (name: string) => `${name}.json`;
const logKey = (name: string) => `${name}.log`;
export const logPath = (state: StateStore, name: string) => join(state.dir, logKey(name));

/** Removes the log and what its writer, the stage's supervisor, makes beside it: the generation before, and the next one while it is renamed into place. */
export function removeLog(state: StateStore, name: string): void {
  for (const key of [logKey(name), `${logKey(name)}.1`, `${logKey(name)}.new`]) state.remove(key);
}

export interface InstanceRecord extends Instance {
  version: 1;
  /** When the record was written (ISO 8601). */
  recordedAt: string;
  /** The `run` that claimed the last start: it is, or is about to become, the instance's supervisor. */
  owner?: Owner;
}

export function readRecord(state: StateStore, name: string): InstanceRecord | undefined {
  const text = state.read(recordKey(name));
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as InstanceRecord;
    return r.version === 1 && r.name === name ? r : undefined;
  } catch {
    return undefined;
  }
}

export function writeRecord(state: StateStore, instance: Instance, owner: Owner | undefined): void {
  const record: InstanceRecord = { version: 1, recordedAt: new Date().toISOString(), ...instance, ...(owner && { owner }) };
  state.write(recordKey(instance.name), `${JSON.stringify(record, null, 2)}\n`);
}

export function removeRecord(state: StateStore, name: string): void {
  state.remove(recordKey(name));
}

/** Every recorded instance, by name. */
export function listRecords(state: StateStore): InstanceRecord[] {
  return state
    .keys()
    .filter((k) => k.endsWith(".json") && INSTANCE_NAME.test(k.slice(0, -5)))
    .flatMap((k) => readRecord(state, k.slice(0, -5)) ?? []);
}

/** Whether two records describe the same instance (what a restart must not change silently). */
export function sameConfig(a: Instance, b: Instance): boolean {
  const keyOf = (i: Instance) => JSON.stringify([i.code, i.data, i.listen, i.memory, i.pids, i.zone, i.phpIni, i.command, i.logMax]);
  return keyOf(a) === keyOf(b);
}

/**
 * The running sandbox of instance NAME (the core's record of `cms-NAME`), or undefined. A
 * sandbox whose server has just ended (its supervisor is tearing it down) counts as not running.
 */
export function findInstance(sandboxes: SandboxService, name: string): SandboxFound | undefined {
  try {
    return sandboxes.findByName(sandboxName(name));
  } catch {
    return undefined;
  }
}

/** What is there of an instance now: its running sandbox, or the live owner of a start without one. */
export type Activity = { state: "running"; pid: number; sandbox: SandboxFound } | { state: "starting" | "stopping"; pid: number; owner: Owner };

/**
 * An instance's activity: running (the core's record of its sandbox), starting (the record's
 * owner is still nsbox, before the core recorded the sandbox) or stopping (its supervisor has
 * removed the core's record and is tearing the sandbox down); undefined when nothing is there.
 */
export function activityOf(sandboxes: SandboxService, record: Pick<InstanceRecord, "name" | "owner">): Activity | undefined {
  const sandbox = findInstance(sandboxes, record.name);
  if (sandbox) return { state: "running", pid: sandbox.pid, sandbox };
  const owner = liveOwner(record.owner);
  return owner && { state: phaseOf(owner), pid: owner.pid, owner };
}
