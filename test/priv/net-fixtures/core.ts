// Network-core scenarios on the real kernel, one per run, printing what it observed as JSON for
// test/priv/net-core.test.ts to judge. Started inside a throwaway network namespace "A".
import { readlinkSync, statSync } from "node:fs";
import { openNetlink, openNetlinkIn, type NetlinkClient } from "../../../src/core/net/client.ts";
import { netCollector } from "../../../src/core/net/net-gc.ts";
import { NetRecorder } from "../../../src/core/net/net-record.ts";
import { nftClient } from "../../../src/core/net/nft.ts";
import { startTime } from "../../../src/core/proc.ts";
import { openLibnftables, type Libnftables } from "../../../src/core/sys/libnftables.ts";
import { closeNetns, createNetns, withNetns } from "../../../src/core/sys/netns-window.ts";
import { emit, guard, ipAddrRows, pingFrom, sh, spawnNetns, type Netns } from "./lib.ts";

guard();
const scenario = process.argv[2];
const threadNs = () => readlinkSync("/proc/thread-self/ns/net");
const homeNs = threadNs();

function attempt(fn: () => void): { ok: true } | { ok: false; name: string; message: string; errno?: number } {
  try {
    fn();
    return { ok: true };
  } catch (e) {
    const err = e as Error & { errno?: number };
    return { ok: false, name: err.name, message: err.message, ...(err.errno === undefined ? {} : { errno: err.errno }) };
  }
}

/**
 * A dummy link, or where the kernel has no dummy driver (CONFIG_DUMMY off, as on some VM
 * kernels: EOPNOTSUPP "Unknown device type") a veth pair `name` + `name`p in its place.
 */
function dummyOrVeth(a: NetlinkClient, name: string, fallbacks: string[]): void {
  try {
    a.createDummy(name);
  } catch (e) {
    if ((e as { errno?: number }).errno !== 95) throw e;
    fallbacks.push(name);
    a.createVeth(name, `${name}p`);
  }
}

/** A veth A:nsbox0 (10.200.0.1/30) ⇄ B:nsbox1 (10.200.0.2/30), B's side set up through a window. */
function vethPair(a: NetlinkClient, b: Netns): NetlinkClient {
  a.createVeth("nsbox0", "nsbox1", b.fd);
  a.addAddress("nsbox0", "10.200.0.1/30");
  a.setUp("nsbox0");
  const nb = openNetlinkIn(b.fd);
  nb.addAddress("nsbox1", "10.200.0.2/30");
  nb.setUp("nsbox1");
  nb.setUp("lo");
  nb.addRoute({ dst: "default", gateway: "10.200.0.1" });
  return nb;
}

async function veth() {
  const b = await spawnNetns();
  try {
    const a = openNetlink();
    a.createVeth("nsbox0", "nsbox1", b.fd);
    const afterCreate = {
      aNames: a.listLinks().map((l) => l.name),
      bIpLink: (JSON.parse(b.run(["ip", "-j", "link"]).stdout) as { ifname: string }[]).map((l) => l.ifname),
    };
    a.addAddress("nsbox0", "10.200.0.1/30");
    a.setUp("nsbox0");
    const nb = openNetlinkIn(b.fd);
    const backHome = threadNs() === homeNs;
    nb.addAddress("nsbox1", "10.200.0.2/30");
    nb.setUp("nsbox1");
    nb.setUp("lo");
    nb.addRoute({ dst: "default", gateway: "10.200.0.1" });
    nb.addRoute({ dst: "10.201.0.0/24", dev: "nsbox1" });
    const ping = pingFrom(b, "10.200.0.1");

    const rows = (c: NetlinkClient) => {
      const names = new Map(c.listLinks().map((l) => [l.index, l.name]));
      return c.listAddresses().map((x) => `${x.index} ${names.get(x.index)} ${x.family} ${x.address}/${x.prefix}`).sort();
    };
    const decoded = { a: rows(a), b: rows(nb) };
    const ip = { a: ipAddrRows(sh(["ip", "-j", "addr"]).stdout), b: ipAddrRows(b.run(["ip", "-j", "addr"]).stdout) };
    const aLink = a.getLink("nsbox0")!;
    const ipLinkA = (JSON.parse(sh(["ip", "-j", "-d", "link", "show", "nsbox0"]).stdout) as { ifindex: number; mtu: number; address: string; flags: string[]; linkinfo: { info_kind: string } }[])[0]!;
    const routesB = JSON.parse(b.run(["ip", "-j", "route"]).stdout) as { dst: string; gateway?: string; dev: string; scope?: string }[];

    a.deleteLink("nsbox0");
    const afterDelete = {
      a: a.listLinks().map((l) => l.name),
      b: nb.listLinks().map((l) => l.name),
      bIp: (JSON.parse(b.run(["ip", "-j", "link"]).stdout) as { ifname: string }[]).map((l) => l.ifname),
    };
    a.close();
    nb.close();
    emit({ afterCreate, backHome, ping, decoded, ip, aLink, ipLinkA, routesB, afterDelete });
  } finally {
    b.kill();
  }
}

