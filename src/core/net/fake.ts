// A recording fake of NetlinkClient (youki's FakeNetlinkClient): it keeps a tiny model of one
// namespace's links and addresses, records every change in order, and can be told to fail the
// next call of a kind with an errno, so code using the client is unit-tested without root.
import type { AddressOptions, NetlinkClient, RouteSpec } from "./client.ts";
import { resolveRoute } from "./client.ts";
import { parseCidr } from "./address.ts";
import { checkIfname } from "./ifname.ts";
import { NetlinkError } from "../../base/errors.ts";
import { IFF_UP, type AddressInfo, type LinkInfo } from "./netlink.ts";
import { ERRNO } from "../../base/errno.ts";

export type NetlinkCall =
  | { op: "createVeth"; name: string; peerName: string; peerNsFd?: number }
  | { op: "createBridge"; name: string }
  | { op: "createDummy"; name: string }
  | { op: "setUp"; name: string }
  | { op: "setDown"; name: string }
  | { op: "setMaster"; name: string; master: string | null }
  | { op: "setPortIsolated"; name: string; isolated: boolean }
  | { op: "pinPort"; port: string; bridge: string; mac: string; address: string }
  | { op: "moveToNs"; name: string; nsFd: number }
  | { op: "addAddress"; name: string; cidr: string; noDad: boolean }
  | { op: "addRoute"; route: RouteSpec }
  | { op: "deleteLink"; name: string }
  | { op: "close" };

export type NetlinkOp = NetlinkCall["op"];


export class FakeNetlinkClient implements NetlinkClient {
  /** Every change that reached the "kernel", in order (reads are not recorded). */
  readonly calls: NetlinkCall[] = [];
  readonly links = new Map<string, LinkInfo & { peer?: string }>();
  readonly addresses: AddressInfo[] = [];
  readonly routes: RouteSpec[] = [];
  closed = false;
  private nextIndex = 1;
  private readonly failures = new Map<NetlinkOp, number>();

  /** Starts with `lo`, as a fresh network namespace has. */
  constructor() {
    this.add("lo");
  }

  /** The next `op` fails with `errno`, as the kernel would have refused it. */
  failNext(op: NetlinkOp, errno: number): this {
    this.failures.set(op, errno);
    return this;
  }

  createVeth(name: string, peerName: string, peerNsFd?: number): void {
    checkIfname(name);
    checkIfname(peerName);
    this.record({ op: "createVeth", name, peerName, ...(peerNsFd === undefined ? {} : { peerNsFd }) }, "RTM_NEWLINK", `veth ${name}`);
    this.absent(name, "RTM_NEWLINK", `veth ${name}`);
    if (peerNsFd === undefined) this.absent(peerName, "RTM_NEWLINK", `veth ${name}`);
    this.add(name, "veth", peerNsFd === undefined ? peerName : undefined);
    if (peerNsFd === undefined) this.add(peerName, "veth", name);
  }

  createBridge(name: string): void {
    this.create("createBridge", "bridge", name);
  }

  createDummy(name: string): void {
    this.create("createDummy", "dummy", name);
  }

  setUp(name: string): void {
    checkIfname(name);
    this.record({ op: "setUp", name }, "RTM_NEWLINK", `link ${name}`);
    const l = this.present(name, "RTM_NEWLINK", `link ${name}`);
    l.flags |= IFF_UP;
    l.up = true;
  }

  setDown(name: string): void {
    checkIfname(name);
    this.record({ op: "setDown", name }, "RTM_NEWLINK", `link ${name}`);
    const l = this.present(name, "RTM_NEWLINK", `link ${name}`);
    l.flags &= ~IFF_UP;
    l.up = false;
  }

  pinPort(port: string, bridge: string, mac: string, address: string): void {
    checkIfname(port);
    this.record({ op: "pinPort", port, bridge, mac, address }, "RTM_NEWNEIGH", `fdb entry ${mac} on ${port}`);
    this.present(port, "RTM_NEWNEIGH", `fdb entry ${mac} on ${port}`);
    this.present(bridge, "RTM_NEWNEIGH", `neighbour ${address} on ${bridge}`);
  }

  setPortIsolated(name: string, isolated: boolean): void {
    checkIfname(name);
    this.record({ op: "setPortIsolated", name, isolated }, "RTM_SETLINK", `bridge port ${name}`);
    this.present(name, "RTM_SETLINK", `bridge port ${name}`);
  }

