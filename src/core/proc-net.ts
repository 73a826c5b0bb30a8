// The text of /proc/PID/net/{tcp,tcp6,udp,udp6,unix,netlink,route,ipv6_route,dev} (proc(5)) as
// data: sockets by inode, routes, interfaces. Each file shows the network namespace of PID.
// Pure: callers read the files (core/net-audit.ts).
import { formatIPv6, HOST_LITTLE_ENDIAN } from "./sockaddr.ts";

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

const TCP_STATES: Record<number, string> = {
  1: "established", 2: "syn-sent", 3: "syn-recv", 4: "fin-wait1", 5: "fin-wait2", 6: "time-wait",
  7: "close", 8: "close-wait", 9: "last-ack", 10: "listen", 11: "closing", 12: "new-syn-recv",
};

/**
 * An address of /proc/net/tcp{,6}: the in-memory 32-bit words of the (network-order) address,
 * each printed with %08X, so on a little-endian host every word reads byte-reversed; the port
 * is printed in host order (net/ipv4/tcp_ipv4.c get_tcp4_sock).
 */
export function decodeProcInetAddress(text: string, littleEndian = HOST_LITTLE_ENDIAN): string | undefined {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!m) return undefined;
  const hex = m[1]!;
  const bytes = new Uint8Array(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) {
    for (let b = 0; b < 4; b++) {
      const byte = parseInt(hex.slice(w * 8 + b * 2, w * 8 + b * 2 + 2), 16);
      bytes[w * 4 + (littleEndian ? 3 - b : b)] = byte;
    }
  }
  const port = parseInt(m[2]!, 16);
  return bytes.length === 4 ? `${Array.from(bytes).join(".")}:${port}` : `[${formatIPv6(bytes)}]:${port}`;
}

const dataLines = (text: string) => text.split("\n").slice(1).map((l) => l.trim()).filter(Boolean);

/** /proc/net/tcp, tcp6, udp, udp6: `sl local rem st queues tr retrnsmt uid timeout inode ...`. */
export function parseInetTable(text: string, table: string, littleEndian = HOST_LITTLE_ENDIAN): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of dataLines(text)) {
    const f = line.split(/\s+/);
    const local = decodeProcInetAddress(f[1] ?? "", littleEndian);
    const remote = decodeProcInetAddress(f[2] ?? "", littleEndian);
    const inode = Number(f[9]);
    if (!local || !remote || !Number.isInteger(inode)) continue;
    const st = parseInt(f[3] ?? "", 16);
    const isTcp = table.startsWith("tcp");
    out.push({ inode, table, local, remote, listening: isTcp && st === 10, state: isTcp ? (TCP_STATES[st] ?? `state ${st}`) : "" });
  }
  return out;
}

const SO_ACCEPTCON = 0x10000; // __SO_ACCEPTCON: a listening socket (net/unix/af_unix.c unix_seq_show)
const SS_CONNECTED = 3;

/** /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`; an abstract path starts with '@'. */
export function parseUnixTable(text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of dataLines(text)) {
    const f = line.split(/\s+/);
    const inode = Number(f[6]);
    if (f.length < 7 || !Number.isInteger(inode)) continue;
    const flags = parseInt(f[3] ?? "", 16);
    const st = parseInt(f[5] ?? "", 16);
    const path = f.slice(7).join(" ");
    const listening = (flags & SO_ACCEPTCON) !== 0;
    out.push({
      inode, table: "unix", local: path ? `unix:${path}` : "", listening,
      state: listening ? "listening" : st === SS_CONNECTED ? "connected" : "unconnected",
    });
  }
  return out;
}

/** The paths of the listening path sockets of a /proc/net/unix table (abstract ones start with '@'). */
export function listeningUnixPaths(text: string): string[] {
  return parseUnixTable(text).flatMap((s) => (s.listening && s.local.startsWith("unix:/") ? [s.local.slice(5)] : []));
}

/** /proc/net/netlink: `sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode`. */
export function parseNetlinkTable(text: string): SocketEntry[] {
  return dataLines(text).flatMap((line) => {
    const f = line.split(/\s+/);
    const inode = Number(f[9]);
    return Number.isInteger(inode) ? [{ inode, table: "netlink", local: `netlink protocol ${f[1]}`, listening: false, state: "" }] : [];
  });
}

export interface Route {
  family: 4 | 6;
  iface: string;
  /** `10.0.0.0/8`, `::/0` ... */
  destination: string;
}

/** /proc/net/route (IPv4 main table): `Iface Destination Gateway Flags RefCnt Use Metric Mask ...`, hex in host order. */
export function parseRouteTable(text: string, littleEndian = HOST_LITTLE_ENDIAN): Route[] {
  return dataLines(text).flatMap((line) => {
    const f = line.split(/\s+/);
    const dest = decodeProcInetAddress(`${f[1]}:0000`, littleEndian);
    const mask = parseInt(f[7] ?? "", 16);
    if (!dest || !Number.isInteger(mask)) return [];
    const bits = mask.toString(2).replace(/0/g, "").length;
    return [{ family: 4 as const, iface: f[0]!, destination: `${dest.slice(0, -2)}/${bits}` }];
  });
}

/** /proc/net/ipv6_route: `dest plen src splen nexthop metric refcnt use flags iface`, addresses as 32 hex digits in network order. */
export function parseIPv6RouteTable(text: string): Route[] {
  return text.split("\n").map((l) => l.trim()).filter(Boolean).flatMap((line) => {
    const f = line.split(/\s+/);
    if (f.length < 10 || !/^[0-9a-f]{32}$/.test(f[0]!)) return [];
    const bytes = Uint8Array.from(f[0]!.match(/../g)!.map((h) => parseInt(h, 16)));
    return [{ family: 6 as const, iface: f[9]!, destination: `${formatIPv6(bytes)}/${parseInt(f[1]!, 16)}` }];
  });
}

/** /proc/net/dev: two header lines, then `  NAME: counters...`. */
export function parseNetDev(text: string): string[] {
  return text.split("\n").slice(2).flatMap((line) => {
    const m = /^\s*([^:\s]+):/.exec(line);
    return m ? [m[1]!] : [];
  });
}

/** The inode of a `socket:[INODE]` fd link (proc(5), /proc/PID/fd), or undefined for anything else. */
export function socketInode(link: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}
