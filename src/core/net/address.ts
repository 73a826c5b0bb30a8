// Strict IPv4/IPv6 addresses and CIDRs: the only way an address reaches netlink or an nft rule.
// Anything else is refused here, because libnftables 1.0.6 resolves whatever does not parse as
// an address as a hostname (DESIGN.md §2), and a stray `;` would start a new nft command.
import { UsageError } from "../../base/errors.ts";

export type Family = 4 | 6;

export interface IpAddress {
  family: Family;
  /** Network byte order: 4 or 16 bytes, as netlink carries them (rtnetlink(7)). */
  bytes: Uint8Array;
  /** Canonical text: dotted quad, or RFC 5952 (lowercase, longest zero run as `::`). */
  text: string;
}

export interface Cidr {
  address: IpAddress;
  prefix: number;
  /** `address/prefix` in canonical text; host bits are kept (an interface address). */
  text: string;
}

const maxPrefix = (f: Family) => (f === 4 ? 32 : 128);

function refuse(input: string, what: string): never {
  // JSON.stringify shows hostile characters (quotes, newlines, `;`) visibly and safely.
  throw new UsageError(`not ${what}: ${JSON.stringify(input)}`, "give a literal address such as 10.0.0.1, fd00::1 or 10.0.0.0/24 (no hostnames)");
}

/** Four decimal octets; no leading zeros, since inet_aton(3) would read `010` as octal. */
function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** RFC 4291 §2.2 text forms, including one `::` and a dotted IPv4 tail; no zone ids (`%eth0`). */
function parseV6(s: string): Uint8Array | undefined {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(s)) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes(".")) {
        const v4 = parseV4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  let words: number[];
  if (halves.length === 2) {
    // `::` stands for at least one zero group (RFC 5952 §4.2.2 forbids it for none).
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    words = head;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** Text for 4 or 16 address bytes: the form `ip` and inet_ntop(3) print. */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) throw new RangeError(`an address has 4 or 16 bytes, not ${bytes.length}`);
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  // The longest run of two or more zero groups becomes `::`; the first one on a tie (RFC 5952 §4.2.3).
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { start: i, len: j - i };
    i = j;
  }
  // Like glibc's inet_ntop: ::a.b.c.d and ::ffff:a.b.c.d keep their IPv4 tail.
  const v4tail = best.start === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff));
  const hex = (from: number, to: number) => words.slice(from, to).map((w) => w.toString(16));
  if (v4tail) return `::${best.len === 5 ? "ffff:" : ""}${Array.from(bytes.subarray(12)).join(".")}`;
  if (best.start < 0) return hex(0, 8).join(":");
  return `${hex(0, best.start).join(":")}::${hex(best.start + best.len, 8).join(":")}`;
}

/** Parses one literal IPv4 or IPv6 address (no prefix), or throws a UsageError naming the input. */
export function parseAddress(input: string): IpAddress {
  if (typeof input !== "string") return refuse(String(input), "an IP address");
  return tryParse(input) ?? refuse(input, "an IP address");
}

/** `address/prefix`; a bare address gets the full prefix (/32 or /128). Host bits are kept. */
export function parseCidr(input: string): Cidr {
  if (typeof input !== "string") return refuse(String(input), "an address with a prefix");
  const slash = input.indexOf("/");
  const address = slash < 0 ? tryParse(input) : tryParse(input.slice(0, slash));
  if (!address) return refuse(input, "an address with a prefix");
  let prefix = maxPrefix(address.family);
  if (slash >= 0) {
    const p = input.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > prefix) return refuse(input, "an address with a prefix");
    prefix = Number(p);
  }
  return { address, prefix, text: `${address.text}/${prefix}` };
}

/** The network a CIDR names: host bits cleared (`10.0.0.7/24` → `10.0.0.0/24`). */
export function networkOf(cidr: Cidr): Cidr {
  const bytes = cidr.address.bytes.slice();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, cidr.prefix - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  const text = formatAddress(bytes);
  return { address: { family: cidr.address.family, bytes, text }, prefix: cidr.prefix, text: `${text}/${cidr.prefix}` };
}

/** A network for a route or a rule: parsed and normalised to its network address. */
export function parseNetwork(input: string): Cidr {
  return networkOf(parseCidr(input));
}

function tryParse(s: string): IpAddress | undefined {
  const v4 = parseV4(s);
  if (v4) return { family: 4, bytes: v4, text: formatAddress(v4) };
  const v6 = parseV6(s);
  return v6 ? { family: 6, bytes: v6, text: formatAddress(v6) } : undefined;
}
