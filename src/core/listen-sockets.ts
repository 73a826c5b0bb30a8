// Listening sockets nsbox opens in its own network namespace for a sandbox that has none to
// listen in (`nsbox httpd-worker run`): TCP on IPv4/IPv6 literals and unix sockets, the way
// systemd's socket units make them (SO_REUSEADDR, IPV6_V6ONLY, backlog 511). A socket keeps the
// namespace it was made in (socket(7)), so the sandbox accepts host connections without a route.
import { closeSync, constants, lstatSync, openSync, readFileSync, unlinkSync } from "node:fs";
import { basename, dirname } from "node:path";
import { NsboxError, SysError } from "../base/errors.ts";
import { logger } from "./log.ts";
import { AF_INET6, AF_UNIX, decodeSockaddr, encodeSockaddr, formatListenAddress, type ListenAddress } from "../model/sockaddr.ts";
import { errnoName, ERRNO } from "../base/errno.ts";
import { ffiSocketSys, IPPROTO_IPV6, IPV6_V6ONLY, SO_REUSEADDR, SOL_SOCKET, type SocketSys } from "./sys/socket.ts";
import { chownFd, closeFd, openBeneath, S_IFMT, S_IFSOCK, statFd } from "./sys/fs-at.ts";

const log = logger("listen");

/** nginx's and lighttpd's default; the kernel caps it at net.core.somaxconn (listen(2)). */
export const LISTEN_BACKLOG = 511;


export interface UnixSocketFile {
  /** Permission bits of the socket file: who may connect(2) to it (connecting needs write). */
  mode: number;
  /** Group of the socket file (a reverse proxy's), or undefined to keep nsbox's own. */
  gid?: number;
}

export interface Listener {
  fd: number;
  /** What was asked for, canonical. */
  requested: string;
  /** What the kernel bound (port 0 becomes the port it chose). */
  bound: string;
}

/**
 * A unix socket path may hold a socket a server left behind (nothing removes it when a server
 * dies). Remove it only when it is a socket and nothing accepts on it: connect(2) is refused.
 * A live socket or any other file is an error: replacing it would steal or destroy something.
 */
