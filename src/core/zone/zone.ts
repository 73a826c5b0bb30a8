// netzone zones as plain data: a zone's settings, their validation, the choice of a free subnet,
// the address pool (.1 the gateway, .2+ the sandboxes) and the nftables rules each policy gets.
// Pure: nothing here touches the kernel or the disk (zone-host.ts and zone-netns.ts do).
import { UsageError } from "../../base/errors.ts";
import { networkOf, parseAddress, parseCidr, formatAddress, type Cidr } from "../net/address.ts";
import { checkIfname } from "../net/ifname.ts";
import type { ZoneChain, ZoneRule, ZoneTable } from "../net/nft.ts";
import { ZONE_NAME_PATTERN } from "../../model/names.ts";
import { ZONE_POLICIES, type Zone, type ZoneInput, type ZonePolicy } from "../../plugin/services.ts";

export { ZONE_POLICIES, type Zone, type ZoneInput, type ZonePolicy };

/** Prefixes that are never "the internet": RFC 1918, RFC 6598, loopback, link-local, ULA, multicast. */
export const DEFAULT_LAN = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "224.0.0.0/4",
  "255.255.255.255/32",
  "fc00::/7",
  "fe80::/10",
  "ff00::/8",
  "::1/128",
];

/**
 * Destinations no zone is forwarded to, whatever its policy (only its --dns servers' port 53
 * comes first): loopback, and link-local, which a router must not forward (RFC 3927 §2.7) and
 * where clouds serve instance credentials (the metadata service at 169.254.169.254).
 */
export const NEVER_FORWARDED = ["127.0.0.0/8", "169.254.0.0/16"];

export const bridgeName = (zone: string) => `nz-${zone}`;

export function checkZoneName(name: string): string {
  if (typeof name !== "string" || !ZONE_NAME_PATTERN.test(name)) {
    throw new UsageError(`not a valid zone name: ${JSON.stringify(name)}`, "1 to 12 characters of a-z 0-9 '-', starting with a letter or digit");
  }
  return name;
}

const v4ToInt = (b: Uint8Array) => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
const intToV4 = (n: number) => formatAddress(new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]));

