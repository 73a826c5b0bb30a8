// The NetlinkClient seam (after youki's network/{client,traits,fake}.rs): the few rtnetlink
// operations nsbox needs, as one small interface. RtnlClient implements it over a NETLINK_ROUTE
// socket; fake.ts records calls for unit tests of the code that uses it.
import { UsageError } from "../../base/errors.ts";
import { openNetlinkSocket, type NetlinkSocket } from "../sys/netlink-socket.ts";
import { withNetns } from "../sys/netns-window.ts";
import { parseAddress, parseCidr, parseNetwork, type Cidr, type IpAddress } from "./address.ts";
import { checkIfname } from "./ifname.ts";
import { NetlinkError } from "../../base/errors.ts";
import { ERRNO } from "../../base/errno.ts";
import {
  addressRequest,
  bridgePortIsolatedRequest,
  bridgePortLockRequest,
  neighbourRequest,
  decodeAddress,
  decodeDone,
  decodeError,
  decodeLink,
  deleteLinkRequest,
  dumpAddressesRequest,
  dumpLinksRequest,
  encodeRequest,
  getLinkRequest,
  IFA_F_NODAD,
  messageTypeName,
  newLinkRequest,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  parseMessages,
  routeRequest,
  setLinkRequest,
  type AddressInfo,
  type LinkInfo,
  type NlMsg,
  type Request,
} from "./netlink.ts";

export type { AddressInfo, LinkInfo } from "./netlink.ts";

export interface RouteSpec {
  /** `default`, or a network such as `10.0.0.0/8` / `fd00::/64` (host bits are cleared). */
  dst: string;
  gateway?: string;
  /** The output link (RTA_OIF). */
  dev?: string;
  /** Only for `default` with neither gateway nor a family-bearing dst: 4 (the default) or 6. */
  family?: 4 | 6;
  metric?: number;
  table?: number;
}

export interface AddressOptions {
  /** IFA_F_NODAD: an IPv6 address is usable at once, without duplicate address detection. */
  noDad?: boolean;
}

/** Every method acts at once and throws a NetlinkError (a SysError) when the kernel refuses. */
export interface NetlinkClient {
  /** A veth pair; the peer is born in the namespace of `peerNsFd` when given, else beside `name`. */
  createVeth(name: string, peerName: string, peerNsFd?: number): void;
  /** A bridge; with `mac`, it keeps that address whatever ports join (no neighbour flush on a join). */
  createBridge(name: string, mac?: string): void;
  createDummy(name: string): void;
  setUp(name: string): void;
  setDown(name: string): void;
  /** Enslaves `name` to the bridge `master`; null releases it. */
  setMaster(name: string, master: string | null): void;
  /** IFLA_BRPORT_ISOLATED on a bridge port: no frames to or from other isolated ports. */
  setPortIsolated(name: string, isolated: boolean): void;
  /**
   * Binds the device with `mac` behind bridge port `port` to it and to `address`: the port's
   * static FDB entry, learning and unknown-unicast flooding off on the port, and a permanent
   * neighbour entry on `bridge`. Another port's device that takes the MAC or the address (ARP)
   * then draws none of its frames away.
   */
  pinPort(port: string, bridge: string, mac: string, address: string): void;
  /** Moves a link into the namespace of `nsFd`; it leaves this client's namespace. */
  moveToNs(name: string, nsFd: number): void;
  /** `10.0.0.1/24` or `fd00::1/64` on `name`; a bare address gets /32 or /128. */
  addAddress(name: string, cidr: string, opts?: AddressOptions): void;
  addRoute(route: RouteSpec): void;
  /** Deletes a link; for a veth both ends go, wherever the peer lives. */
  deleteLink(name: string): void;
  /** The link called `name`, or undefined when there is none. */
  getLink(name: string): LinkInfo | undefined;
  listLinks(): LinkInfo[];
  listAddresses(): AddressInfo[];
  close(): void;
}

const DUMP_ATTEMPTS = 3;

/** Parses a route spec into request fields; refuses mixed families and non-addresses. */
export function resolveRoute(route: RouteSpec): { dst: Cidr | null; family: 4 | 6; gateway?: IpAddress } {
  const dst = route.dst === "default" ? null : parseNetwork(route.dst);
  const gateway = route.gateway === undefined ? undefined : parseAddress(route.gateway);
  const family = dst?.address.family ?? gateway?.family ?? route.family ?? 4;
  if ((dst && dst.address.family !== family) || (gateway && gateway.family !== family) || (route.family && route.family !== family)) {
    throw new UsageError(`route ${route.dst}${route.gateway ? ` via ${route.gateway}` : ""} mixes IPv4 and IPv6`);
  }
  return { dst, family, ...(gateway ? { gateway } : {}) };
}

export class RtnlClient implements NetlinkClient {
  private seq: number;
  private closed = false;

  /** `seq` is the first sequence number (tests pin it; it only has to change per request). */
  constructor(
    private readonly sock: NetlinkSocket,
    seq: number = Math.floor(Date.now() / 1000),
  ) {
    this.seq = seq >>> 0;
  }

  createVeth(name: string, peerName: string, peerNsFd?: number): void {
    this.transact(newLinkRequest({ kind: "veth", name: checkIfname(name), peer: { name: checkIfname(peerName), ...(peerNsFd === undefined ? {} : { nsFd: peerNsFd }) } }));
  }

  createBridge(name: string, mac?: string): void {
    this.transact(newLinkRequest({ kind: "bridge", name: checkIfname(name), ...(mac === undefined ? {} : { mac }) }));
  }

  createDummy(name: string): void {
    this.transact(newLinkRequest({ kind: "dummy", name: checkIfname(name) }));
  }

