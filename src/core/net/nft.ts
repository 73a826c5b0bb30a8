// nsbox-owned nftables tables: one `table inet nsbox_<zone>` per zone, rendered from plain data
// by a pure function and applied as one atomic batch through libnftables; removal is one batch
// too. Every address, name and number is validated before any text is rendered, because the
// nft language would take a hostname (and resolve it) or a `;` (and start a new command).
import { NftError, UsageError } from "../../base/errors.ts";
import { withNetns } from "../sys/netns-window.ts";
import type { Libnftables } from "../sys/libnftables.ts";
import { parseAddress, parseCidr, networkOf, type Family } from "./address.ts";
import { checkIfname } from "./ifname.ts";

export const TABLE_PREFIX = "nsbox_";
const ZONE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const CHAIN = /^[a-z][a-z0-9_]{0,31}$/;

export type Hook = "prerouting" | "input" | "forward" | "output" | "postrouting";
export type Verdict = "accept" | "drop" | "reject" | "return" | "masquerade" | { jump: string } | { dnat: string; port?: number } | { snat: string };

export interface ZoneRule {
  iifname?: string;
  oifname?: string;
  /**
   * An address or a network (`10.0.0.2`, `10.0.0.0/24`, `fd00::/64`), or several of one family:
   * an anonymous set, which the kernel looks up at once instead of rule by rule (overlaps merge).
   */
  saddr?: string | readonly string[];
  daddr?: string | readonly string[];
  /** The source is NOT in this address or network (`ip saddr != 10.0.0.0/24`). */
  saddrNot?: string;
  /** The packet's family (`meta nfproto ipv6`): in an inet table, a rule with no address matches both. */
  nfproto?: "ipv4" | "ipv6";
  proto?: "tcp" | "udp" | "icmp" | "icmpv6";
  /** Needs proto tcp or udp. */
  dport?: number;
  ct?: readonly ("established" | "related" | "new" | "invalid")[];
  counter?: boolean;
  verdict: Verdict;
}

export interface ZoneChain {
  name: string;
  /** A base chain is attached to a netfilter hook; without `base` it is only a jump target. */
  base?: { type: "filter" | "nat"; hook: Hook; priority: number; policy?: "accept" | "drop" };
  rules: readonly ZoneRule[];
}

export interface ZoneTable {
  zone: string;
  chains: readonly ZoneChain[];
}

export interface NftTableRef {
  family: string;
  name: string;
  handle?: number;
}

/** `nsbox_<zone>`, or a UsageError when the zone name could not be an nft identifier. */
export function zoneTableName(zone: string): string {
  if (typeof zone !== "string" || !ZONE.test(zone)) {
    throw new UsageError(`not a valid zone name: ${JSON.stringify(zone)}`, "1 to 32 characters of a-z 0-9 _ -, starting with a letter or digit");
  }
  return `${TABLE_PREFIX}${zone}`;
}

function checkChain(name: string): string {
  if (typeof name !== "string" || !CHAIN.test(name)) throw new UsageError(`not a valid chain name: ${JSON.stringify(name)}`, "a-z 0-9 _, starting with a letter");
  return name;
}

