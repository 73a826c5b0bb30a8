// --publish HOSTADDR:PORT[:INNERPORT]: a host TCP port forwarded into the sandbox's own network
// namespace by the stage's supervisor (src/native/stage/publish.c). Pure: parsing the flag's
// text, the address the forward connects to inside, and the one line plan/explain show.
import { AF_INET, formatListenAddress, parseListenAddress, type ListenAddress } from "./sockaddr.ts";

/** At most this many --publish per sandbox: each is a listener the supervisor polls (WIRE.md). */
export const MAX_PUBLISH = 16;

export interface PublishInput {
  /** Where nsbox listens, in its own network namespace (the host's): `127.0.0.1:8080`, `[::1]:8080`. */
  host: string;
  /** The port on the sandbox's loopback each connection is relayed to. */
  port: number;
}

/** Why `text` cannot be a published host address (IPV4:PORT or [IPV6]:PORT, port 1-65535), or undefined. */
export function publishAddressProblem(text: string): string | undefined {
  const a = parseListenAddress(text);
  if (typeof a === "string") return a;
  if (a.kind !== "inet") return "must be IPV4:PORT or [IPV6]:PORT (a TCP address)";
  // Port 0 would let the kernel pick one nobody could be told about.
  return a.port === 0 ? "needs a port from 1 to 65535" : undefined;
}

/** `HOSTADDR:PORT[:INNERPORT]` (`[::1]:8080:80` for IPv6); INNERPORT defaults to PORT. */
export function parsePublish(text: string): PublishInput | string {
  const m = /^(\[[^\]]*\]:[^:]*|[^:[\]]*:[^:]*)(?::([^:]*))?$/.exec(text);
  if (!m) return `'${text}' is not HOSTADDR:PORT[:INNERPORT] (e.g. 127.0.0.1:8080:80, [::1]:8080)`;
  const problem = publishAddressProblem(m[1]!);
  if (problem) return `'${m[1]}': ${problem}`;
  const a = parseListenAddress(m[1]!) as Extract<ListenAddress, { kind: "inet" }>;
  const host = formatListenAddress(a);
  if (m[2] === undefined) return { host, port: a.port };
  if (!/^[1-9][0-9]{0,4}$/.test(m[2]) || Number(m[2]) > 65535) return `'${m[2]}' is not a port inside (1-65535)`;
  return { host, port: Number(m[2]) };
}

/** The canonical host address (what a duplicate is compared by). */
export function publishKey(p: PublishInput): string {
  const a = parseListenAddress(p.host);
  return typeof a === "string" ? p.host : formatListenAddress(a);
}

/** Where the supervisor connects inside: the sandbox's loopback, of the host address's family. */
export function publishTarget(p: PublishInput): string {
  const a = parseListenAddress(p.host);
  return typeof a !== "string" && a.kind === "inet" && a.family !== AF_INET ? `[::1]:${p.port}` : `127.0.0.1:${p.port}`;
}

/** `publish 127.0.0.1:8080 → sandbox 127.0.0.1:80`. */
export function describePublish(p: PublishInput): string {
  return `publish ${publishKey(p)} → sandbox ${publishTarget(p)}`;
}