async function bridge() {
  const b = await spawnNetns();
  try {
    const a = openNetlink();
    const fallbacks: string[] = [];
    const dummy = attempt(() => a.createDummy("probe0"));
    if (dummy.ok) a.deleteLink("probe0");
    a.createBridge("br-t");
    dummyOrVeth(a, "d0", fallbacks);
    a.setMaster("d0", "br-t");
    const br = a.getLink("br-t")!;
    const d0 = a.getLink("d0")!;
    const ipD0 = (JSON.parse(sh(["ip", "-j", "-d", "link", "show", "d0"]).stdout) as { master?: string; linkinfo?: { info_kind: string; info_slave_kind?: string } }[])[0]!;
    a.setUp("br-t");
    a.setUp("d0");
    const upAfter = a.getLink("d0")!.up && a.getLink("br-t")!.up;
    a.addAddress("br-t", "fd00::1/64");
    dummyOrVeth(a, "d1", fallbacks);
    a.setUp("d1");
    if (fallbacks.includes("d1")) a.setUp("d1p");
    a.addAddress("d1", "fd00:3::1/64", { noDad: true });
    a.addRoute({ dst: "fd00:4::/64", gateway: "fd00:3::2" });
    a.addRoute({ dst: "default", family: 6, dev: "d1" });
    const v6 = a.listAddresses().filter((x) => x.family === 6 && x.address.startsWith("fd00"));
    const ipV6 = ipAddrRows(sh(["ip", "-j", "-6", "addr"]).stdout).filter((r) => r.includes(" fd00"));
    const routes6 = (JSON.parse(sh(["ip", "-j", "-6", "route"]).stdout) as { dst: string; gateway?: string; dev: string }[]).filter((r) => r.dst !== "fe80::/64");
    a.setMaster("d0", null);
    const released = a.getLink("d0")!.master;
    a.setDown("d0");
    const downAfter = a.getLink("d0")!.up;
    dummyOrVeth(a, "mv0", fallbacks);
    a.moveToNs("mv0", b.fd);
    const moved = { inA: a.getLink("mv0") !== undefined, inB: b.run(["ip", "-j", "link", "show", "mv0"]).code === 0 };
    a.close();
    emit({ dummy, fallbacks, br, d0, ipD0, upAfter, v6, ipV6, routes6, released: released ?? null, downAfter, moved });
  } finally {
    b.kill();
  }
}

/** Wraps libnftables to count the batches that reach it. */
function counting(lib: Libnftables): Libnftables & { batches: string[] } {
  const batches: string[] = [];
  return { batches, run: (c, o) => (batches.push(c), lib.run(c, o)) };
}