/** [first, last] address of an IPv4 network as integers. */
function v4Range(c: Cidr): [number, number] {
  const base = v4ToInt(networkOf(c).address.bytes);
  const size = 2 ** (32 - c.prefix);
  return [base, base + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const ca = parseCidr(a);
  const cb = parseCidr(b);
  if (ca.address.family !== cb.address.family) return false;
  if (ca.address.family === 6) {
    const p = Math.min(ca.prefix, cb.prefix);
    return networkOf({ ...ca, prefix: p }).address.text === networkOf({ ...cb, prefix: p }).address.text;
  }
  const [a0, a1] = v4Range(ca);
  const [b0, b1] = v4Range(cb);
  return a0 <= b1 && b0 <= a1;
}

/** A zone subnet: IPv4, /16 to /29, given as its network. */
export function checkSubnet(input: string): Cidr {
  const c = parseCidr(input);
  if (c.address.family !== 4) throw new UsageError(`--subnet ${input}: zones are IPv4 (IPv6 is disabled in them)`);
  if (c.prefix < 16 || c.prefix > 29) throw new UsageError(`--subnet ${input}: the prefix must be /16 to /29`);
  return networkOf(c);
}

/**
 * The first free 10.x.y.0/24 (from 10.87.0.0, an unusual corner of 10/8) that overlaps neither
 * another zone nor any address or route of the host.
 */
export function chooseSubnet(taken: readonly string[]): string {
  for (let x = 87; x < 87 + 256; x++) {
    for (let y = 0; y < 256; y++) {
      const cand = `10.${x % 256}.${y}.0/24`;
      if (!taken.some((t) => cidrsOverlap(t, cand))) return cand;
    }
  }
  throw new UsageError("no free 10.x.y.0/24 for a zone", "give one with --subnet");
}

/** The gateway (first host) of a subnet. */
export function gatewayOf(subnet: string): string {
  const [first] = v4Range(parseCidr(subnet));
  return intToV4(first + 1);
}

/** The lowest free sandbox address of the pool (.2 up to the last before broadcast). */
export function pickLease(subnet: string, used: ReadonlySet<string>): string | undefined {
  const [first, last] = v4Range(parseCidr(subnet));
  for (let n = first + 2; n < last; n++) {
    const a = intToV4(n);
    if (!used.has(a)) return a;
  }
  return undefined;
}

/** What the host looks like to a new zone: its addresses, routes, links, the other zones. */
export interface HostView {
  /** Addresses with prefix of the host's interfaces (10.0.2.15/24, fe80::1/64). */
  addresses: readonly string[];
  links: readonly string[];
  defaultRouteDev?: string;
  zones: readonly Zone[];
}

/** A complete zone from the flags and the host's view, or a UsageError naming the bad input. */
export function buildZone(input: ZoneInput, host: HostView): Zone {
  const name = checkZoneName(input.name);
  if (host.zones.some((z) => z.name === name)) throw new UsageError(`zone ${name} exists already`, `nsbox netzone rm ${name} first`);
  const policy = (input.policy ?? "internet") as ZonePolicy;
  if (!ZONE_POLICIES.includes(policy)) throw new UsageError(`--policy ${input.policy}: must be internet, lan or isolated`);
  const zoneNets = host.zones.map((z) => z.subnet);
  const hostNets = host.addresses.filter((a) => parseCidr(a).address.family === 4).map((a) => networkOf(parseCidr(a)).text);
  let subnet: string;
  if (input.subnet !== undefined) {
    subnet = checkSubnet(input.subnet).text;
    const clash = host.zones.find((z) => cidrsOverlap(z.subnet, subnet));
    if (clash) throw new UsageError(`--subnet ${input.subnet} overlaps zone ${clash.name} (${clash.subnet})`);
    const hostClash = hostNets.find((n) => cidrsOverlap(n, subnet));
    if (hostClash) throw new UsageError(`--subnet ${input.subnet} overlaps the host's network ${hostClash}`);
  } else {
    subnet = chooseSubnet([...zoneNets, ...hostNets]);
  }
  const lanExtra = (input.lan ?? []).map((l) => {
    try {
      return networkOf(parseCidr(l)).text;
    } catch (e) {
      throw new UsageError(`--lan ${l}: not an address or network`, e instanceof UsageError ? e.hint : undefined);
    }
  });
  // Every network the host is on, and each of its own addresses, is LAN too.
  const hostLan = host.addresses.flatMap((a) => {
    const c = parseCidr(a);
    const full = c.address.family === 4 ? 32 : 128;
    return [networkOf(c).text, `${c.address.text}/${full}`];
  });
  const lan = [...new Set([...DEFAULT_LAN, ...hostLan, ...lanExtra])];
  let uplink: string | undefined;
  if (policy === "internet") {
    uplink = input.uplink ?? host.defaultRouteDev;
    if (uplink === undefined) throw new UsageError("the host has no default route: name the uplink with --uplink IFACE");
  } else if (input.uplink !== undefined) {
    uplink = input.uplink;
  }
  if (uplink !== undefined) {
    try {
      checkIfname(uplink);
    } catch {
      throw new UsageError(`--uplink ${JSON.stringify(uplink)}: not an interface name`);
    }
    if (!host.links.includes(uplink)) throw new UsageError(`--uplink ${uplink}: no such interface on the host`, `one of: ${host.links.join(", ")}`);
    if (uplink.startsWith("nz-")) throw new UsageError(`--uplink ${uplink}: that is a zone's bridge`);
  }
  const dns = (input.dns ?? []).map((d) => {
    const a = parseAddress(d);
    return a.text;
  });
  const allowHost = [...new Set((input.allowHost ?? []).map((p) => {
    if (!/^[1-9][0-9]{0,4}$/.test(p) || Number(p) > 65535) throw new UsageError(`--allow-host ${p}: not a port (1-65535)`);
    return Number(p);
  }))];
  // Loopback aside: a member's 127.x is its own.
  const hostAddresses = [...new Set(host.addresses.map((a) => parseCidr(a).address).filter((a) => a.family === 4 && !a.text.startsWith("127.")).map((a) => a.text))];
  return { version: 1, name, policy, subnet, gateway: gatewayOf(subnet), lan, hostAddresses, ...(uplink ? { uplink } : {}), dns, allowHost, peers: input.peers ?? false, ipv6: "disabled" };
}

/** A rule about a member's packet, before it says where the packet is seen (ZoneView). */
type MemberRule = Omit<ZoneRule, "iifname">;

/**
 * Where the zone's policy meets a member's packets. On the host they arrive from the zone's
 * bridge; inside the member (the mirror) they leave by eth0, and the host's routing is unknown.
 */
interface ZoneView {
  /** Marks a rule as about a member's packet. */
  member(r: MemberRule): ZoneRule;
  /** How an internet zone's accepted traffic must leave: the host names the uplink. */
  internetExit: Omit<MemberRule, "verdict">;
}

/** The interface a member's end of its veth has inside its namespace (zone-netns.ts). */
export const MEMBER_LINK = "eth0";

/** The first rules for a member's packet in every chain: no IPv6, only its own subnet, replies. */
function memberHead(z: Zone, v: ZoneView): ZoneRule[] {
  return [
    v.member({ nfproto: "ipv6", verdict: "drop" }),
    // A member that gives itself another address (real root with CAP_NET_ADMIN or CAP_NET_RAW)
    // is dropped: masqueraded out, a spoofed LAN source would have the answer forwarded onto
    // the LAN. First, so no conntrack entry of another network is ever matched from the zone.
    v.member({ saddrNot: z.subnet, verdict: "drop" }),
    v.member({ ct: ["established", "related"], verdict: "accept" }),
  ];
}

/** Port 53 of the zone's --dns servers, whatever the policy (they may sit on the LAN). */
function dnsRules(z: Zone, v: ZoneView, verdict: ZoneRule["verdict"] = "accept"): ZoneRule[] {
  if (z.policy === "isolated") return [];
  return z.dns.flatMap((d) => (["udp", "tcp"] as const).map((proto) => v.member({ daddr: d, proto, dport: 53, verdict })));
}

/** What a member may send beyond the host (the host's forward hook). */
function beyondRules(z: Zone, v: ZoneView): ZoneRule[] {
  const rules = [...memberHead(z, v), v.member({ ct: ["invalid"], verdict: "drop" }), ...dnsRules(z, v)];
  rules.push(...perFamily(NEVER_FORWARDED, (set) => v.member({ daddr: set, verdict: "drop" })));
  if (z.policy === "internet") {
    rules.push(...perFamily(z.lan, (set) => v.member({ daddr: set, verdict: "drop" })));
    rules.push(v.member({ ...v.internetExit, verdict: "accept" }));
  } else if (z.policy === "lan") {
    rules.push(...perFamily(lanReached(z), (set) => v.member({ daddr: set, verdict: "accept" })));
  }
  rules.push(v.member({ verdict: "drop" }));
  return rules;
}

/** One rule per address family present in `nets`, each matching them as one set. */
function perFamily(nets: readonly string[], rule: (set: readonly string[]) => ZoneRule): ZoneRule[] {
  return [nets.filter((n) => !n.includes(":")), nets.filter((n) => n.includes(":"))].filter((set) => set.length > 0).map(rule);
}

/** The LAN a lan zone reaches: its prefixes but loopback and link-local. */
const lanReached = (z: Zone) => z.lan.filter((n) => !NEVER_FORWARDED.includes(n));

/** Where packets into a member are seen: the host's view names what only it can match. */
interface IntoMemberView {
  /** Marks a rule as about a packet into a member. */
  into(r: MemberRule): ZoneRule;
  /** The host itself, whose own packets the host's table never sees (they skip its forward hook). */
  fromHost: ZoneRule[];
  /** Another member of the zone (--peers). */
  peer: ZoneRule;
}

/** What may enter a member from outside: replies, the host itself, its peers; nothing new else. */
function intoMemberRules(z: Zone, v: IntoMemberView): ZoneRule[] {
  return [
    v.into({ nfproto: "ipv6", verdict: "drop" }),
    // Replies to what a member started.
    v.into({ ct: ["established", "related"], verdict: "accept" }),
    ...v.fromHost,
    // --peers: member to member (bridged frames reach the host's hook only with br_netfilter,
    // which names the bridge as both interfaces; routed through the gateway, they do too).
    ...(z.peers ? [v.peer] : []),
    // Nothing new enters a zone from outside it: not from the LAN, the internet or another zone.
    v.into({ verdict: "drop" }),
  ];
}

/** What a member may send to the host itself (the host's input hook). */
function toHostRules(z: Zone, v: ZoneView): ZoneRule[] {
  return [
    ...memberHead(z, v),
    ...dnsRules(z, v),
    ...z.allowHost.flatMap((p) => (["tcp", "udp"] as const).map((proto) => v.member({ proto, dport: p, verdict: "accept" as const }))),
    v.member({ verdict: "drop" }),
  ];
}

/**
 * The zone's `table inet nsbox_<zone>`. Every accept keys on the zone's bridge as the input
 * (or output) interface, never on a source address: a member with CAP_NET_ADMIN in its own
 * namespace can change its address, not the bridge port its packets arrive on (a source outside
 * the zone's subnet is only ever a reason to drop). Zones are IPv4 only: IPv6 from or to the
 * bridge is dropped first, by the table itself, so it stays dropped when an admin or a distro
 * default turns IPv6 back on for the bridge (an accept keyed on interfaces alone, like the
 * uplink's, would match IPv6 too in an inet table); it is also off inside every member.
 */
export function zoneTable(z: Zone): ZoneTable {
  const br = bridgeName(z.name);
  const v: ZoneView = { member: (r) => ({ iifname: br, ...r }), internetExit: { oifname: z.uplink! } };
  const into: IntoMemberView = { into: (r) => ({ oifname: br, ...r }), fromHost: [], peer: { iifname: br, oifname: br, verdict: "accept" } };
  const forward: ZoneRule[] = [...intoMemberRules(z, into), ...beyondRules(z, v)];
  // Answers of servers the host does not route back to the zone: out of the uplink, to the LAN,
  // and to the --dns servers wherever they sit (a resolver behind another interface than the
  // uplink would otherwise see the zone's own address, which it has no route back to).
  const postrouting: ZoneRule[] = [...dnsRules(z, v, "masquerade")];
  if (z.policy === "internet") postrouting.push(v.member({ oifname: z.uplink!, verdict: "masquerade" }));
  // The LAN has no route back to a zone's subnet: members appear as the host, on the LAN only.
  if (z.policy === "lan") postrouting.push(...perFamily(lanReached(z).filter((n) => !n.includes(":")), (set) => v.member({ daddr: set, verdict: "masquerade" })));
  const chains: ZoneChain[] = [
    { name: "forward", base: { type: "filter", hook: "forward", priority: 0, policy: "accept" }, rules: forward },
    { name: "input", base: { type: "filter", hook: "input", priority: 0, policy: "accept" }, rules: toHostRules(z, v) },
  ];
  if (postrouting.length) chains.push({ name: "postrouting", base: { type: "nat", hook: "postrouting", priority: 100 }, rules: postrouting });
  return { zone: z.name, chains };
}

/**
 * The zone's policy again, inside one member's own network namespace, on what passes its eth0:
 * a host that flushes its ruleset (nftables.service does on every start and reload) cannot
 * touch it, so a running member stays closed until `nsbox gc` puts the host's tables back. The
 * same rules as the host's (intoMemberRules, beyondRules, toHostRules). Out, split where the
 * host's hooks split them: to the gateway or an address the host had at create is to the host;
 * the zone's own subnet is the bridge's business (ports isolated unless --peers); the rest is
 * beyond. In: the host's own packets come from those addresses. The NAT and the forward guard
 * stay on the host alone. Removable by whoever holds CAP_NET_ADMIN over the member's namespace,
 * which the host's user namespace owns (nsbox makes it as root, zone-netns.ts): the host's root,
 * and a payload run as real root (--share user) that keeps CAP_NET_ADMIN; not a payload in a
 * user namespace of its own, whatever it keeps.
 */
export function mirrorTable(z: Zone): ZoneTable {
  const v: ZoneView = { member: (r) => r, internetExit: {} };
  const out = (r: MemberRule): ZoneRule => ({ oifname: MEMBER_LINK, ...r });
  const host = [z.gateway, ...(z.hostAddresses ?? [])];
  const into = (r: MemberRule): ZoneRule => ({ iifname: MEMBER_LINK, ...r });
  const input = intoMemberRules(z, { into, fromHost: [into({ saddr: host, verdict: "accept" })], peer: into({ saddr: z.subnet, verdict: "accept" }) });
  const output: ZoneRule[] = [
    out({ daddr: host, verdict: { jump: "to_host" } }),
    out({ daddr: z.subnet, verdict: z.peers ? "accept" : "drop" }),
    out({ verdict: { jump: "beyond" } }),
  ];
  return {
    zone: z.name,
    chains: [
      { name: "input", base: { type: "filter", hook: "input", priority: 0, policy: "accept" }, rules: input },
      { name: "output", base: { type: "filter", hook: "output", priority: 0, policy: "accept" }, rules: output },
      { name: "to_host", rules: toHostRules(z, v) },
      { name: "beyond", rules: beyondRules(z, v) },
    ],
  };
}

/** `show`: the zone as lines of text. */
export function describeZone(z: Zone, members: readonly { address: string; owner: string }[] = [], firewall?: string): string {
  const lines = [
    `zone ${z.name}: policy ${z.policy}`,
    `  subnet ${z.subnet}, gateway ${z.gateway} on bridge ${bridgeName(z.name)}`,
    `  reaches: ${
      z.policy === "internet"
        ? `anything out of ${z.uplink} (masqueraded) except the LAN prefixes`
        : z.policy === "lan"
          ? "the LAN prefixes only (masqueraded; not link-local or loopback), nothing beyond"
          : "nothing (not even the other members)"
    }`,
    `  members reach each other: ${z.peers ? "yes" : "no"}; other zones: no; the host: ${z.allowHost.length ? `ports ${z.allowHost.join(", ")} only` : "no"}`,
    `  IPv6: disabled in every member; dropped at the host`,
    `  dns: ${z.dns.length ? `${z.dns.join(", ")} (port 53 open to them${z.policy === "isolated" ? ": no, the zone is isolated" : ""})` : "(the sandbox's own /etc/resolv.conf)"}`,
    ...(firewall === undefined ? [] : [`  nftables: ${firewall}`]),
    `  lan prefixes: ${z.lan.join(" ")}`,
    `  members: ${members.length ? members.map((m) => `${m.address} (${m.owner})`).join(", ") : "none"}`,
  ];
  return lines.join("\n");
}