function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${what}: not a port: ${JSON.stringify(port)}`);
  return port;
}

/** `10.0.0.0/24` or `fd00::1`, validated, with its family. */
function addrText(value: string): { text: string; family: Family } {
  const cidr = value.includes("/") ? networkOf(parseCidr(value)) : undefined;
  const addr = cidr ? cidr.address : parseAddress(value);
  const full = addr.family === 4 ? 32 : 128;
  return { text: cidr && cidr.prefix !== full ? cidr.text : addr.text, family: addr.family };
}

/**
 * `ip saddr 10.0.0.0/24`, `ip6 daddr fd00::1`, `ip saddr != 10.0.0.0/24` or `ip daddr { 10.0.0.0/8,
 * 192.168.0.0/16 }`, with the family it implies.
 */
function addrMatch(dir: "saddr" | "daddr", value: string | readonly string[], negate = false): { text: string; family: Family } {
  const all = (typeof value === "string" ? [value] : value).map(addrText);
  if (all.length === 0) throw new UsageError(`${dir}: an empty list of addresses`);
  const family = all[0]!.family;
  if (all.some((a) => a.family !== family)) throw new UsageError(`${dir} { ${all.map((a) => a.text).join(", ")} } mixes IPv4 and IPv6`);
  const text = all.length === 1 ? all[0]!.text : `{ ${all.map((a) => a.text).join(", ")} }`;
  return { text: `${family === 4 ? "ip" : "ip6"} ${dir} ${negate ? "!= " : ""}${text}`, family };
}

function renderVerdict(v: Verdict, family: Family | undefined): string {
  if (typeof v === "string") {
    if (!["accept", "drop", "reject", "return", "masquerade"].includes(v)) throw new UsageError(`not a verdict: ${JSON.stringify(v)}`);
    return v;
  }
  if ("jump" in v) return `jump ${checkChain(v.jump)}`;
  const to = "dnat" in v ? v.dnat : v.snat;
  const addr = parseAddress(to);
  if (family && family !== addr.family) throw new UsageError(`${"dnat" in v ? "dnat" : "snat"} to ${addr.text} mixes IPv4 and IPv6 with the rule's match`);
  const port = "dnat" in v && v.port !== undefined ? checkPort(v.port, "dnat") : undefined;
  const host = addr.family === 6 && port !== undefined ? `[${addr.text}]` : addr.text;
  // In an inet table the NAT statement must say which family it translates (nft(8) NAT STATEMENTS).
  return `${"dnat" in v ? "dnat" : "snat"} ${addr.family === 4 ? "ip" : "ip6"} to ${host}${port !== undefined ? `:${port}` : ""}`;
}

/** One rule as nft text; throws a UsageError for any value that is not what it must be. */
export function renderRule(r: ZoneRule): string {
  const parts: string[] = [];
  let family: Family | undefined;
  if (r.iifname !== undefined) parts.push(`iifname "${checkIfname(r.iifname)}"`);
  if (r.oifname !== undefined) parts.push(`oifname "${checkIfname(r.oifname)}"`);
  if (r.nfproto !== undefined) {
    if (r.nfproto !== "ipv4" && r.nfproto !== "ipv6") throw new UsageError(`not a family: ${JSON.stringify(r.nfproto)}`, "ipv4 or ipv6");
    family = r.nfproto === "ipv4" ? 4 : 6;
    parts.push(`meta nfproto ${r.nfproto}`);
  }
  for (const [dir, key] of [["saddr", "saddr"], ["saddr", "saddrNot"], ["daddr", "daddr"]] as const) {
    const value = r[key];
    if (value === undefined) continue;
    const m = addrMatch(dir, value, key === "saddrNot");
    if (family && family !== m.family) throw new UsageError(`rule matches ${dir} ${value} and ${r.nfproto ? `nfproto ${r.nfproto}` : "an address of the other family"}: one is IPv4, the other IPv6`);
    family = m.family;
    parts.push(m.text);
  }
  if (r.dport !== undefined) {
    if (r.proto !== "tcp" && r.proto !== "udp") throw new UsageError("a rule with dport needs proto tcp or udp");
    parts.push(`${r.proto} dport ${checkPort(r.dport, "dport")}`);
  } else if (r.proto !== undefined) {
    const l4 = { tcp: "tcp", udp: "udp", icmp: "icmp", icmpv6: "ipv6-icmp" }[r.proto];
    if (!l4) throw new UsageError(`not a protocol: ${JSON.stringify(r.proto)}`);
    parts.push(`meta l4proto ${l4}`);
  }
  if (r.ct !== undefined && r.ct.length > 0) {
    for (const s of r.ct) if (!["established", "related", "new", "invalid"].includes(s)) throw new UsageError(`not a conntrack state: ${JSON.stringify(s)}`);
    parts.push(`ct state ${r.ct.join(",")}`);
  }
  if (r.counter) parts.push("counter");
  parts.push(renderVerdict(r.verdict, family));
  return parts.join(" ");
}

const HOOKS: readonly Hook[] = ["prerouting", "input", "forward", "output", "postrouting"];

