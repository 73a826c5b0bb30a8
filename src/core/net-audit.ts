// What network a running worker can reach, from /proc: the fds it holds (sockets matched by inode
// with the socket tables of its own network namespace and of nsbox's, where the passed listeners
// live), whether its namespace is its own, and its interfaces and routes. Reads only.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { NsboxError } from "../base/errors.ts";
import {
  parseInetTable, parseIPv6RouteTable, parseNetDev, parseNetlinkTable, parseRouteTable, parseUnixTable, socketInode,
} from "./proc-net.ts";
import { describeSocket, type FdFact, type NetAudit, type SocketEntry } from "../plugin/services.ts";

export type { FdFact, NetAudit };

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function link(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Every socket of the network namespace `pid` is in, by inode. */
function socketTables(pid: number): Map<number, SocketEntry> {
  const dir = `/proc/${pid}/net`;
  const entries = [
    ...["tcp", "tcp6", "udp", "udp6"].flatMap((t) => parseInetTable(read(`${dir}/${t}`), t)),
    ...parseUnixTable(read(`${dir}/unix`)),
    ...parseNetlinkTable(read(`${dir}/netlink`)),
  ];
  return new Map(entries.map((e) => [e.inode, e]));
}

function environ(pid: number): Map<string, string> {
  const env = new Map<string, string>();
  for (const kv of read(`/proc/${pid}/environ`).split("\0")) {
    const eq = kv.indexOf("=");
    if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return env;
}

const numberOr = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/**
 * Audits the worker process `pid`; `outsidePid` is a process in the network namespace the
 * listeners were opened in (the sandbox's supervisor, which nsbox became).
 */
export function auditWorker(pid: number, outsidePid: number): NetAudit {
  const status = read(`/proc/${pid}/status`);
  if (!status) throw new NsboxError(`no process ${pid} (or /proc/${pid} is not readable)`);
  const env = environ(pid);
  const listenFds = numberOr(env.get("LISTEN_FDS"));
  const listenPid = numberOr(env.get("LISTEN_PID"));
  const nspid = /^NSpid:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
  const innerPid = numberOr(nspid?.at(-1));
  const ownNs = link(`/proc/${pid}/ns/net`);
  const ownNetns = ownNs !== undefined && ownNs !== link(`/proc/${outsidePid}/ns/net`);
  const own = socketTables(pid);
  const outside = ownNetns ? socketTables(outsidePid) : new Map<number, SocketEntry>();
  const findings: string[] = [];

  const fdNumbers = (() => {
    try {
      return readdirSync(`/proc/${pid}/fd`).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
    } catch {
      return [];
    }
  })();
  const fds: FdFact[] = [];
  for (const fd of fdNumbers) {
    const target = link(`/proc/${pid}/fd/${fd}`);
    if (target === undefined) continue; // closed meanwhile
    const inode = socketInode(target);
    const fact: FdFact = { fd, target };
    if (inode !== undefined) {
      const mine = own.get(inode);
      const theirs = outside.get(inode);
      fact.socket = mine ? { ...mine, netns: "own" } : theirs ? { ...theirs, netns: "outside" } : { inode, table: "", local: "", listening: false, state: "", netns: "unknown" };
    }
    fds.push(fact);
  }
  const passed = listenFds ?? 0;
  const listenerAddresses = new Set(
    fds.filter((f) => f.fd >= 3 && f.fd < 3 + passed && f.socket?.netns === "outside" && f.socket.listening).map((f) => f.socket!.local),
  );
  for (const f of fds) {
    if (f.fd < 3) continue; // stdio is the caller's choice (a terminal, a pipe, journald's socket)
    const s = f.socket;
    if (f.fd < 3 + passed) {
      if (s?.netns === "outside" && s.listening) {
        f.role = "passed listener";
        continue;
      }
      // A server may close a passed socket it does not use; something else in its place is odd.
      if (!s || s.netns === "own") continue;
    }
    if (!s || s.netns === "own") continue;
    if (s.netns === "outside" && !s.listening && listenerAddresses.has(s.local)) {
      f.role = "accepted connection";
      continue;
    }
    findings.push(
      s.netns === "outside"
        ? `fd ${f.fd}: a ${s.table} socket of nsbox's network namespace (${describeSocket(s)}) that is not a passed listener`
        : `fd ${f.fd}: ${f.target} is in neither the worker's network namespace nor nsbox's (or of a family not audited)`,
    );
  }
  if (listenPid !== undefined && innerPid !== undefined && listenPid !== innerPid)
    findings.push(`LISTEN_PID=${listenPid} but the worker is pid ${innerPid} in its PID namespace: sd_listen_fds(3) would ignore the sockets`);
  const interfaces = parseNetDev(read(`/proc/${pid}/net/dev`));
  const routes = [...parseRouteTable(read(`/proc/${pid}/net/route`)), ...parseIPv6RouteTable(read(`/proc/${pid}/net/ipv6_route`))];
  if (!ownNetns) findings.push("the worker shares nsbox's network namespace (the host's network)");
  for (const i of interfaces) if (i !== "lo") findings.push(`interface ${i} in the worker's network namespace`);
  for (const r of routes) if (r.iface !== "lo") findings.push(`route to ${r.destination} via ${r.iface} in the worker's network namespace`);
  return { pid, fds, listenFds, listenPid, innerPid, ownNetns, interfaces, routes, findings };
}