async function nft() {
  const b = await spawnNetns();
  try {
    const a = openNetlink();
    const nb = vethPair(a, b);
    const before = pingFrom(b, "10.200.0.1");
    const lib = counting(openLibnftables());
    const nftA = nftClient(lib);
    nftA.applyZoneTable({
      zone: "test",
      chains: [{ name: "input", base: { type: "filter", hook: "input", priority: 0, policy: "accept" }, rules: [{ saddr: "10.200.0.2", counter: true, verdict: "drop" }] }],
    });
    const during = pingFrom(b, "10.200.0.1", 1);
    const zoneTables = nftA.listZoneTables();
    const cliTables = JSON.parse(sh(["nft", "-j", "list", "tables"]).stdout) as { nftables: { table?: { family: string; name: string } }[] };
    const ruleset = sh(["nft", "list", "ruleset"]).stdout;
    // Replacing the table is atomic and leaves exactly the new content.
    nftA.applyZoneTable({ zone: "test", chains: [{ name: "input", base: { type: "filter", hook: "input", priority: 0 }, rules: [{ saddr: "10.200.0.2", proto: "tcp", dport: 9, verdict: "drop" }] }] });
    const replaced = sh(["nft", "list", "table", "inet", "nsbox_test"]).stdout;
    const pingReplaced = pingFrom(b, "10.200.0.1");

    const batchesBefore = lib.batches.length;
    const rulesetBefore = sh(["nft", "list", "ruleset"]).stdout;
    const hostile = ["10.0.0.1; flush ruleset", "example.com"].map((saddr) =>
      attempt(() => nftA.applyZoneTable({ zone: "test", chains: [{ name: "input", rules: [{ saddr, verdict: "drop" }] }] })),
    );
    const hostileReachedLib = lib.batches.length - batchesBefore;
    const rulesetUnchanged = sh(["nft", "list", "ruleset"]).stdout === rulesetBefore;

    // A table in B through a setns window: B's nftables, not A's.
    const nftB = nftClient(openLibnftables(), { nsFd: b.fd });
    nftB.applyZoneTable({ zone: "inb", chains: [] });
    const inB = { b: nftB.listZoneTables().map((t) => t.name), a: nftA.listZoneTables().map((t) => t.name), bCli: b.run(["nft", "list", "tables"]).stdout.trim() };
    const backHome = threadNs() === homeNs;

    nftA.deleteZoneTable("test");
    nftA.deleteZoneTable("test"); // idempotent
    const afterDelete = { tables: nftA.listTables(), cli: sh(["nft", "list", "tables"]).stdout.trim(), ping: pingFrom(b, "10.200.0.1") };
    const libError = attempt(() => nftA.run("add rule inet nsbox_nope input drop", "rule in nsbox_nope"));
    a.deleteLink("nsbox0");
    a.close();
    nb.close();
    emit({ before, during, zoneTables, cliTables, ruleset, replaced, pingReplaced, hostile, hostileReachedLib, rulesetUnchanged, inB, backHome, afterDelete, libError });
  } finally {
    b.kill();
  }
}

async function errors() {
  const a = openNetlink();
  a.createBridge("dup0");
  const dupLink = attempt(() => a.createBridge("dup0"));
  const dupVeth = attempt(() => a.createVeth("dup0", "dup1"));
  a.addAddress("dup0", "10.210.0.1/24");
  const dupAddr = attempt(() => a.addAddress("dup0", "10.210.0.1/24"));
  const missing = attempt(() => a.deleteLink("nope0"));
  const missingUp = attempt(() => a.setUp("nope0"));
  const missingAddr = attempt(() => a.addAddress("nope0", "10.0.0.1/8"));
  const unreachable = attempt(() => a.addRoute({ dst: "10.50.0.0/16", gateway: "10.99.0.1" }));
  const badFd = attempt(() => a.createVeth("v9", "v10", 999));
  const hostile = attempt(() => a.addAddress("dup0", "10.0.0.1; reboot"));
  const badName = attempt(() => a.createDummy("bad name"));
  const badWindow = attempt(() => openNetlinkIn(999));
  const backHome = threadNs() === homeNs;
  a.close();
  emit({ dupLink, dupVeth, dupAddr, missing, missingUp, missingAddr, unreachable, badFd, hostile, badName, badWindow, backHome });
}

