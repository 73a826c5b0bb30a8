// The resolv.conf a zone's members see: one file per zone (its `--dns` servers), beside the
// private state root rather than in it, because the stage binds it from inside the sandbox's
// user namespace, where the root-only state directory cannot be searched. Planning binds it
// (the path is known before the run, so `plan` shows the mount `run` makes); the run writes it.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../base/errors.ts";
import type { Zone } from "../../plugin/services.ts";
import { existingStateDir, stateRoot } from "../state-dir.ts";
import { checkZoneName } from "./zone.ts";
import { readZone } from "./zone-store.ts";

const resolvDir = () => `${stateRoot()}-resolv`;

export const zoneResolvPath = (name: string): string => join(resolvDir(), checkZoneName(name));

/**
 * The file a member of zone `name` binds at /etc/resolv.conf, or undefined when the zone names no
 * DNS server (the sandbox keeps its own). No zone of that name is a UsageError. Reads only.
 */
export function zoneResolvConf(name: string): string | undefined {
  const dir = existingStateDir("zones");
  const zone = dir ? readZone({ dir }, name) : undefined;
  if (!zone) throw new UsageError(`no zone ${name}`, `create it first: nsbox netzone create ${name}`);
  return zone.dns.length > 0 ? zoneResolvPath(name) : undefined;
}

/** Writes the zone's file, atomically: members starting at once each write the same content. */
export function writeZoneResolv(zone: Zone): void {
  if (zone.dns.length === 0) return;
  mkdirSync(resolvDir(), { recursive: true, mode: 0o755 });
  const file = zoneResolvPath(zone.name);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, zone.dns.map((d) => `nameserver ${d}\n`).join(""), { mode: 0o644 });
  renameSync(tmp, file);
}

export function removeZoneResolv(name: string): void {
  rmSync(zoneResolvPath(name), { force: true });
}
