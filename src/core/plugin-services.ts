// The core's side of the plugin services contract (plugin/services.ts): listen sockets, running
// sandboxes and network zones, each a thin door onto the core module that owns it. The
// composition root (src/cli) hands this object to every plugin, built-in or third-party.
import type { PluginServices, SandboxFound, Zone, ZoneMember } from "../plugin/services.ts";
import { parseListenAddress, type ListenAddress } from "../model/sockaddr.ts";
import { UsageError } from "../base/errors.ts";
import { groupId, openListeners } from "./listen-sockets.ts";
import { auditWorker } from "./net-audit.ts";
import { commandPid, findByName, findByPid, type SandboxRecord } from "./sandbox-record.ts";
import { existingStateDir } from "./state-dir.ts";
import { holdFileLock, lockHolder } from "./file-lock.ts";
import { checkAllowedSocket, hostId } from "./unix-socket-access.ts";
import { describeZone } from "./zone/zone.ts";
import { firewallState } from "./zone/zone-firewall.ts";
import { createZone, removeZone, requireNftables } from "./zone/zone-host.ts";
import { listZones, liveLeases, readZone, zoneStore } from "./zone/zone-store.ts";

function found(r: SandboxRecord | undefined): SandboxFound | undefined {
  return r && { name: r.name, pid: r.pid, payloadPid: commandPid(r) };
}

function zoneMembers(name: string) {
  const dir = existingStateDir("zones");
  if (!dir) return [];
  return liveLeases({ dir }, name).map((l) => ({ address: l.address, owner: `pid ${l.pid}` }));
}

function absolute(path: string): string {
  if (!path.startsWith("/")) throw new UsageError(`lock path '${path}' is not absolute`);
  return path;
}

export const corePluginServices: PluginServices = Object.freeze({
  locks: Object.freeze({
    hold: (path: string, options: { wait: boolean }) => holdFileLock(absolute(path), options.wait),
    holder: (path: string) => lockHolder(absolute(path)),
  }),
  sockets: Object.freeze({
    open(addresses: readonly string[], file: { mode: number; gid?: number }): number[] {
      const parsed = addresses.map((text) => {
        const a = parseListenAddress(text);
        if (typeof a === "string") throw new UsageError(`listen address '${text}': ${a}`);
        return a as ListenAddress;
      });
      return openListeners(parsed, file).map((l) => l.fd);
    },
    groupId,
    connectProblem(path: string, where: string, spec: Parameters<PluginServices["sockets"]["connectProblem"]>[2]) {
      // The payload connects as the host ids its ids inside map to (user_namespaces(7)).
      const userns = spec.namespaces.user.mode === "new";
      const uid = userns ? hostId(spec.users.uidMap, spec.users.uid) : spec.users.uid;
      const gid = userns ? hostId(spec.users.gidMap, spec.users.gid) : spec.users.gid;
      return checkAllowedSocket(path, where, { uid, gid });
    },
  }),
  sandboxes: Object.freeze({
    findByName: (name: string) => found(findByName(name)),
    findByPid: (pid: number) => found(findByPid(pid)),
    auditNetwork: auditWorker,
  }),
  zones: Object.freeze({
    create: (input: Parameters<typeof createZone>[0]) => createZone(input),
    remove: (name: string, options: { force?: boolean } = {}) => removeZone(name, options),
    list: () => listZones(),
    get: (name: string) => readZone(zoneStore(), name),
    members: zoneMembers,
    describe: (zone: Zone, members: readonly ZoneMember[]) => describeZone(zone, members, firewallState(zone)),
    requireNftables,
  }),
});