  setMaster(name: string, master: string | null): void {
    checkIfname(name);
    this.record({ op: "setMaster", name, master }, "RTM_NEWLINK", `link ${name}`);
    const m = master === null ? undefined : this.present(master, "RTM_GETLINK", `link ${master}`);
    const l = this.present(name, "RTM_NEWLINK", `link ${name}`);
    if (m) l.master = m.index;
    else delete l.master;
  }

  moveToNs(name: string, nsFd: number): void {
    checkIfname(name);
    this.record({ op: "moveToNs", name, nsFd }, "RTM_NEWLINK", `link ${name}`);
    const l = this.present(name, "RTM_NEWLINK", `link ${name}`);
    this.drop(l);
  }

  addAddress(name: string, cidr: string, opts: AddressOptions = {}): void {
    const parsed = parseCidr(cidr);
    checkIfname(name);
    this.record({ op: "addAddress", name, cidr, noDad: opts.noDad ?? false }, "RTM_NEWADDR", `address ${parsed.text} on ${name}`);
    const l = this.present(name, "RTM_GETLINK", `link ${name}`);
    if (this.addresses.some((a) => a.index === l.index && a.address === parsed.address.text)) {
      throw new NetlinkError("RTM_NEWADDR", ERRNO.EEXIST, `address ${parsed.text} on ${name}`);
    }
    this.addresses.push({ index: l.index, family: parsed.address.family, prefix: parsed.prefix, address: parsed.address.text, scope: 0, flags: opts.noDad ? 2 : 0 });
  }

  addRoute(route: RouteSpec): void {
    resolveRoute(route);
    this.record({ op: "addRoute", route }, "RTM_NEWROUTE", `route ${route.dst}`);
    if (route.dev !== undefined) this.present(route.dev, "RTM_GETLINK", `link ${route.dev}`);
    this.routes.push(route);
  }

  deleteLink(name: string): void {
    checkIfname(name);
    this.record({ op: "deleteLink", name }, "RTM_DELLINK", `link ${name}`);
    const l = this.present(name, "RTM_DELLINK", `link ${name}`);
    this.drop(l);
    // Deleting one end of a veth deletes the other (veth(4)).
    const peer = l.peer ? this.links.get(l.peer) : undefined;
    if (peer) this.drop(peer);
  }

  getLink(name: string): LinkInfo | undefined {
    const l = this.links.get(name);
    return l ? publicLink(l) : undefined;
  }

  listLinks(): LinkInfo[] {
    return [...this.links.values()].map(publicLink);
  }

  listAddresses(): AddressInfo[] {
    return this.addresses.map((a) => ({ ...a }));
  }

  close(): void {
    this.calls.push({ op: "close" });
    this.closed = true;
  }

  /**
   * Records the call, then throws the injected failure for its kind, if any. Like the real
   * client, input that fails validation is refused before this: it never reaches the kernel.
   */
  private record(call: NetlinkCall, request: string, object: string): void {
    this.calls.push(call);
    const errno = this.failures.get(call.op);
    if (errno !== undefined) {
      this.failures.delete(call.op);
      throw new NetlinkError(request, errno, object);
    }
  }

  private create(op: "createBridge" | "createDummy", kind: "bridge" | "dummy", name: string): void {
    checkIfname(name);
    this.record({ op, name }, "RTM_NEWLINK", `${kind} ${name}`);
    this.absent(name, "RTM_NEWLINK", `${kind} ${name}`);
    this.add(name, kind);
  }

  private add(name: string, kind?: string, peer?: string): void {
    const index = this.nextIndex++;
    this.links.set(name, { index, name, flags: 0, up: false, ...(kind ? { kind } : {}), ...(peer ? { peer } : {}) });
  }

  private drop(l: LinkInfo): void {
    this.links.delete(l.name);
    for (let i = this.addresses.length - 1; i >= 0; i--) if (this.addresses[i]!.index === l.index) this.addresses.splice(i, 1);
  }

  private present(name: string, request: string, object: string): LinkInfo & { peer?: string } {
    const l = this.links.get(name);
    if (!l) throw new NetlinkError(request, ERRNO.ENODEV, object);
    return l;
  }

  private absent(name: string, request: string, object: string): void {
    if (this.links.has(name)) throw new NetlinkError(request, ERRNO.EEXIST, object);
  }
}

/** A copy without the fake's own bookkeeping (the peer's name). */
function publicLink(l: LinkInfo & { peer?: string }): LinkInfo {
  const { peer: _peer, ...link } = l;
  return link;
}
