// One line per run in the plugin's state (`NAME.log`: time, duration, status, pid), and who
// holds a job's lock: what `nsbox updater status` reports.
import type { CommandContext, LockHolder } from "nsbox/plugin";
import { join } from "node:path";

export interface RunRecord {
  start: string;
  seconds: number;
  status: number;
  pid: number;
}

export const logKey = (name: string) => `${name}.log`;
export const lockPath = (ctx: CommandContext, name: string) => join(ctx.state.dir, `${name}.lock`);

export function formatRecord(r: RunRecord): string {
  return `${r.start} ${r.seconds.toFixed(3)}s exit=${r.status} pid=${r.pid}\n`;
}

export function parseRecord(line: string): RunRecord | undefined {
  const m = /^(\S+) ([0-9.]+)s exit=(\d+) pid=(\d+)$/.exec(line);
  return m ? { start: m[1]!, seconds: Number(m[2]), status: Number(m[3]), pid: Number(m[4]) } : undefined;
}

/** At most this many lines are kept per job (a daily job: over a year). */
const KEEP = 500;

export function appendRecord(ctx: CommandContext, name: string, r: RunRecord): void {
  const lines = (ctx.state.read(logKey(name)) ?? "").split("\n").filter(Boolean);
  ctx.state.write(logKey(name), [...lines.slice(-(KEEP - 1)), formatRecord(r).trimEnd()].join("\n") + "\n");
}

export function lastRecord(ctx: CommandContext, name: string): RunRecord | undefined {
  const lines = (ctx.state.read(logKey(name)) ?? "").split("\n").filter(Boolean);
  return lines.length ? parseRecord(lines.at(-1)!) : undefined;
}

export function running(ctx: CommandContext, name: string): LockHolder | undefined | "free" {
  return ctx.locks.holder(lockPath(ctx, name));
}
