// `ls` and `status NAME`: every recorded instance with what the host says about it now. Running
// or not comes from the core's records of the sandbox `cms-NAME` (ctx.sandboxes), starting (or
// stopping) from the record's live owner (owner.ts), the numbers from /proc and the instance's
// cgroup.
import { flagsOf, scanArgs, UsageError, type CommandContext } from "nsbox/plugin";
import { INSTANCE_NAME, innerAddress } from "./args.ts";
import { idRangeOf, memoryOf, uptimeOf } from "./proc-facts.ts";
import { activityOf, listRecords, readRecord, type InstanceRecord } from "./records.ts";

export const LS_USAGE = "nsbox cms-isolate ls [--json]";
export const STATUS_USAGE = "nsbox cms-isolate status NAME [--json]";

export interface InstanceStatus {
  name: string;
  /** starting: a run has claimed it and the core has no record of its sandbox yet; stopping: its supervisor is tearing it down. */
  state: "running" | "starting" | "stopping" | "stopped";
  /** The stage's supervisor (what `down` signals), or the run that is starting it, in nsbox's PID namespace. */
  pid: number | null;
  /** The server (below the sandbox's init), in nsbox's PID namespace. */
  serverPid: number | null;
  listen: string;
  /** The host ids the instance's 0.. map to. */
  range: { start: number; count: number } | null;
  /** Bytes in use by the whole instance (its cgroup's memory.current). */
  memory: number | null;
  /** Seconds since the instance started. */
  uptime: number | null;
  code: string;
  data: string;
  limits: { memory: string; pids: string };
  zone: string | null;
  command: string[];
}

export function statusOf(ctx: CommandContext, r: InstanceRecord): InstanceStatus {
  // Starting or stopping: the run's pid, no numbers.
  const now = activityOf(ctx.sandboxes, r);
  const found = now?.state === "running" ? now.sandbox : undefined;
  const server = found?.payloadPid;
  return {
    name: r.name,
    state: now?.state ?? "stopped",
    pid: now?.pid ?? null,
    serverPid: server ?? null,
    listen: r.listen,
    range: server === undefined ? null : (idRangeOf(server) ?? null),
    // Without a memory limit the instance has no memory cgroup of its own: its caller's says nothing of it.
    memory: server !== undefined && r.memory !== "none" ? (memoryOf(server) ?? null) : null,
    uptime: found ? (uptimeOf(found.pid) ?? null) : null,
    code: r.code,
    data: r.data,
    limits: { memory: r.memory, pids: r.pids },
    zone: r.zone ?? null,
    command: r.command,
  };
}

export function formatBytes(n: number | null): string {
  if (n === null) return "-";
  const units = ["B", "K", "M", "G"];
  let u = 0;
  for (; n >= 1024 && u < units.length - 1; u++) n /= 1024;
  return `${u === 0 ? n : n.toFixed(1)}${units[u]}`;
}

export function formatUptime(s: number | null): string {
  if (s === null) return "-";
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

const rangeText = (r: InstanceStatus["range"]) => (r ? `${r.start}+${r.count}` : "-");

/** The `ls` table: a header and one row per instance, columns padded. */
export function formatTable(rows: readonly InstanceStatus[]): string {
  const table = [
    ["NAME", "STATE", "PID", "LISTEN", "HOST UIDS", "MEMORY", "UPTIME"],
    ...rows.map((s) => [s.name, s.state, s.pid === null ? "-" : String(s.pid), s.listen, rangeText(s.range), formatBytes(s.memory), formatUptime(s.uptime)]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ")).join("\n") + "\n";
}

function scan(args: readonly string[], usage: string): { words: string[]; json: boolean } {
  const s = scanArgs(args, { shape: (n) => (n === "json" ? { args: [] } : undefined), words: "collect", hint: `usage: ${usage}` });
  if (s.rest.length) throw new UsageError(`unexpected '${s.rest[0]}'`, `usage: ${usage}`);
  return { words: s.items.flatMap((i) => (i.kind === "word" ? [i.value] : [])), json: flagsOf(s).length > 0 };
}

export function lsCommand(args: readonly string[], ctx: CommandContext): number {
  const { words, json } = scan(args, LS_USAGE);
  if (words.length) throw new UsageError(`unexpected '${words[0]}'`, `usage: ${LS_USAGE}`);
  const rows = listRecords(ctx.state).map((r) => statusOf(ctx, r));
  ctx.stdout(json ? `${JSON.stringify(rows, null, 2)}\n` : rows.length ? formatTable(rows) : "no instances (start one: nsbox cms-isolate up NAME ...)\n");
  return 0;
}

/** The record of NAME (given as the one word of `args`), or a usage error naming what exists. */
export function recordOf(ctx: CommandContext, name: string | undefined, usage: string): InstanceRecord {
  if (name === undefined) throw new UsageError("no instance NAME given", `usage: ${usage}`);
  if (!INSTANCE_NAME.test(name)) throw new UsageError(`'${name}' is not an instance name`, `usage: ${usage}`);
  const r = readRecord(ctx.state, name);
  if (!r) throw new UsageError(`no instance named ${name}`, "see nsbox cms-isolate ls");
  return r;
}

export function statusCommand(args: readonly string[], ctx: CommandContext): number {
  const { words, json } = scan(args, STATUS_USAGE);
  if (words.length > 1) throw new UsageError(`unexpected '${words[1]}'`, `usage: ${STATUS_USAGE}`);
  const s = statusOf(ctx, recordOf(ctx, words[0], STATUS_USAGE));
  if (json) {
    ctx.stdout(`${JSON.stringify(s, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `${s.name}: ${s.state}${s.state === "running" ? ` (pid ${s.pid}, server pid ${s.serverPid}, up ${formatUptime(s.uptime)})` : s.pid !== null ? ` (pid ${s.pid})` : ""}`,
    `listen: ${s.listen} -> ${innerAddress(s.listen, Number(/:([0-9]+)$/.exec(s.listen)?.[1]))} inside`,
    `code: ${s.code} (read-only)`,
    `data: ${s.data} (writable)`,
    `host uids: ${rangeText(s.range)}`,
    `memory: ${formatBytes(s.memory)} of ${s.limits.memory}; pids limit ${s.limits.pids}`,
    `network: ${s.zone ? `zone ${s.zone}` : "loopback only"}`,
    `command: ${s.command.join(" ")}`,
  ];
  ctx.stdout(`${lines.join("\n")}\n`);
  return 0;
}
