// netzone without root: zone names, subnet choice and overlap, the lease pool, zone building from
// flags and a host view, the nft rules each policy renders, `--zone` through the spec and the
// wire, the plugin's plan and contract check, and its argument parser.
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import plugin from "../../plugins/netzone/index.ts";
import { parseArgs } from "../../plugins/netzone/args.ts";
import { buildZone, checkSubnet, checkZoneName, chooseSubnet, cidrsOverlap, gatewayOf, mirrorTable, pickLease, zoneTable, type HostView } from "../../src/core/zone/zone.ts";
import { renderZoneTable, type ZoneRule } from "../../src/core/net/nft.ts";
import { findSandboxOption, newDraft, toSpecInput } from "../../src/cli/sandbox-options.ts";
import { planSpec } from "../../src/model/plan.ts";
import { wireRecords } from "../../src/native/wire.ts";
import { checkPlugin } from "../../src/plugin/check-plugin.ts";
import { bridgePortIsolatedRequest, bridgePortLockRequest, neighbourRequest, newLinkRequest } from "../../src/core/net/netlink.ts";
import { parseAddress } from "../../src/core/net/address.ts";
import { rootModeOf } from "../../src/model/root-view.ts";
import { rootCtx } from "../helpers.ts";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { takeLease, withZoneLock } from "../../src/core/zone/zone-store.ts";
import { startTime } from "../../src/core/proc.ts";

const host: HostView = {
  addresses: ["10.0.2.15/24", "192.168.1.7/24", "fe80::1/64", "127.0.0.1/8"],
  links: ["lo", "eth0", "wlan0"],
  defaultRouteDev: "eth0",
  zones: [],
};

describe("zone values", () => {
  test("names: 1-12 of a-z 0-9 '-', so that nz-NAME is a valid interface name", () => {
    expect(checkZoneName("web-1")).toBe("web-1");
    for (const bad of ["", "a/b", "Web", "-a", "abcdefghijklm", "a b", "a;b"]) expect(() => checkZoneName(bad)).toThrow("not a valid zone name");
  });

  test("subnets: IPv4 /16 to /29, normalised; overlap in both directions", () => {
    expect(checkSubnet("10.5.6.7/24").text).toBe("10.5.6.0/24");
    expect(() => checkSubnet("10.0.0.0/33")).toThrow("not an address with a prefix");
    expect(() => checkSubnet("10.0.0.0/8")).toThrow("/16 to /29");
    expect(() => checkSubnet("fd00::/64")).toThrow("IPv4");
    expect(cidrsOverlap("10.0.0.0/8", "10.87.0.0/24")).toBe(true);
    expect(cidrsOverlap("10.87.0.128/25", "10.87.0.0/24")).toBe(true);
    expect(cidrsOverlap("10.87.1.0/24", "10.87.0.0/24")).toBe(false);
    expect(cidrsOverlap("fd00::/8", "10.0.0.0/8")).toBe(false);
  });

  test("the default subnet avoids other zones and the host's networks", () => {
    expect(chooseSubnet([])).toBe("10.87.0.0/24");
    expect(chooseSubnet(["10.87.0.0/24", "10.87.1.0/25"])).toBe("10.87.2.0/24");
    expect(chooseSubnet(["10.87.0.0/16"])).toBe("10.88.0.0/24");
  });

  test("the pool: .1 is the gateway, members get the lowest free .2+, never the broadcast", () => {
    expect(gatewayOf("10.87.3.0/24")).toBe("10.87.3.1");
    expect(pickLease("10.87.3.0/24", new Set())).toBe("10.87.3.2");
    expect(pickLease("10.87.3.0/24", new Set(["10.87.3.2", "10.87.3.4"]))).toBe("10.87.3.3");
    expect(pickLease("10.9.0.0/29", new Set(["10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"]))).toBeUndefined();
  });
});

