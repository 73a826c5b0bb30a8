// The host services nsbox offers plugins in their hook and command context (define.ts), and the
// data they exchange. This is the contract: src/core implements it (core/plugin-services.ts), the
// composition root (src/cli) hands it over, and a plugin never imports the core to reach them.
// Built-in and third-party plugins get the same services.
import type { NormalSpec } from "../model/normalize.ts";

/** Listening sockets nsbox opens in its own network namespace for a payload (sd_listen_fds(3)). */
export interface ListenSocketService {
  /**
   * Opens a listener for each address (`127.0.0.1:8080`, `[::1]:8080`, `unix:/PATH`), in order,
   * and returns their fds. Socket files get `mode` and, when given, group `gid`. A failure
   * closes what was opened and removes socket files made, and throws.
   */
  open(addresses: readonly string[], file: { mode: number; gid?: number }): number[];
  /** A group name from /etc/group, or a gid as digits: the gid; undefined for neither. */
  groupId(text: string): number | undefined;
  /**
   * Why the host unix socket at `path` would refuse a sandbox's payload (it connects as the host
   * ids the spec maps its uid and gid to); undefined when it would not. `where` names the flag.
   */
  connectProblem(path: string, where: string, spec: NormalSpec): string | undefined;
}

/** A tcp/udp/unix/netlink socket from /proc/PID/net (proc_net_tcp(5), unix(7)). */
export interface SocketEntry {
  inode: number;
  /** "tcp", "tcp6", "udp", "udp6", "unix" or "netlink". */
  table: string;
  /** `127.0.0.1:8080`, `[::1]:8080`, `unix:/run/x.sock`, `unix:@name`, or "" (an unbound socket). */
  local: string;
  /** The peer for tcp/udp (`0.0.0.0:0` when none). */
  remote?: string;
  listening: boolean;
  /** tcp states by name (tcp_states.h); unix: "listening", "connected", "unconnected". */
  state: string;
}

/** `tcp 127.0.0.1:8080 listen`, `unix unix:/run/app.sock connected` ... for reports. */
export function describeSocket(s: SocketEntry): string {
  const remote = s.remote && !/^(0\.0\.0\.0|\[::\]):0$/.test(s.remote) ? ` -> ${s.remote}` : "";
  return [s.table, `${s.local || "(unbound)"}${remote}`, s.state].filter(Boolean).join(" ");
}

export interface Route {
  family: 4 | 6;
  iface: string;
  /** `10.0.0.0/8`, `::/0` ... */
  destination: string;
}

export interface FdFact {
  fd: number;
  /** The fd's link: a path, `pipe:[N]`, `socket:[N]`, `anon_inode:[eventpoll]` ... */
  target: string;
  socket?: SocketEntry & { netns: "own" | "outside" | "unknown" };
  /** A passed listener (fd 3 .. 3+LISTEN_FDS-1), a connection accepted on one, or neither. */
  role?: "passed listener" | "accepted connection";
}

/** What network a running process can reach, read from /proc. */
export interface NetAudit {
  pid: number;
  fds: FdFact[];
  /** LISTEN_FDS and LISTEN_PID from the worker's initial environment (/proc/PID/environ). */
  listenFds?: number;
  listenPid?: number;
  /** The worker's pid in its own PID namespace (the last NSpid of /proc/PID/status). */
  innerPid?: number;
  ownNetns: boolean;
  interfaces: string[];
  routes: Route[];
  /** One line per thing that breaks the worker's isolation; empty when clean. */
  findings: string[];
}

/** A running sandbox nsbox recorded (`nsbox ps`). */
export interface SandboxFound {
  name: string;
  /** The stage's supervisor, in nsbox's PID namespace. */
  pid: number;
  /**
   * The payload (below the sandbox's init), in nsbox's PID namespace; undefined while there is
   * none: the sandbox is starting (its init has not started the command yet) or ending.
   */
  payloadPid: number | undefined;
}

/** The running sandboxes, and what a process can reach. Reads only. */
export interface SandboxService {
  findByName(name: string): SandboxFound | undefined;
  findByPid(pid: number): SandboxFound | undefined;
  /** The network facts of process `pid`; `outsidePid` is in the namespace its listeners were opened in. */
  auditNetwork(pid: number, outsidePid: number): NetAudit;
}

export const ZONE_POLICIES = ["internet", "lan", "isolated"] as const;
export type ZonePolicy = (typeof ZONE_POLICIES)[number];

/** A zone as recorded in the state dir, before anything of it is made. */
export interface Zone {
  version: 1;
  name: string;
  policy: ZonePolicy;
  /** The zone's IPv4 network, e.g. 10.87.3.0/24. */
  subnet: string;
  /** The bridge's address and the sandboxes' default route: the first host of the subnet. */
  gateway: string;
  /** Networks that count as "the LAN": internet zones never reach them, lan zones only them. */
  lan: string[];
  /**
   * The host's own IPv4 addresses at create (the gateway aside): to them a member reaches the
   * host itself. Absent in zones recorded before it was kept.
   */
  hostAddresses?: string[];
  /** The interface internet zones go out of (masquerade); lan zones go out anywhere but zones. */
  uplink?: string;
  dns: string[];
  /** Host ports (tcp and udp) a zone member may reach on the host itself. */
  allowHost: number[];
  /** Members may reach each other across the bridge (default: they may not). */
  peers: boolean;
  /** How IPv6 is handled: off inside every member's namespace, dropped at the host. */
  ipv6: "disabled";
}

/** What `netzone create` asks for; unset fields are chosen from the host. */
export interface ZoneInput {
  name: string;
  policy?: string;
  subnet?: string;
  lan?: readonly string[];
  uplink?: string;
  dns?: readonly string[];
  allowHost?: readonly string[];
  peers?: boolean;
}

export interface ZoneMember {
  address: string;
  owner: string;
}

/**
 * Network zones: the engine (bridge, addresses, nftables, leases) is core networking, because
 * `nsbox run --zone NAME` wires members without any plugin; netzone holds the commands.
 */
export interface ZoneService {
  create(input: ZoneInput): Zone;
  /** Refused while members run, unless `force`. */
  remove(name: string, options?: { force?: boolean }): void;
  list(): Zone[];
  get(name: string): Zone | undefined;
  members(name: string): ZoneMember[];
  describe(zone: Zone, members: readonly ZoneMember[]): string;
  /** Throws when libnftables cannot be loaded (zones cannot be made without it). */
  requireNftables(): void;
}

/** Who holds a lock: the pid that took it and when (ISO 8601). */
export interface LockHolder {
  pid: number;
  since: string;
}

export interface HeldLock {
  release(): void;
}

/**
 * Kernel file locks (flock(2)) held by this nsbox process: released on any exit or death, so a
 * killed run never leaves a stale lock. For "two runs of the same job never overlap".
 */
export interface LockService {
  /** Takes the lock on `path` (absolute; created 0600). `wait: false`: who holds it instead. */
  hold(path: string, options: { wait: boolean }): HeldLock | { heldBy: LockHolder | undefined };
  /** "free", or who holds it now (undefined when the holder wrote nothing yet); read from /proc/locks, never by taking it. */
  holder(path: string): LockHolder | undefined | "free";
}

/** Everything a hook or command may use of the host, besides its state store and logger. */
export interface PluginServices {
  locks: LockService;
  sockets: ListenSocketService;
  sandboxes: SandboxService;
  zones: ZoneService;
}
