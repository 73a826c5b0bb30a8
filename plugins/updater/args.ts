// The updater's job description, read from `NAME [options] -- COMMAND...` with nsbox's own
// tokenizer: the same for `run`, `cron-line` and `timer`, so the line they print runs exactly
// what `run` would. Everything is checked here, before a lock, a process or a file exists.
import { flagsOf, NAME_PATTERN, scanArgs, UsageError, ZONE_NAME_PATTERN } from "nsbox/plugin";

export type UpdaterNet = { mode: "none" } | { mode: "host" } | { mode: "zone"; zone: string };

export interface UpdaterJob {
  name: string;
  state: string[];
  ro: string[];
  net: UpdaterNet;
  /** Seconds, or undefined for no limit. */
  timeout: number | undefined;
  lock: "refuse" | "wait";
  quiet: boolean;
  setenv: [string, string][];
  command: string[];
}

interface JobFlag {
  name: string;
  args: string[];
  repeatable: boolean;
}

export const JOB_FLAGS: readonly JobFlag[] = [
  { name: "state", args: ["DIR"], repeatable: true },
  { name: "ro", args: ["PATH"], repeatable: true },
  { name: "net", args: ["none|host|zone:Z"], repeatable: false },
  { name: "timeout", args: ["DUR"], repeatable: false },
  { name: "lock", args: ["refuse|wait"], repeatable: false },
  { name: "quiet", args: [], repeatable: false },
  { name: "setenv", args: ["KEY", "VALUE"], repeatable: true },
];

export const JOB_USAGE = "NAME --state DIR [--state DIR...] [--ro PATH...] [--net none|host|zone:Z] [--timeout DUR] [--lock refuse|wait] [--quiet] [--setenv KEY VALUE...] -- COMMAND...";

/** Trees an updater may never write: the OS itself (host-data places are refused by nsbox run). */
const SYSTEM_TREES = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/proc", "/sys", "/dev", "/run"];

/** `30`, `30s`, `5m`, `2h`, `1d` (timeout(1)'s suffixes) → seconds; a UsageError otherwise. */
export function parseDuration(text: string, where: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([smhd]?)$/.exec(text);
  const n = m ? Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"] : NaN;
  if (!m || !(n > 0) || n > 365 * 86400) throw new UsageError(`${where}: '${text}' is not a duration (a positive number with s, m, h or d, e.g. 30m)`);
  return n;
}

function absolute(path: string, where: string): string {
  if (!path.startsWith("/")) throw new UsageError(`${where}: '${path}' is not an absolute path (cron starts jobs in /)`);
  if (path.split("/").some((p) => p === ".." || p === ".")) throw new UsageError(`${where}: '${path}' has '.' or '..' in it; give the real path`);
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

function parseNet(text: string | undefined): UpdaterNet {
  if (text === undefined || text === "none") return { mode: "none" };
  if (text === "host") return { mode: "host" };
  const zone = /^zone:(.+)$/.exec(text)?.[1];
  if (zone !== undefined && ZONE_NAME_PATTERN.test(zone)) return { mode: "zone", zone };
  throw new UsageError(`--net: '${text}' is not none, host or zone:NAME`);
}

export function parseJob(args: readonly string[], usage: string, extra: readonly JobFlag[] = []): { job: UpdaterJob; extra: Map<string, string[]> } {
  const table = [...JOB_FLAGS, ...extra];
  const scan = scanArgs(args, { shape: (n) => table.find((f) => f.name === n), words: "collect", hint: `usage: ${usage}` });
  const flags = new Map<string, string[]>();
  const setenv: [string, string][] = [];
  for (const f of flagsOf(scan)) {
    const own = table.find((t) => t.name === f.name)!;
    if (!own.repeatable && flags.has(f.name)) throw new UsageError(`--${f.name} is given twice`, `usage: ${usage}`);
    if (f.name === "setenv") setenv.push([f.values[0]!, f.values[1]!]);
    flags.set(f.name, [...(flags.get(f.name) ?? []), ...(f.values.length ? f.values : ["yes"])]);
  }
  const words = scan.items.flatMap((i) => (i.kind === "word" ? [i.value] : []));
  if (words.length === 0) throw new UsageError("no updater NAME given", `usage: ${usage}`);
  if (words.length > 1) throw new UsageError(`unexpected '${words[1]}' (the command goes after --)`, `usage: ${usage}`);
  const name = words[0]!;
  if (!NAME_PATTERN.test(`updater-${name}`)) throw new UsageError(`'${name}' is not an updater name (letters, digits, '-', '_', '.')`);
  if (!scan.dashdash || scan.rest.length === 0) throw new UsageError("no COMMAND given after --", `usage: ${usage}`);
  const state = (flags.get("state") ?? []).map((d) => absolute(d, "--state"));
  if (state.length === 0) throw new UsageError("give at least one --state DIR: the only place the updater may write", `usage: ${usage}`);
  for (const d of state) {
    const top = SYSTEM_TREES.find((t) => d === t || d.startsWith(`${t}/`));
    if (top || d === "/") throw new UsageError(`--state ${d}: it is ${top ? `under ${top}, which` : "the root, which"} belongs to the system; use a directory such as /var/lib/NAME`);
  }
  const lock = flags.get("lock")?.[0] ?? "refuse";
  if (lock !== "refuse" && lock !== "wait") throw new UsageError(`--lock: '${lock}' is not refuse or wait`);
  for (const [key] of setenv) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`--setenv: '${key}' is not a variable name`);
  const timeout = flags.get("timeout")?.[0];
  return {
    job: {
      name,
      state,
      ro: (flags.get("ro") ?? []).map((p) => absolute(p, "--ro")),
      net: parseNet(flags.get("net")?.[0]),
      timeout: timeout === undefined ? undefined : parseDuration(timeout, "--timeout"),
      lock,
      quiet: flags.has("quiet"),
      setenv,
      command: scan.rest,
    },
    extra: new Map([...flags].filter(([k]) => extra.some((e) => e.name === k))),
  };
}

/** The job as updater arguments again (for cron-line and timer), in a fixed order. */
export function jobArgs(job: UpdaterJob): string[] {
  const out = [job.name];
  for (const d of job.state) out.push("--state", d);
  for (const p of job.ro) out.push("--ro", p);
  if (job.net.mode !== "none") out.push("--net", job.net.mode === "zone" ? `zone:${job.net.zone}` : job.net.mode);
  if (job.timeout !== undefined) out.push("--timeout", `${job.timeout}s`);
  if (job.lock !== "refuse") out.push("--lock", job.lock);
  if (job.quiet) out.push("--quiet");
  for (const [k, val] of job.setenv) out.push("--setenv", k, val);
  return [...out, "--", ...job.command];
}
