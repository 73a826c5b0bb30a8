// The recording fake behaves like the kernel where code under test would notice: EEXIST,
// ENODEV, veth ends deleted together, injected failures with the real error's wording.
import { expect, test } from "bun:test";
import { FakeNetlinkClient } from "../../../src/core/net/fake.ts";
import { NetlinkError } from "../../../src/base/errors.ts";

test("records changes in order and models links and addresses", () => {
  const nl = new FakeNetlinkClient();
  nl.createBridge("br0");
  nl.createVeth("v0", "v1");
  nl.setMaster("v0", "br0");
  nl.setUp("v0");
  nl.addAddress("br0", "10.0.0.1/24");
  nl.addRoute({ dst: "default", gateway: "10.0.0.254" });
  expect(nl.calls.map((c) => c.op)).toEqual(["createBridge", "createVeth", "setMaster", "setUp", "addAddress", "addRoute"]);
  expect(nl.getLink("v0")).toMatchObject({ kind: "veth", up: true, master: nl.getLink("br0")!.index });
  expect(nl.getLink("v0")).not.toHaveProperty("peer");
  expect(nl.listAddresses()).toEqual([{ index: nl.getLink("br0")!.index, family: 4, prefix: 24, address: "10.0.0.1", scope: 0, flags: 0 }]);
  expect(nl.listLinks().map((l) => l.name)).toEqual(["lo", "br0", "v0", "v1"]);
});

test("a peer born in another namespace is not here; deleting one end deletes both", () => {
  const nl = new FakeNetlinkClient();
  nl.createVeth("a0", "a1", 9);
  expect(nl.getLink("a1")).toBeUndefined();
  nl.createVeth("b0", "b1");
  nl.deleteLink("b1");
  expect(nl.getLink("b0")).toBeUndefined();
  expect(nl.calls[0]).toEqual({ op: "createVeth", name: "a0", peerName: "a1", peerNsFd: 9 });
});

test("EEXIST and ENODEV read like the real client's", () => {
  const nl = new FakeNetlinkClient();
  nl.createDummy("d0");
  expect(() => nl.createDummy("d0")).toThrow("netlink RTM_NEWLINK dummy d0: EEXIST");
  expect(() => nl.setUp("nope")).toThrow("netlink RTM_NEWLINK link nope: ENODEV");
  expect(() => nl.addAddress("nope", "10.0.0.1/8")).toThrow("ENODEV");
  nl.addAddress("d0", "fd00::1/64", { noDad: true });
  expect(() => nl.addAddress("d0", "fd00::1/64")).toThrow("netlink RTM_NEWADDR address fd00::1/64 on d0: EEXIST");
});

test("failNext injects one failure of a kind, recorded like any call", () => {
  const nl = new FakeNetlinkClient().failNext("setUp", 1);
  nl.createDummy("d0");
  expect(() => nl.setUp("d0")).toThrow(NetlinkError);
  nl.setUp("d0");
  expect(nl.calls.map((c) => c.op)).toEqual(["createDummy", "setUp", "setUp"]);
});

test("moveToNs takes the link and its addresses away; close is recorded", () => {
  const nl = new FakeNetlinkClient();
  nl.createDummy("d0");
  nl.addAddress("d0", "10.1.0.1/16");
  nl.moveToNs("d0", 5);
  expect(nl.getLink("d0")).toBeUndefined();
  expect(nl.listAddresses()).toEqual([]);
  nl.close();
  expect(nl.closed).toBe(true);
  expect(nl.calls.at(-1)).toEqual({ op: "close" });
});

test("invalid input is refused before it is recorded, as the real client sends nothing", () => {
  const nl = new FakeNetlinkClient();
  expect(() => nl.createVeth("ok0", "bad name")).toThrow("not a valid interface name");
  expect(() => nl.setUp("a;b")).toThrow("not a valid interface name");
  expect(() => nl.addAddress("lo", "example.com")).toThrow("not an address with a prefix");
  expect(() => nl.addRoute({ dst: "default", gateway: "fd00::1", family: 4 })).toThrow("mixes IPv4 and IPv6");
  expect(nl.calls).toEqual([]);
});
