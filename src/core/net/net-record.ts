// What nsbox's network setup is about to make (host-side links, nft tables), written to the state
// dir before it is made (DESIGN.md §2), so `nsbox gc` can remove what a killed run left behind.
// One JSON file per owner process: <state>/net/<pid>-<starttime>.json.
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NsboxError } from "../../base/errors.ts";
import { startTime } from "../proc.ts";
import { existingStateDir, stateDir } from "../state-dir.ts";
import { checkIfname } from "./ifname.ts";
import { zoneTableName } from "./nft.ts";

export interface NetRecord {
  version: 1;
  /** The owner: while this process lives, what it recorded is in use. */
  pid: number;
  startTime: number;
  /**
   * The inode of the network namespace the links and tables are in. gc acts only from that same
   * namespace: a name means nothing in another one.
   */
  netns: number;
  /** Links by name (for a veth, the end in `netns`; deleting it deletes its peer too). */
  links: string[];
  /** Zones whose `table inet nsbox_<zone>` was (or was about to be) made. */
  zones: string[];
}

export interface NetOwner {
  pid: number;
  startTime: number;
}

/** The inode of the calling thread's network namespace. */
export function currentNetns(): number {
  return statSync("/proc/thread-self/ns/net").ino;
}

export function selfOwner(): NetOwner {
  const start = startTime(process.pid);
  if (start === undefined) throw new NsboxError(`cannot read the start time of pid ${process.pid}`);
  return { pid: process.pid, startTime: start };
}

const recordName = (o: NetOwner) => `${o.pid}-${o.startTime}.json`;

/**
 * Appends to the owner's record and rewrites it (write to a temporary file, then rename, so a
 * reader never sees half a record) before the caller makes the thing it names.
 */
export class NetRecorder {
  readonly file: string;
  private readonly record: NetRecord;

  /** `dir` is for tests; by default the private state dir `net`. */
  constructor(owner: NetOwner = selfOwner(), dir: string = stateDir("net"), netns: number = currentNetns()) {
    this.file = join(dir, recordName(owner));
    this.record = readNetRecord(this.file) ?? { version: 1, pid: owner.pid, startTime: owner.startTime, netns, links: [], zones: [] };
  }

  /** Records a link about to be created in this namespace. */
  link(name: string): void {
    checkIfname(name);
    if (!this.record.links.includes(name)) this.record.links.push(name);
    this.write();
  }

  /** Records a zone whose nft table is about to be created. */
  zone(zone: string): void {
    zoneTableName(zone);
    if (!this.record.zones.includes(zone)) this.record.zones.push(zone);
    this.write();
  }

  /** The owner removed the link itself: gc need not. */
  forgetLink(name: string): void {
    this.record.links = this.record.links.filter((l) => l !== name);
    this.write();
  }

  forgetZone(zone: string): void {
    this.record.zones = this.record.zones.filter((z) => z !== zone);
    this.write();
  }

  /** Everything recorded is gone: drop the record. */
  discard(): void {
    rmSync(this.file, { force: true });
  }

  get current(): Readonly<NetRecord> {
    return this.record;
  }

  private write(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.record), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** A record file, or undefined when it is missing or not a record. */
export function readNetRecord(file: string): NetRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(file, "utf8")) as NetRecord;
    const ok = r.version === 1 && Number.isInteger(r.pid) && Number.isInteger(r.startTime) && Number.isInteger(r.netns) && Array.isArray(r.links) && Array.isArray(r.zones);
    return ok ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Every readable record (temporary files and garbage are skipped: not ours to judge). */
export function listNetRecords(dir: string | undefined = existingStateDir("net")): { file: string; record: NetRecord }[] {
  if (!dir) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .flatMap((n) => {
      const file = join(dir, n);
      const record = readNetRecord(file);
      return record ? [{ file, record }] : [];
    });
}
