// Where zones live: <state>/zones/NAME.json (written before anything of the zone is made, so
// `netzone rm` can finish a half-made one), NAME.leases/ADDRESS (one file per member address,
// created exclusively, unlinked by the stage when the member ends) and the ip_forward value found
// before the first zone turned forwarding on (restored when the last zone goes).
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, constants } from "node:fs";
import { join } from "node:path";
import { NsboxError, UsageError } from "../../base/errors.ts";
import { existingStateDir, stateDir } from "../state-dir.ts";
import { isSameProcess } from "../proc.ts";
import { checkZoneName, pickLease, type Zone } from "./zone.ts";

export interface ZoneStore {
  dir: string;
}

export const zoneStore = (): ZoneStore => ({ dir: stateDir("zones") });

export function zoneFile(s: ZoneStore, name: string): string {
  return join(s.dir, `${checkZoneName(name)}.json`);
}
export const leaseDir = (s: ZoneStore, name: string) => join(s.dir, `${checkZoneName(name)}.leases`);
export const forwardFile = (s: ZoneStore) => join(s.dir, "ip_forward.orig");

export function writeZone(s: ZoneStore, z: Zone): void {
  const file = zoneFile(s, z.name);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(z, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function readZone(s: ZoneStore, name: string): Zone | undefined {
  try {
    const z = JSON.parse(readFileSync(zoneFile(s, name), "utf8")) as Zone;
    return z.version === 1 && z.name === name ? z : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new NsboxError(`zone ${name}: unreadable record ${zoneFile(s, name)}: ${(e as Error).message}`);
  }
}

/** Every recorded zone (read-only: creates no directory). */
export function listZones(dir: string | undefined = existingStateDir("zones")): Zone[] {
  if (!dir) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .flatMap((n) => {
      const z = readZone({ dir }, n.slice(0, -5));
      return z ? [z] : [];
    });
}

export function removeZoneRecord(s: ZoneStore, name: string): void {
  rmSync(leaseDir(s, name), { recursive: true, force: true });
  rmSync(zoneFile(s, name), { force: true });
}

export interface Lease {
  address: string;
  pid: number;
  startTime: number;
  file: string;
}

export function listLeases(s: ZoneStore, name: string): Lease[] {
  const dir = leaseDir(s, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n)).flatMap((address) => {
    try {
      const [pid, startTime] = readFileSync(join(dir, address), "utf8").trim().split(" ").map(Number);
      return [{ address, pid: pid!, startTime: startTime!, file: join(dir, address) }];
    } catch {
      return [];
    }
  });
}

/** Leases whose owner is alive; a dead owner's lease (a killed run) is removed on the way. */
export function liveLeases(s: ZoneStore, name: string): Lease[] {
  return listLeases(s, name).filter((l) => {
    if (isSameProcess(l.pid, l.startTime)) return true;
    // A killed member: its stage could not unlink its lease.
    rmSync(l.file, { force: true });
    return false;
  });
}

/** Takes the lowest free address, by creating its lease file exclusively (two runs never share one). */
export function takeLease(s: ZoneStore, z: Zone, owner: { pid: number; startTime: number }): Lease {
  const dir = leaseDir(s, z.name);
  for (let attempt = 0; attempt < 64; attempt++) {
    const used = new Set(liveLeases(s, z.name).map((l) => l.address));
    const address = pickLease(z.subnet, used);
    if (!address) throw new UsageError(`zone ${z.name}: no free address in ${z.subnet}`);
    const file = join(dir, address);
    try {
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeFileSync(fd, `${owner.pid} ${owner.startTime}\n`);
      closeSync(fd);
      return { address, ...owner, file };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  throw new NsboxError(`zone ${z.name}: could not take a lease (too much contention)`);
}

/**
 * Runs `fn` holding the zones lock (a file made exclusively, naming its owner), so two `create`s
 * never pick the same subnet or name. A dead owner's lock is taken over; a live one is waited for.
 */
export function withZoneLock<T>(s: ZoneStore, owner: { pid: number; startTime: number }, fn: () => T): T {
  const file = join(s.dir, ".lock");
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeFileSync(fd, `${owner.pid} ${owner.startTime}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder: number[] = [];
      try {
        holder = readFileSync(file, "utf8").trim().split(" ").map(Number);
      } catch {}
      if (holder.length === 2 && !isSameProcess(holder[0]!, holder[1]!)) rmSync(file, { force: true });
      else if (Date.now() > end) throw new NsboxError(`zones are locked by pid ${holder[0]} (${file})`);
      else Bun.sleepSync(20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(file, { force: true });
  }
}
