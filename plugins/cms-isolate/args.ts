// An instance's description, read from `NAME --code DIR --data DIR --listen ADDR:PORT [options]
// [-- COMMAND...]` with nsbox's own tokenizer: the same for `run` and `up`, and what the record
// in the plugin's state holds (so `unit` and a restart run exactly what was asked). Everything
// here is checked before a file, a process or a socket exists; host facts are checked in checks.ts.
import { flagsOf, parseListenAddress, scanArgs, UsageError, ZONE_NAME_PATTERN } from "nsbox/plugin";
import { parseLogMax } from "./log-max.ts";
import { sizeBytes } from "./sizes.ts";

/** Instance names: they become a sandbox name (`cms-NAME`), a hostname, a systemd instance (%i) and state keys. */
export const INSTANCE_NAME = /^[a-z0-9][a-z0-9-]{0,47}$/;

/** Documented defaults: a PHP CMS runs well in 256M; 128 processes and threads leave php-fpm room for its pool. */
export const DEFAULT_MEMORY = "256M";
export const DEFAULT_PIDS = "128";

export interface Instance {
  name: string;
  code: string;
  data: string;
  /** The host address clients use, as given (`127.0.0.1:8080`, `[::1]:8080`). */
  listen: string;
  /** The port, also the one the server listens on inside, on loopback (innerAddress). */
  port: number;
  /** `256M`, or "none" (no memory limit: explicit, for rootless use without cgroups). */
  memory: string;
  /** `128`, or "none". */
  pids: string;
  zone: string | undefined;
  /** `KEY=VALUE` php.ini settings, in order. */
  phpIni: [string, string][];
  /** The server; the default (PHP's built-in server) when none was given. */
  command: string[];
  /** Whether `command` is the default one (so a missing php names the package). */
  defaultCommand: boolean;
  /** Whether the server's output goes to the instance's log (`up` always; `run --log`). */
  log: boolean;
  /** --log-max as given (`8M`); undefined: the operator's setting or the default (log-max.ts). */
  logMax: string | undefined;
}

interface InstanceFlag {
  name: string;
  args: string[];
  repeatable: boolean;
}

export const INSTANCE_FLAGS: readonly InstanceFlag[] = [
  { name: "code", args: ["DIR"], repeatable: false },
  { name: "data", args: ["DIR"], repeatable: false },
  { name: "listen", args: ["ADDR:PORT"], repeatable: false },
  { name: "memory", args: ["SIZE|none"], repeatable: false },
  { name: "pids", args: ["N|none"], repeatable: false },
  { name: "zone", args: ["ZONE"], repeatable: false },
  { name: "php-ini", args: ["KEY=VALUE"], repeatable: true },
  { name: "log", args: [], repeatable: false },
  { name: "log-max", args: ["SIZE"], repeatable: false },
];

export const INSTANCE_USAGE = "NAME --code DIR --data DIR --listen ADDR:PORT [--memory SIZE|none] [--pids N|none] [--zone ZONE] [--php-ini KEY=VALUE...] [--log-max SIZE]";

/**
 * Where the server listens inside: the instance's loopback, on the port of --listen, in its
 * family (nsbox relays a connection to the host's ADDR:PORT to the same family's loopback:
 * 127.0.0.1:PORT, or [::1]:PORT for an IPv6 --listen).
 */
export function innerAddress(listen: string, port: number): string {
  return listen.startsWith("[") ? `[::1]:${port}` : `127.0.0.1:${port}`;
}

/** PHP's built-in server on the instance's loopback, the code dir as document root. */
export function defaultCommand(listen: string, port: number, code: string): string[] {
  return ["php", "-S", innerAddress(listen, port), "-t", code];
}

function absolute(path: string, where: string): string {
  if (!path.startsWith("/")) throw new UsageError(`${where}: '${path}' is not an absolute path`);
  if (path.includes("\0") || path.split("/").some((p) => p === ".." || p === ".")) throw new UsageError(`${where}: '${path}' has '.' or '..' in it; give the real path`);
  const clean = path.replace(/\/+/g, "/");
  return clean.length > 1 ? clean.replace(/\/$/, "") : clean;
}

/** `ADDR:PORT` over TCP (a unix socket cannot be forwarded into the instance's own network). */
function parseListen(text: string): number {
  const a = parseListenAddress(text);
  if (typeof a === "string") throw new UsageError(`--listen: '${text}': ${a}`);
  if (a.kind !== "inet") throw new UsageError(`--listen: '${text}' is not ADDR:PORT (the instance is reached over TCP)`);
  if (a.port === 0) throw new UsageError(`--listen: '${text}': give a port from 1 to 65535`);
  return a.port;
}

function parseMemory(text: string): string {
  if (text === "none") return text;
  const bytes = sizeBytes(text);
  if (bytes === undefined || bytes < 1024 * 1024) throw new UsageError(`--memory: '${text}' is not a size of at least 1M (e.g. 256M, 1G) or none`);
  return text.toUpperCase();
}