/**
 * DESIGN.md §2's measurement, smaller: windows opened while the event loop is busy with timers,
 * async fs reads and child processes; every socket must be in the target namespace and the main
 * thread back home after each window.
 */
async function windows() {
  const n = Number(process.argv[3] ?? 200);
  const b = await spawnNetns();
  try {
    const nb = openNetlinkIn(b.fd);
    nb.createBridge("marker-b");
    nb.close();
    let busy = true;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const readers = (async () => {
      while (busy) {
        await Bun.file("/proc/self/stat").text();
        await Bun.file(`/proc/thread-self/ns/net`).exists();
      }
    })();
    const spawner = (async () => {
      while (busy) await Bun.spawn(["true"], { stdout: "ignore" }).exited;
    })();
    let wrong = 0;
    let strayThread = 0;
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) await Bun.sleep(0);
      else await new Promise((r) => setImmediate(r));
      const c = openNetlinkIn(b.fd);
      if (threadNs() !== homeNs) strayThread++;
      const seesB = c.getLink("marker-b") !== undefined;
      if (!seesB) wrong++;
      c.close();
    }
    // Fresh namespaces from createNetns: each distinct, each holding only lo.
    const fresh: { inode: number; links: string[] }[] = [];
    for (let i = 0; i < 10; i++) {
      const fd = createNetns();
      const c = openNetlinkIn(fd);
      fresh.push({ inode: statSync(`/proc/self/fd/${fd}`).ino, links: c.listLinks().map((l) => l.name) });
      c.close();
      closeNetns(fd);
    }
    busy = false;
    clearInterval(timer);
    await readers;
    await spawner;
    // An async function would let other JS run inside the window: refused, and the thread is back.
    const asyncRefused = attempt(() => withNetns(b.fd, async () => {}));
    const home = openNetlink();
    const homeSeesMarker = home.getLink("marker-b") !== undefined;
    home.close();
    emit({ n, wrong, strayThread, ticks, fresh, asyncRefused, homeSeesMarker, backHome: threadNs() === homeNs, homeInode: statSync("/proc/self/ns/net").ino });
  } finally {
    b.kill();
  }
}

async function gc() {
  // An owner that will die: its record names a veth (with its peer in B) and a table.
  const b = await spawnNetns();
  try {
    const owner = Bun.spawn(["sleep", "60"], { stdin: "ignore" });
    const start = startTime(owner.pid)!;
    const dead = new NetRecorder({ pid: owner.pid, startTime: start });
    const a = openNetlink();
    dead.link("nsv-dead");
    a.createVeth("nsv-dead", "nsv-dead-p", b.fd);
    dead.zone("dead");
    nftClient(openLibnftables()).applyZoneTable({ zone: "dead", chains: [] });
    // A live owner (this process) claims other things, which gc must leave alone.
    const live = new NetRecorder();
    live.link("nsv-live");
    a.createBridge("nsv-live");
    live.zone("live");
    nftClient(openLibnftables()).applyZoneTable({ zone: "live", chains: [] });

    const whileAlive = netCollector().find().map((l) => l.what);
    owner.kill("SIGKILL");
    await owner.exited;
    const found = netCollector().find();
    const what = found.map((l) => l.what);
    for (const l of found) l.remove();
    const after = {
      links: a.listLinks().map((l) => l.name),
      bLinks: (JSON.parse(b.run(["ip", "-j", "link"]).stdout) as { ifname: string }[]).map((l) => l.ifname),
      tables: nftClient(openLibnftables()).listZoneTables().map((t) => t.name),
      records: sh(["ls", "/run/nsbox/net"]).stdout.trim().split("\n").filter(Boolean),
      again: netCollector().find().length,
    };
    live.discard();
    a.close();
    emit({ whileAlive, what, after, liveFile: live.file.replace(/^.*\//, ""), pid: process.pid });
  } finally {
    b.kill();
  }
}

const scenarios: Record<string, () => Promise<void>> = { veth, bridge, nft, errors, windows, gc };
const run = scenario ? scenarios[scenario] : undefined;
if (!run) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(", ")}`);
await run();