describe("buildZone", () => {
  test("defaults: internet, a free subnet, the default route's uplink, LAN = private ranges and the host's networks", () => {
    const z = buildZone({ name: "web" }, host);
    expect(z).toMatchObject({ name: "web", policy: "internet", subnet: "10.87.0.0/24", gateway: "10.87.0.1", uplink: "eth0", hostAddresses: ["10.0.2.15", "192.168.1.7"], peers: false, ipv6: "disabled" });
    expect(z.lan).toEqual(expect.arrayContaining(["10.0.0.0/8", "100.64.0.0/10", "fc00::/7", "fe80::/10", "224.0.0.0/4", "10.0.2.0/24", "10.0.2.15/32", "192.168.1.0/24"]));
  });

  test("--lan extends, --dns and --allow-host are checked", () => {
    const z = buildZone({ name: "w", lan: ["203.0.113.0/24"], dns: ["192.0.2.53"], allowHost: ["3128", "53"] }, host);
    expect(z.lan).toContain("203.0.113.0/24");
    expect(z.dns).toEqual(["192.0.2.53"]);
    expect(z.allowHost).toEqual([3128, 53]);
    expect(() => buildZone({ name: "w", dns: ["example.com"] }, host)).toThrow("not an IP address");
    expect(() => buildZone({ name: "w", allowHost: ["0"] }, host)).toThrow("not a port");
    expect(() => buildZone({ name: "w", lan: ["nope"] }, host)).toThrow("--lan nope");
  });

  test("refusals: overlapping subnet, the host's subnet, unknown uplink, no default route, duplicate, bad policy", () => {
    const a = buildZone({ name: "a", subnet: "10.50.0.0/24" }, host);
    const withA = { ...host, zones: [a] };
    expect(() => buildZone({ name: "b", subnet: "10.50.0.128/25" }, withA)).toThrow("overlaps zone a (10.50.0.0/24)");
    expect(() => buildZone({ name: "b", subnet: "10.0.2.0/24" }, host)).toThrow("overlaps the host's network 10.0.2.0/24");
    expect(() => buildZone({ name: "b", uplink: "nope0" }, host)).toThrow("--uplink nope0: no such interface");
    expect(() => buildZone({ name: "b", uplink: "a;b" }, host)).toThrow("not an interface name");
    expect(() => buildZone({ name: "b" }, { ...host, defaultRouteDev: undefined })).toThrow("no default route");
    expect(buildZone({ name: "b", policy: "lan" }, { ...host, defaultRouteDev: undefined }).uplink).toBeUndefined();
    expect(() => buildZone({ name: "a" }, withA)).toThrow("zone a exists already");
    expect(() => buildZone({ name: "b", policy: "open" }, host)).toThrow("must be internet, lan or isolated");
    expect(buildZone({ name: "b" }, withA).subnet).toBe("10.87.0.0/24");
  });
});