function renderChain(c: ZoneChain): string[] {
  const lines = [`\tchain ${checkChain(c.name)} {`];
  if (c.base) {
    const { type, hook, priority, policy } = c.base;
    if (type !== "filter" && type !== "nat") throw new UsageError(`chain ${c.name}: not a chain type: ${JSON.stringify(type)}`);
    if (!HOOKS.includes(hook)) throw new UsageError(`chain ${c.name}: not a hook: ${JSON.stringify(hook)}`);
    if (!Number.isInteger(priority) || Math.abs(priority) > 1000) throw new UsageError(`chain ${c.name}: priority must be an integer within ±1000`);
    if (policy !== undefined && policy !== "accept" && policy !== "drop") throw new UsageError(`chain ${c.name}: not a policy: ${JSON.stringify(policy)}`);
    lines.push(`\t\ttype ${type} hook ${hook} priority ${priority};${policy ? ` policy ${policy};` : ""}`);
  }
  c.rules.forEach((r, i) => {
    try {
      lines.push(`\t\t${renderRule(r)}`);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`chain ${c.name}, rule ${i + 1}: ${e.message}`, e.hint);
      throw e;
    }
  });
  lines.push("\t}");
  return lines;
}

/**
 * The batch that makes the zone's table exactly `t`: declare it (a no-op when it exists),
 * delete it, define it anew. One batch, so the kernel swaps old for new atomically and an
 * error leaves the old table untouched.
 */
export function renderZoneTable(t: ZoneTable): string {
  const name = zoneTableName(t.zone);
  const body: string[] = [];
  for (const c of t.chains) {
    try {
      body.push(...renderChain(c));
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`nft table inet ${name}: ${e.message}`, e.hint);
      throw e;
    }
  }
  return [`table inet ${name}`, `delete table inet ${name}`, `table inet ${name} {`, ...body, "}", ""].join("\n");
}

/** Removes the zone's table; declaring it first makes the batch succeed when it is already gone. */
export function renderDeleteZoneTable(zone: string): string {
  const name = zoneTableName(zone);
  return `table inet ${name}\ndelete table inet ${name}\n`;
}

/** The tables in `nft -j list tables` output. */
export function parseTableList(json: string): NftTableRef[] {
  if (json.trim() === "") return [];
  const doc = JSON.parse(json) as { nftables?: Array<{ table?: NftTableRef }> };
  return (doc.nftables ?? []).flatMap((e) => (e.table ? [{ family: e.table.family, name: e.table.name, ...(e.table.handle === undefined ? {} : { handle: e.table.handle }) }] : []));
}


export interface NftClient {
  /** Creates or replaces the zone's table atomically. */
  applyZoneTable(t: ZoneTable): void;
  /** Deletes the zone's table; no error when it does not exist. */
  deleteZoneTable(zone: string): void;
  /** Every table in the namespace (`list tables`, read as JSON). */
  listTables(): NftTableRef[];
  /** The tables nsbox owns (named nsbox_*, family inet). */
  listZoneTables(): NftTableRef[];
  /** A raw batch, for what the helpers do not cover; returns its output. */
  run(batch: string, object: string, opts?: { json?: boolean }): string;
}

/**
 * An NftClient over libnftables. With `nsFd`, each batch runs in that network namespace: the
 * context (and its netlink socket) is made and used inside one synchronous setns window.
 */
export function nftClient(lib: Libnftables, opts: { nsFd?: number } = {}): NftClient {
  const run = (batch: string, object: string, o: { json?: boolean } = {}): string => {
    const go = () => lib.run(batch, o);
    const r = opts.nsFd === undefined ? go() : withNetns(opts.nsFd, go);
    if (!r.ok) throw new NftError(object, r.error);
    return r.output;
  };
  const listTables = () => parseTableList(run("list tables", "list tables", { json: true }));
  return {
    applyZoneTable: (t) => void run(renderZoneTable(t), `table inet ${zoneTableName(t.zone)}`),
    deleteZoneTable: (zone) => void run(renderDeleteZoneTable(zone), `delete table inet ${zoneTableName(zone)}`),
    listTables,
    listZoneTables: () => listTables().filter((t) => t.family === "inet" && t.name.startsWith(TABLE_PREFIX)),
    run,
  };
}
