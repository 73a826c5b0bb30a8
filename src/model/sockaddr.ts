// Listening addresses as text (`127.0.0.1:8080`, `[::1]:8080`, `unix:/run/app.sock`, `unix:@name`)
// and as the kernel's struct sockaddr bytes (ip(7), ipv6(7), unix(7)) for bind(2) and back from
// getsockname(2). Pure: no syscall, no DNS (a name is refused, never resolved).

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** sun_path is 108 bytes (unix(7)); a pathname needs its NUL, an abstract name has a leading NUL. */
const SUN_PATH_MAX = 108;

export type ListenAddress =
  | { kind: "inet"; family: typeof AF_INET | typeof AF_INET6; address: Uint8Array; port: number }
  | { kind: "unix"; path: string }
  | { kind: "abstract"; name: string };

/** sa_family, sin6_scope_id: host byte order; ports and addresses: network order (big-endian). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Dotted quad, four decimal parts 0-255 without leading zeros (inet_aton's octal `010` is refused). */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts.map(Number));
}

/** An IPv6 literal (RFC 4291 2.2: hex groups, one `::`, an optional dotted-quad tail); no zone. */
export function parseIPv6(text: string): Uint8Array | undefined {
  let groups: number[] = [];
  let head = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.slice(lastColon + 1).includes(".")) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const hex = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : undefined);
  const list = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out = s.split(":").map(hex);
    return out.every((g) => g !== undefined) ? (out as number[]) : undefined;
  };
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  if (halves.length === 2) {
    const left = list(halves[0]!);
    const right = list(halves[1]!);
    if (!left || !right) return undefined;
    const fill = 8 - left.length - right.length - tail.length;
    if (fill < 1) return undefined;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right, ...tail];
  } else {
    const all = list(head);
    if (!all) return undefined;
    groups = [...all, ...tail];
  }
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** RFC 5952: lowercase, no leading zeros, the longest run (2+) of zero groups as `::`, v4-mapped dotted. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${Array.from(bytes.subarray(12)).join(".")}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

function parsePort(text: string): number | undefined {
  return /^(0|[1-9][0-9]{0,4})$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined;
}

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

/**
 * `HOST:PORT` with an IPv4 literal, `[IPV6]:PORT`, `unix:/absolute/path` or `unix:@abstract`.
 * Returns the address, or a message saying what is wrong with the text.
 */
export function parseListenAddress(text: string): ListenAddress | string {
  if (text.startsWith("unix:")) {
    const rest = text.slice(5);
    if (rest.startsWith("@")) {
      const name = rest.slice(1);
      if (name === "" || name.includes("\0")) return "an abstract socket name must be non-empty, without NUL";
      if (utf8Length(name) > SUN_PATH_MAX - 1) return `an abstract socket name is at most ${SUN_PATH_MAX - 1} bytes`;
      return { kind: "abstract", name };
    }
    if (!rest.startsWith("/")) return "a unix socket path must be absolute (unix:/run/app.sock)";
    if (rest.includes("\0")) return "a unix socket path must not contain NUL";
    if (rest.endsWith("/")) return "a unix socket path must name a file, not a directory";
    if (rest.split("/").some((c) => c === "." || c === "..")) return "a unix socket path must not contain '.' or '..' components";
    if (utf8Length(rest) > SUN_PATH_MAX - 1) return `a unix socket path is at most ${SUN_PATH_MAX - 1} bytes (sun_path, unix(7))`;
    return { kind: "unix", path: rest };
  }
  const v6 = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  if (v6) {
    if (v6[1]!.includes("%")) return "IPv6 zone ids (%eth0) are not supported";
    const address = parseIPv6(v6[1]!);
    if (!address) return `'${v6[1]}' is not an IPv6 address`;
    const port = parsePort(v6[2]!);
    return port === undefined ? `'${v6[2]}' is not a port (0-65535)` : { kind: "inet", family: AF_INET6, address, port };
  }
  if (text.startsWith("[")) return "expected [IPV6]:PORT";
  const colon = text.lastIndexOf(":");
  if (colon < 0) return "expected HOST:PORT, [IPV6]:PORT or unix:/PATH";
  const host = text.slice(0, colon);
  if (host.includes(":")) return "put an IPv6 address in brackets: [::1]:8080";
  const address = parseIPv4(host);
  if (!address) return `'${host}' is not an IPv4 address (names are not resolved; use [..] for IPv6)`;
  const port = parsePort(text.slice(colon + 1));
  return port === undefined ? `'${text.slice(colon + 1)}' is not a port (0-65535)` : { kind: "inet", family: AF_INET, address, port };
}

/** The canonical text of an address: what parseListenAddress reads back to the same value. */
export function formatListenAddress(a: ListenAddress): string {
  switch (a.kind) {
    case "unix":
      return `unix:${a.path}`;
    case "abstract":
      return `unix:@${a.name}`;
    case "inet":
      return a.family === AF_INET ? `${Array.from(a.address).join(".")}:${a.port}` : `[${formatIPv6(a.address)}]:${a.port}`;
  }
}

/**
 * The struct sockaddr for bind(2), exactly as long as the address needs: sockaddr_in (16 bytes),
 * sockaddr_in6 (28, flowinfo and scope 0), or sockaddr_un cut after the path's NUL (or after an
 * abstract name, which has no NUL: its length is part of the name, unix(7)).
 */
export function encodeSockaddr(a: ListenAddress, littleEndian = HOST_LITTLE_ENDIAN): Uint8Array {
  if (a.kind === "inet") {
    const v4 = a.family === AF_INET;
    const bytes = new Uint8Array(v4 ? 16 : 28);
    const view = new DataView(bytes.buffer);
    view.setUint16(0, a.family, littleEndian);
    view.setUint16(2, a.port, false);
    bytes.set(a.address, v4 ? 4 : 8);
    return bytes;
  }
  const name = new TextEncoder().encode(a.kind === "unix" ? a.path : a.name);
  const bytes = new Uint8Array(2 + 1 + name.length); // unix: path + NUL; abstract: NUL + name
  new DataView(bytes.buffer).setUint16(0, AF_UNIX, littleEndian);
  bytes.set(name, a.kind === "unix" ? 2 : 3);
  return bytes;
}

/** What getsockname(2) filled in (len bytes of it), as a ListenAddress; undefined for other families. */
export function decodeSockaddr(bytes: Uint8Array, len = bytes.length, littleEndian = HOST_LITTLE_ENDIAN): ListenAddress | undefined {
  if (len < 2 || len > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const family = view.getUint16(0, littleEndian);
  if (family === AF_INET && len >= 16) return { kind: "inet", family, port: view.getUint16(2, false), address: bytes.slice(4, 8) };
  if (family === AF_INET6 && len >= 28) return { kind: "inet", family, port: view.getUint16(2, false), address: bytes.slice(8, 24) };
  if (family !== AF_UNIX || len <= 2) return undefined;
  const raw = bytes.subarray(2, len);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  if (raw[0] === 0) return { kind: "abstract", name: text(raw.subarray(1)) };
  const nul = raw.indexOf(0);
  return { kind: "unix", path: text(nul < 0 ? raw : raw.subarray(0, nul)) };
}