describe("rules per policy", () => {
  const render = (policy: string, extra = {}) => renderZoneTable(zoneTable(buildZone({ name: "z", policy, ...extra }, host)));
  // The line matching `net` (alone or in an anonymous set) with this verdict, by its prefix.
  const setLine = (lines: string[], prefix: string, net: string, verdict: string) =>
    lines.findIndex((l) => l.startsWith(prefix) && l.endsWith(` ${verdict}`) && (l.includes(` ${net} `) || l.includes(` ${net},`) || l.includes(`{ ${net},`)));

  test("internet: replies in, nothing new in, LAN dropped, out of the uplink masqueraded, the host closed", () => {
    const t = render("internet", { allowHost: ["3128"] });
    const lines = t.split("\n").map((l) => l.trim());
    expect(lines).toContain('oifname "nz-z" ct state established,related accept');
    expect(lines).toContain('oifname "nz-z" drop');
    const lanDrop = setLine(lines, 'iifname "nz-z" ip daddr {', "10.0.0.0/8", "drop");
    expect(lanDrop).toBeGreaterThan(0);
    for (const net of ["172.16.0.0/12", "192.168.0.0/16", "10.0.2.15", "192.168.1.0/24"]) expect({ net, line: setLine(lines, 'iifname "nz-z" ip daddr {', net, "drop") }).toEqual({ net, line: lanDrop });
    expect(setLine(lines, 'iifname "nz-z" ip6 daddr {', "fc00::/7", "drop")).toBe(lanDrop + 1);
    expect(lanDrop).toBeLessThan(lines.indexOf('iifname "nz-z" oifname "eth0" accept'));
    expect(lines).toContain('iifname "nz-z" oifname "eth0" masquerade');
    expect(lines).toContain('iifname "nz-z" tcp dport 3128 accept');
    expect(lines).toContain('iifname "nz-z" udp dport 3128 accept');
    expect(lines.filter((l) => l === 'iifname "nz-z" drop')).toHaveLength(2);
    // Decisions key on the bridge, never on a source address a member could change: a source
    // address only ever drops (one that is not the zone's), first in both chains.
    expect(lines.filter((l) => l.includes("saddr"))).toEqual(['iifname "nz-z" ip saddr != 10.87.0.0/24 drop', 'iifname "nz-z" ip saddr != 10.87.0.0/24 drop']);
    for (const chain of ["forward", "input"]) {
      const fromZone = lines.slice(lines.indexOf(`chain ${chain} {`)).filter((l) => l.startsWith('iifname "nz-z"'));
      expect(fromZone.slice(0, 2)).toEqual(['iifname "nz-z" meta nfproto ipv6 drop', 'iifname "nz-z" ip saddr != 10.87.0.0/24 drop']);
    }
  });

  test("IPv6 from or to the bridge is dropped before any rule, in every policy: the uplink accept does not depend on IPv6 being off", () => {
    for (const policy of ["internet", "lan", "isolated"]) {
      const lines = render(policy, { peers: true }).split("\n").map((l) => l.trim());
      // The first rule to the bridge (the chain's first), and the first rule from it to anywhere
      // else (a rule that also names the bridge as output comes after that first drop).
      const first = (chain: string) => {
        const rules = lines.slice(lines.indexOf(`chain ${chain} {`) + 2);
        return [rules.find((l) => l.startsWith('iifname "nz-z"') && !l.includes('oifname "nz-z"')), ...(chain === "forward" ? [rules[0]] : [])];
      };
      expect({ policy, forward: first("forward"), input: first("input") }).toEqual({
        policy,
        forward: ['iifname "nz-z" meta nfproto ipv6 drop', 'oifname "nz-z" meta nfproto ipv6 drop'],
        input: ['iifname "nz-z" meta nfproto ipv6 drop'],
      });
    }
  });

  test("link-local (the metadata service) and loopback are never forwarded, in lan zones too; a --dns server there still answers", () => {
    for (const policy of ["internet", "lan"]) {
      const lines = render(policy, { dns: ["169.254.169.253"] }).split("\n").map((l) => l.trim());
      const drop = lines.indexOf('iifname "nz-z" ip daddr { 127.0.0.0/8, 169.254.0.0/16 } drop');
      expect({ policy, drop: drop > 0 }).toEqual({ policy, drop: true });
      expect(lines.indexOf('iifname "nz-z" ip daddr 169.254.169.253 udp dport 53 accept')).toBeLessThan(drop);
      const accept = setLine(lines, 'iifname "nz-z" ip daddr', "169.254.0.0/16", "accept");
      if (accept >= 0) expect(drop).toBeLessThan(accept);
    }
  });

  test("--dns servers get port 53 (udp and tcp) before the LAN is dropped, on the host too; not in isolated zones", () => {
    const lines = render("internet", { dns: ["192.168.1.1"] }).split("\n").map((l) => l.trim());
    const udp = 'iifname "nz-z" ip daddr 192.168.1.1 udp dport 53 accept';
    expect(lines.filter((l) => l === udp)).toHaveLength(2);
    expect(lines).toContain('iifname "nz-z" ip daddr 192.168.1.1 tcp dport 53 accept');
    expect(lines.indexOf(udp)).toBeLessThan(setLine(lines, 'iifname "nz-z" ip daddr {', "192.168.0.0/16", "drop"));
    expect(render("isolated", { dns: ["192.168.1.1"] })).not.toContain("dport 53");
  });

  test("lan: only the LAN prefixes, masqueraded; nothing else", () => {
    const lines = render("lan").split("\n").map((l) => l.trim());
    expect(setLine(lines, 'iifname "nz-z" ip daddr {', "192.168.0.0/16", "accept")).toBeGreaterThan(0);
    expect(setLine(lines, 'iifname "nz-z" ip daddr {', "192.168.0.0/16", "masquerade")).toBeGreaterThan(0);
    // Link-local and loopback are not the LAN a lan zone reaches.
    expect(lines.filter((l) => l.endsWith(" accept") && (l.includes("169.254.0.0/16") || l.includes("127.0.0.0/8")))).toEqual([]);
    expect(lines.some((l) => l.includes('oifname "eth0"'))).toBe(false);
    expect(lines.at(lines.indexOf("chain input {") - 2)).toBe('iifname "nz-z" drop');
  });

  test("isolated: every packet from the zone dropped, no NAT chain", () => {
    const t = render("isolated");
    expect(t).not.toContain("postrouting");
    expect(t.split("\n").filter((l) => l.includes("iifname") && l.includes("accept") && !l.includes("established"))).toEqual([]);
  });

  test("--dns servers are masqueraded wherever the host reaches them (a resolver behind another interface than the uplink); not in isolated zones", () => {
    for (const policy of ["internet", "lan"]) {
      const lines = render(policy, { dns: ["192.168.1.1", "8.8.8.8"] }).split("\n").map((l) => l.trim());
      const nat = lines.slice(lines.indexOf("chain postrouting {"));
      for (const d of ["192.168.1.1", "8.8.8.8"]) for (const proto of ["udp", "tcp"]) expect(nat).toContain(`iifname "nz-z" ip daddr ${d} ${proto} dport 53 masquerade`);
    }
    expect(render("isolated", { dns: ["192.168.1.1"] })).not.toContain("masquerade");
  });

  test("the mirror inside a member: the host's own rules for what a member sends (split by destination as the host's hooks split them) and receives", () => {
    for (const policy of ["internet", "lan", "isolated"]) {
      for (const peers of [false, true]) {
        const z = buildZone({ name: "z", policy, peers, dns: ["192.168.1.1"], allowHost: ["3128"] }, host);
        const chains = Object.fromEntries(zoneTable(z).chains.map((c) => [c.name, c.rules]));
        const m = mirrorTable(z);
        const mirror = Object.fromEntries(m.chains.map((c) => [c.name, c.rules]));
        expect({ policy, zone: m.zone, base: m.chains.filter((c) => c.base).map((c) => `${c.name} ${c.base!.type} ${c.base!.hook}`) }).toEqual({ policy, zone: "z", base: ["input filter input", "output filter output"] });
        // Only what leaves by eth0 (lo is the member's own): the gateway and the host's
        // addresses go to the host's input rules, the zone's subnet is the bridge's, the rest
        // meets the host's forward rules.
        expect(mirror.output).toEqual([
          { oifname: "eth0", daddr: ["10.87.0.1", "10.0.2.15", "192.168.1.7"], verdict: { jump: "to_host" } },
          { oifname: "eth0", daddr: z.subnet, verdict: peers ? "accept" : "drop" },
          { oifname: "eth0", verdict: { jump: "beyond" } },
        ]);
        // The same rules as the host's, without the bridge (and the uplink, which only the
        // host's routing knows): one source for both tables.
        const fromBridge = (rules: readonly ZoneRule[]) => rules.filter((r) => r.iifname === "nz-z" && r.oifname !== "nz-z").map(({ iifname: _, oifname: __, ...r }) => r);
        expect(mirror.to_host).toEqual(fromBridge(chains.input!));
        expect(mirror.beyond).toEqual(fromBridge(chains.forward!));
        // In by eth0: what the host lets into the bridge, and the host itself by its addresses
        // (its own packets never pass its forward hook), other members only with --peers.
        const fromHost: ZoneRule[] = [{ iifname: "eth0", saddr: ["10.87.0.1", "10.0.2.15", "192.168.1.7"], verdict: "accept" }];
        const intoBridge = chains.forward!.filter((r) => r.oifname === "nz-z" && r.iifname === undefined).map(({ oifname: _, ...r }): ZoneRule => ({ iifname: "eth0", ...r }));
        const peer: ZoneRule[] = peers ? [{ iifname: "eth0", saddr: z.subnet, verdict: "accept" }] : [];
        expect(mirror.input).toEqual([...intoBridge.slice(0, -1), ...fromHost, ...peer, intoBridge.at(-1)!]);
        expect(intoBridge.at(-1)).toEqual({ iifname: "eth0", verdict: "drop" });
        // Rendered, it is a table nft takes.
        expect(renderZoneTable(m)).toContain("type filter hook output priority 0; policy accept;");
      }
    }
  });

  test("the mirror of an internet zone: the LAN and the host dropped, the rest accepted; the uplink is the host's business", () => {
    const lines = renderZoneTable(mirrorTable(buildZone({ name: "z", policy: "internet", dns: ["192.168.1.1"] }, host))).split("\n").map((l) => l.trim());
    const beyond = lines.slice(lines.indexOf("chain beyond {"));
    const lanDrop = setLine(beyond, "ip daddr {", "192.168.0.0/16", "drop");
    expect(lanDrop).toBeGreaterThan(0);
    expect(beyond).toContain("ip daddr { 127.0.0.0/8, 169.254.0.0/16 } drop");
    expect(beyond.indexOf("ip daddr 192.168.1.1 udp dport 53 accept")).toBeLessThan(lanDrop);
    expect(lanDrop).toBeLessThan(beyond.indexOf("accept"));
    expect(beyond.slice(0, 2)).toEqual(["chain beyond {", "meta nfproto ipv6 drop"]);
    expect(lines.some((l) => l.includes("masquerade") || l.includes("nz-z"))).toBe(false);
  });

  test("member pinning: port learning and unknown-unicast flooding off, a static FDB entry, a permanent neighbour, a bridge MAC of its own", () => {
    const lock = bridgePortLockRequest("nzv1", 7);
    expect(lock.type).toBe(19);
    // IFLA_PROTINFO|NLA_F_NESTED holding IFLA_BRPORT_LEARNING (8) and IFLA_BRPORT_UNICAST_FLOOD (9), both 0.
    expect(Array.from(lock.body.slice(16))).toEqual([20, 0, 12, 0x80, 5, 0, 8, 0, 0, 0, 0, 0, 5, 0, 9, 0, 0, 0, 0, 0]);
    const fdb = neighbourRequest({ index: 7, ifname: "nzv1", mac: "02:00:00:00:00:09" });
    expect(fdb.type).toBe(28);
    // ndmsg: AF_BRIDGE, ifindex 7, NUD_NOARP, NTF_MASTER; NDA_LLADDR.
    expect(Array.from(fdb.body)).toEqual([7, 0, 0, 0, 7, 0, 0, 0, 0x40, 0, 4, 0, 10, 0, 2, 0, 2, 0, 0, 0, 0, 9, 0, 0]);
    const neigh = neighbourRequest({ index: 3, ifname: "nz-z", mac: "02:00:00:00:00:09", address: parseAddress("10.87.0.2") });
    // ndmsg: AF_INET, ifindex 3, NUD_PERMANENT; NDA_DST, NDA_LLADDR.
    expect(Array.from(neigh.body)).toEqual([2, 0, 0, 0, 3, 0, 0, 0, 0x80, 0, 0, 0, 8, 0, 1, 0, 10, 87, 0, 2, 10, 0, 2, 0, 2, 0, 0, 0, 0, 9, 0, 0]);
    expect(neigh.flags).toBe(0x400 | 0x100);
    expect(() => neighbourRequest({ index: 3, ifname: "nz-z", mac: "02:00:00:00:00" })).toThrow("not a MAC address");
    const br = newLinkRequest({ kind: "bridge", name: "nz-z", mac: "02:aa:bb:cc:dd:ee" });
    expect(Buffer.from(br.body).includes(Buffer.from([10, 0, 1, 0, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]))).toBe(true);
  });

  test("bridge ports isolated by RTM_SETLINK in AF_BRIDGE with IFLA_PROTINFO nested", () => {
    const r = bridgePortIsolatedRequest("nzv1", 7, true);
    expect(r.type).toBe(19);
    expect(Array.from(r.body.slice(0, 8))).toEqual([7, 0, 0, 0, 7, 0, 0, 0]);
    // nla: len 12, type IFLA_PROTINFO|NLA_F_NESTED; inner: len 5, type 33, value 1.
    expect(Array.from(r.body.slice(16))).toEqual([12, 0, 12, 0x80, 5, 0, 33, 0, 1, 0, 0, 0]);
  });
});