function clearStaleSocket(a: Extract<ListenAddress, { kind: "unix" }>, sys: SocketSys): void {
  let st;
  try {
    st = lstatSync(a.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (!st.isSocket()) throw new NsboxError(`${formatListenAddress(a)}: ${a.path} exists and is not a socket`, 125, "remove it or choose another path");
  const probe = sys.streamSocket(AF_UNIX, a.path, { nonblock: true });
  let err: number;
  try {
    err = sys.tryConnect(probe, encodeSockaddr(a));
  } finally {
    sys.close(probe);
  }
  if (err === 0 || err === ERRNO.EAGAIN || err === ERRNO.EINPROGRESS) {
    throw new NsboxError(`${formatListenAddress(a)}: a server is listening on ${a.path}`, 125, "stop it first, or choose another path");
  }
  if (err !== ERRNO.ECONNREFUSED && err !== ERRNO.ENOENT) throw new SysError("connect", err, errnoName(err), `${a.path} (checking for a stale socket)`);
  log.debug(`removing the stale socket ${a.path}`);
  unlinkSync(a.path);
}

function openOne(a: ListenAddress, unixFile: UnixSocketFile, sys: SocketSys): Listener {
  const text = formatListenAddress(a);
  if (a.kind === "unix") clearStaleSocket(a, sys);
  const fd = sys.streamSocket(a.kind === "inet" ? a.family : AF_UNIX, text);
  let created = false; // our socket file exists: remove it on a later failure, never another's
  try {
    if (a.kind === "inet") {
      // Restart without waiting for TIME_WAIT connections of the previous run (socket(7)).
      sys.setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, text);
      // [::]:80 means IPv6 only, as written; 0.0.0.0:80 is a separate --listen (ipv6(7)).
      if (a.family === AF_INET6) sys.setIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, text);
    }
    // The file gets the socket inode's mode less the umask at bind (net/unix/af_unix.c): with the
    // umask cleared for the call it is made with exactly that mode, never wider even for a
    // moment, and no chmod by name follows (systemd binds under a umask too). The name may be
    // in a directory a sandbox writes, where it can be swapped for a symlink to a host file.
    if (a.kind === "unix") sys.chmodSocket(fd, unixFile.mode, text);
    const umask = a.kind === "unix" ? process.umask(0) : undefined;
    try {
      sys.bind(fd, encodeSockaddr(a), text);
    } catch (e) {
      if (e instanceof SysError && e.errno === ERRNO.EADDRINUSE) throw new NsboxError(`${text}: the address is in use`, 125, "another server listens there");
      if (e instanceof SysError && e.errno === ERRNO.EADDRNOTAVAIL) throw new NsboxError(`${text}: the address is not one of this host's`, 125, "use an address of one of its interfaces: ip -brief address");
      if (e instanceof SysError && e.errno === ERRNO.EACCES && a.kind === "inet") throw new NsboxError(`${text}: permission denied`, 125, "ports below 1024 need root (net.ipv4.ip_unprivileged_port_start)");
      if (e instanceof SysError && e.errno === ERRNO.ENOENT && a.kind === "unix") throw new NsboxError(`${text}: the directory does not exist`, 125, "create it first");
      throw e;
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
    created = a.kind === "unix";
    if (a.kind === "unix" && unixFile.gid !== undefined) giveGroup(a.path, unixFile.gid, text);
    sys.listen(fd, LISTEN_BACKLOG, text);
    const bound = decodeSockaddr(sys.sockname(fd, text));
    return { fd, requested: text, bound: bound ? formatListenAddress(bound) : text };
  } catch (e) {
    sys.close(fd);
    if (created && a.kind === "unix") unlinkQuietly(a.path);
    throw e;
  }
}

/**
 * chgrp of the socket file just made, through an fd on the name itself (O_PATH|O_NOFOLLOW,
 * openat2 RESOLVE_NO_SYMLINKS): a symlink or anything but a socket found there now was swapped in
 * since the bind, and is refused, never followed to a host file.
 */
function giveGroup(path: string, gid: number, text: string): void {
  const replaced = () => new NsboxError(`${text}: replaced while nsbox made it (${path} is no longer its socket); its group was not changed`, 125, "another process writes that directory: put the socket where only root writes");
  let dir: number;
  try {
    dir = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  } catch {
    throw replaced();
  }
  let fd: number;
  try {
    fd = openBeneath(dir, basename(path), "path");
  } finally {
    closeSync(dir);
  }
  try {
    if (fd < 0 || (statFd(fd, path).mode & S_IFMT) !== S_IFSOCK) throw replaced();
    chownFd(fd, 0xffffffff, gid, path); // -1: the owner stays
  } finally {
    if (fd >= 0) closeFd(fd);
  }
}

function unlinkQuietly(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Opens every address in order, or none: on a failure the ones already open are closed (and their files removed). */
export function openListeners(addresses: readonly ListenAddress[], unixFile: UnixSocketFile, sys: SocketSys = ffiSocketSys): Listener[] {
  const open: Listener[] = [];
  try {
    for (const a of addresses) {
      const l = openOne(a, unixFile, sys);
      log.debug(`listening on ${l.bound} (fd ${l.fd})`);
      open.push(l);
    }
    return open;
  } catch (e) {
    closeListeners(open, addresses, sys);
    throw e;
  }
}

/** Undoes openListeners (for a run that fails before the exec). */
export function closeListeners(listeners: readonly Listener[], addresses: readonly ListenAddress[], sys: SocketSys = ffiSocketSys): void {
  listeners.forEach((l, i) => {
    sys.close(l.fd);
    const a = addresses[i];
    if (a?.kind === "unix") unlinkQuietly(a.path);
  });
}

/** A gid, or a group name looked up in /etc/group (group(5)); undefined when it is neither. */
export function groupId(text: string): number | undefined {
  if (/^(0|[1-9][0-9]{0,9})$/.test(text)) return Number(text) < 0xffffffff ? Number(text) : undefined;
  let groups = "";
  try {
    groups = readFileSync("/etc/group", "utf8");
  } catch {
    return undefined;
  }
  const gid = groups.split("\n").find((l) => l.split(":")[0] === text)?.split(":")[2];
  return gid !== undefined && /^\d+$/.test(gid) ? Number(gid) : undefined;
}