function parsePids(text: string): string {
  if (text === "none") return text;
  if (!/^[1-9][0-9]{0,6}$/.test(text) || Number(text) > 4194304) throw new UsageError(`--pids: '${text}' is not a number from 1 to 4194304 or none`);
  return text;
}

function parsePhpIni(text: string): [string, string] {
  const eq = text.indexOf("=");
  const key = eq > 0 ? text.slice(0, eq).trim() : "";
  const value = text.slice(eq + 1);
  // php.ini keys are dotted words (upload_max_filesize, session.gc_maxlifetime); a value must
  // stay on its line, or it could add settings of its own.
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new UsageError(`--php-ini: '${text}' is not KEY=VALUE with a php.ini key (e.g. upload_max_filesize=8M)`);
  if (/[\n\r\0]/.test(value)) throw new UsageError(`--php-ini: the value of ${key} must be one line`);
  return [key, value];
}

/** Parses an instance; `usage` is the command's whole usage line, for messages. */
export function parseInstance(args: readonly string[], usage: string): Instance {
  const scan = scanArgs(args, { shape: (n) => INSTANCE_FLAGS.find((f) => f.name === n), words: "collect", hint: `usage: ${usage}` });
  const flags = new Map<string, string[]>();
  for (const f of flagsOf(scan)) {
    const own = INSTANCE_FLAGS.find((t) => t.name === f.name)!;
    if (!own.repeatable && flags.has(f.name)) throw new UsageError(`--${f.name} is given twice`, `usage: ${usage}`);
    flags.set(f.name, [...(flags.get(f.name) ?? []), ...f.values]);
  }
  const words = scan.items.flatMap((i) => (i.kind === "word" ? [i.value] : []));
  if (words.length === 0) throw new UsageError("no instance NAME given", `usage: ${usage}`);
  if (words.length > 1) throw new UsageError(`unexpected '${words[1]}' (the server command goes after --)`, `usage: ${usage}`);
  const name = words[0]!;
  if (!INSTANCE_NAME.test(name)) throw new UsageError(`'${name}' is not an instance name (1-48 of a-z, 0-9 and '-', starting with a letter or digit)`);
  const need = (flag: string) => {
    const value = flags.get(flag)?.[0];
    if (value === undefined) throw new UsageError(`--${flag} is missing`, `usage: ${usage}`);
    return value;
  };
  const code = absolute(need("code"), "--code");
  const data = absolute(need("data"), "--data");
  const listen = need("listen");
  const port = parseListen(listen);
  if (code === "/" || data === "/") throw new UsageError(`--${code === "/" ? "code" : "data"}: the root cannot be an instance's directory`);
  if (code === data) throw new UsageError(`--code and --data are the same directory (${code}): the code must stay read-only`);
  if (data.startsWith(`${code}/`)) throw new UsageError(`--data ${data} is inside --code ${code}: the code must stay read-only; put the data beside it`);
  if (code.startsWith(`${data}/`)) throw new UsageError(`--code ${code} is inside --data ${data}: the instance could rewrite its own code; put the code beside it`);
  const zone = flags.get("zone")?.[0];
  if (zone !== undefined && !ZONE_NAME_PATTERN.test(zone)) throw new UsageError(`--zone: '${zone}' is not a zone name (1-12 of a-z, 0-9, '-')`);
  if (scan.dashdash && scan.rest.length === 0) throw new UsageError("no server command after --", `usage: ${usage}`);
  const command = scan.rest.length ? scan.rest : defaultCommand(listen, port, code);
  return {
    name, code, data, listen, port,
    memory: parseMemory(flags.get("memory")?.[0] ?? DEFAULT_MEMORY),
    pids: parsePids(flags.get("pids")?.[0] ?? DEFAULT_PIDS),
    zone,
    phpIni: (flags.get("php-ini") ?? []).map(parsePhpIni),
    command,
    defaultCommand: scan.rest.length === 0,
    log: flags.has("log"),
    logMax: flags.has("log-max") ? parseLogMax(flags.get("log-max")![0]!, "--log-max") : undefined,
  };
}

/** The instance as arguments again (for `up` starting `run`, and for `unit`), in a fixed order. */
export function instanceArgs(i: Instance): string[] {
  const out = [i.name, "--code", i.code, "--data", i.data, "--listen", i.listen];
  if (i.memory !== DEFAULT_MEMORY) out.push("--memory", i.memory);
  if (i.pids !== DEFAULT_PIDS) out.push("--pids", i.pids);
  if (i.zone !== undefined) out.push("--zone", i.zone);
  for (const [k, val] of i.phpIni) out.push("--php-ini", `${k}=${val}`);
  if (i.log) out.push("--log");
  if (i.logMax !== undefined) out.push("--log-max", i.logMax);
  return i.defaultCommand ? out : [...out, "--", ...i.command];
}

/** The sandbox's name: `nsbox ps` shows it, and its id range is stable per name (docs/ids.md). */
export function sandboxName(name: string): string {
  return `cms-${name}`;
}