describe("--zone and the plugin", () => {
  const spec = (...options: [string, ...string[]][]) => {
    const draft = newDraft(rootCtx);
    for (const [name, ...values] of options) findSandboxOption(name)!.apply(draft, values, `--${name}`);
    return planSpec(toSpecInput(draft, ["true"]), rootCtx);
  };

  test("--zone NAME: network mode zone in a new net namespace; a bad name is an issue", () => {
    const r = spec(["zone", "web"]);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.spec.network).toEqual({ mode: "zone", zone: "web" });
    expect(r.spec.namespaces.net).toEqual({ mode: "new" });
    expect(wireRecords(r.spec).some((x) => x[0] === "lo-up")).toBe(false);
    const bad = spec(["zone", "A/B"]);
    expect(bad.ok).toBe(false);
    const joined = planSpec({ process: { argv: ["true"] }, network: { mode: "zone", zone: "web" }, namespaces: { net: { mode: "join", path: "/proc/1/ns/net" } } }, rootCtx);
    expect(joined.ok ? [] : joined.issues.map((i) => i.message)).toContain("--zone makes the sandbox's network namespace: it cannot be combined with joining one");
    const noName = planSpec({ process: { argv: ["true"] }, network: { mode: "zone" } }, rootCtx);
    expect(noName.ok ? [] : noName.issues.map((i) => i.message)).toContain("network mode zone needs a zone name (--zone NAME)");
    const shared = spec(["zone", "web"], ["share", "net"]);
    if (!shared.ok) throw new Error(JSON.stringify(shared.issues));
    expect(shared.spec.network).toEqual({ mode: "host" });
    const later = spec(["zone", "web"], ["net", "loopback"]);
    if (!later.ok) throw new Error(JSON.stringify(later.issues));
    expect(later.spec.network).toEqual({ mode: "loopback" });
  });

  test("the plugin passes the contract check and plans a zone member", () => {
    expect(() => checkPlugin(plugin, { source: "built-in", reservedFlags: new Set(["zone", "net"]) })).not.toThrow();
    const opts = v.parse(plugin.options, { inZone: "web" });
    const base = { process: { argv: ["true"] } };
    expect(plugin.plan(opts, { ...rootCtx, base })).toMatchObject({ network: { mode: "zone", zone: "web" }, namespaces: { net: { mode: "new" } } });
    expect(() => plugin.plan(opts, { ...rootCtx, base: { ...base, network: { mode: "host" } } })).toThrow("new network namespace");
    expect(plugin.commands!.map((c) => c.name)).toEqual(["create", "ls", "show", "rm"]);
  });

  test("a member starts from the os root, and its symlinked resolv.conf still leads to a file", () => {
    const draft = newDraft(rootCtx);
    const opts = v.parse(plugin.options, { inZone: "web" });
    const r = planSpec(plugin.plan(opts, { ...rootCtx, base: toSpecInput(draft, ["true"]) }), rootCtx);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(rootModeOf(r.spec.mounts)).toBe("os");
    expect(r.spec.mounts).toContainEqual({ kind: "bind", src: rootCtx.host.resolvConf!, dst: rootCtx.host.resolvConf!, readonly: true, optional: true, devices: false });
  });

  test("argument parser: values, lists (repeated or comma-separated), switches, unknown flags", () => {
    const p = parseArgs(["web", "--lan", "10.1.0.0/16,10.2.0.0/16", "--lan=10.3.0.0/16", "--policy", "lan", "--peers"], { values: ["policy"], lists: ["lan"], switches: ["peers"] }, "U");
    expect(p.words).toEqual(["web"]);
    expect(p.lists.lan).toEqual(["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"]);
    expect(p.values.policy).toBe("lan");
    expect(p.switches.has("peers")).toBe(true);
    expect(() => parseArgs(["--nope"], {}, "U")).toThrow("unknown option --nope");
    expect(() => parseArgs(["--policy"], { values: ["policy"] }, "U")).toThrow("needs a value");
  });
});