  setUp(name: string): void {
    this.transact(setLinkRequest(checkIfname(name), { up: true }));
  }

  setDown(name: string): void {
    this.transact(setLinkRequest(checkIfname(name), { up: false }));
  }

  setMaster(name: string, master: string | null): void {
    const index = master === null ? 0 : this.indexOf(master);
    this.transact(setLinkRequest(checkIfname(name), { master: index }));
  }

  setPortIsolated(name: string, isolated: boolean): void {
    this.transact(bridgePortIsolatedRequest(checkIfname(name), this.indexOf(name), isolated));
  }

  pinPort(port: string, bridge: string, mac: string, address: string): void {
    const index = this.indexOf(checkIfname(port));
    this.transact(bridgePortLockRequest(port, index));
    this.transact(neighbourRequest({ index, ifname: port, mac }));
    this.transact(neighbourRequest({ index: this.indexOf(checkIfname(bridge)), ifname: bridge, mac, address: parseAddress(address) }));
  }

  moveToNs(name: string, nsFd: number): void {
    this.transact(setLinkRequest(checkIfname(name), { nsFd }));
  }

  addAddress(name: string, cidr: string, opts: AddressOptions = {}): void {
    const parsed = parseCidr(cidr);
    const index = this.indexOf(name);
    this.transact(addressRequest("add", { index, ifname: name, cidr: parsed, flags: opts.noDad ? IFA_F_NODAD : 0 }));
  }

  addRoute(route: RouteSpec): void {
    const r = resolveRoute(route);
    const oif = route.dev === undefined ? undefined : { index: this.indexOf(route.dev), name: route.dev };
    this.transact(routeRequest("add", { ...r, ...(oif ? { oif } : {}), ...(route.table === undefined ? {} : { table: route.table }), ...(route.metric === undefined ? {} : { metric: route.metric }) }));
  }

  deleteLink(name: string): void {
    this.transact(deleteLinkRequest(checkIfname(name)));
  }

  getLink(name: string): LinkInfo | undefined {
    try {
      const replies = this.transact(getLinkRequest(checkIfname(name)));
      const link = replies.find((m) => m.type !== NLMSG_NOOP);
      return link ? decodeLink(link) : undefined;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ERRNO.ENODEV) return undefined;
      throw e;
    }
  }

  listLinks(): LinkInfo[] {
    return this.dump(dumpLinksRequest()).map(decodeLink);
  }

  listAddresses(): AddressInfo[] {
    return this.dump(dumpAddressesRequest()).flatMap((m) => decodeAddress(m) ?? []);
  }

  close(): void {
    this.closed = true;
    this.sock.close();
  }

  private indexOf(name: string): number {
    const link = this.getLink(name);
    if (!link) throw new NetlinkError(messageTypeName(getLinkRequest(name).type), ERRNO.ENODEV, `link ${name}`);
    return link.index;
  }

  /** Sends `req` and collects its replies until the kernel's ack (or NLMSG_DONE for a dump). */
  private transact(req: Request): NlMsg[] {
    if (this.closed) throw new UsageError("internal: netlink client used after close");
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0;
    this.sock.send(encodeRequest(req, seq));
    const isDump = (req.flags & NLM_F_DUMP) === NLM_F_DUMP;
    const replies: NlMsg[] = [];
    let interrupted = false;
    for (;;) {
      for (const m of parseMessages(this.sock.recv())) {
        // A late answer to an earlier request (one that timed out) is not ours: skip it.
        if (m.seq !== seq) continue;
        if (m.type === NLMSG_ERROR) {
          const err = decodeError(m);
          if (err.errno !== 0) throw new NetlinkError(messageTypeName(req.type), err.errno, req.object, err.message);
          if (!isDump) return replies;
        } else if (m.type === NLMSG_DONE) {
          const errno = decodeDone(m);
          if (errno !== 0) throw new NetlinkError(messageTypeName(req.type), errno, req.object);
          if (interrupted || m.flags & NLM_F_DUMP_INTR) throw new DumpInterrupted();
          return replies;
        } else if (m.type === NLMSG_OVERRUN) {
          throw new NetlinkError(messageTypeName(req.type), ERRNO.EPROTO, `${req.object} (NLMSG_OVERRUN)`);
        } else if (m.type !== NLMSG_NOOP) {
          // The set changed while the kernel walked it: the parts may be inconsistent (netlink(7)).
          if (m.flags & NLM_F_DUMP_INTR) interrupted = true;
          replies.push(m);
        }
      }
    }
  }

  /** A dump, restarted when the kernel flags it as interrupted by a concurrent change. */
  private dump(req: Request): NlMsg[] {
    for (let attempt = 1; ; attempt++) {
      try {
        return this.transact(req);
      } catch (e) {
        if (!(e instanceof DumpInterrupted)) throw e;
        if (attempt >= DUMP_ATTEMPTS) throw new NetlinkError(messageTypeName(req.type), ERRNO.EINTR, `${req.object} (dump interrupted ${attempt} times)`);
      }
    }
  }
}

class DumpInterrupted extends Error {}

/** A client in the calling thread's network namespace. */
export function openNetlink(): NetlinkClient {
  return new RtnlClient(openNetlinkSocket());
}

/**
 * A client whose socket lives in the network namespace of `nsFd`: the socket is opened inside a
 * synchronous setns window (DESIGN.md §2), so the calling thread is back home when this returns
 * and every request on the client acts on that namespace.
 */
export function openNetlinkIn(nsFd: number): NetlinkClient {
  return new RtnlClient(withNetns(nsFd, () => openNetlinkSocket()));
}