describe("zone store", () => {
  const me = { pid: process.pid, startTime: startTime(process.pid)! };

  test("the lock: taken, released, a dead holder's lock taken over", () => {
    const dir = mkdtempSync(join(tmpdir(), "nz-"));
    try {
      expect(withZoneLock({ dir }, me, () => existsSync(join(dir, ".lock")))).toBe(true);
      expect(existsSync(join(dir, ".lock"))).toBe(false);
      writeFileSync(join(dir, ".lock"), "999999999 1\n");
      expect(withZoneLock({ dir }, me, () => 7)).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("leases: exclusive files, lowest free first, a dead owner's lease reused", () => {
    const dir = mkdtempSync(join(tmpdir(), "nz-"));
    try {
      const z = buildZone({ name: "t", subnet: "10.9.0.0/29" }, host);
      mkdirSync(join(dir, "t.leases"));
      expect(takeLease({ dir }, z, me).address).toBe("10.9.0.2");
      expect(takeLease({ dir }, z, me).address).toBe("10.9.0.3");
      writeFileSync(join(dir, "t.leases", "10.9.0.4"), "999999999 1\n");
      expect(takeLease({ dir }, z, me).address).toBe("10.9.0.4");
      takeLease({ dir }, z, me);
      takeLease({ dir }, z, me);
      expect(() => takeLease({ dir }, z, me)).toThrow("no free address in 10.9.0.0/29");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

