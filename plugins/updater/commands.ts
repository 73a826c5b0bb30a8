// `cron-line`, `timer` and `status`: the commands that print rather than run.
import { scanArgs, flagsOf, NAME_PATTERN, UsageError, type CommandContext, type LockHolder } from "nsbox/plugin";
import { JOB_USAGE, parseJob } from "./args.ts";
import { lastRecord, running, type RunRecord } from "./run-log.ts";
import { checkCronSchedule, checkOnCalendar, cronLine, timerUnits } from "./schedule.ts";

export const CRON_USAGE = `nsbox updater cron-line --schedule "MIN HOUR DOM MON DOW" ${JOB_USAGE}`;
export const TIMER_USAGE = `nsbox updater timer --on-calendar WHEN ${JOB_USAGE}`;
export const STATUS_USAGE = "nsbox updater status [NAME] [--json]";

function required(extra: Map<string, string[]>, flag: string, usage: string): string {
  const value = extra.get(flag)?.[0];
  if (value === undefined) throw new UsageError(`--${flag} is missing`, `usage: ${usage}`);
  return value;
}

export function cronLineCommand(args: readonly string[], ctx: CommandContext): number {
  const { job, extra } = parseJob(args, CRON_USAGE, [{ name: "schedule", args: ["SCHEDULE"], repeatable: false }]);
  ctx.stdout(cronLine(ctx.nsboxArgv, checkCronSchedule(required(extra, "schedule", CRON_USAGE)), job));
  return 0;
}

export function timerCommand(args: readonly string[], ctx: CommandContext): number {
  const { job, extra } = parseJob(args, TIMER_USAGE, [{ name: "on-calendar", args: ["WHEN"], repeatable: false }]);
  const units = timerUnits(ctx.nsboxArgv, checkOnCalendar(required(extra, "on-calendar", TIMER_USAGE)), job);
  ctx.stdout(`${units.service}\n${units.timer}`);
  return 0;
}

interface JobStatus {
  name: string;
  last: RunRecord | null;
  running: (LockHolder & { running: true }) | { running: false } | { running: true; pid: null; since: null };
}

function statusOf(ctx: CommandContext, name: string): JobStatus {
  const holder = running(ctx, name);
  return {
    name,
    last: lastRecord(ctx, name) ?? null,
    running: holder === "free" ? { running: false } : holder ? { running: true, ...holder } : { running: true, pid: null, since: null },
  };
}

function statusLine(s: JobStatus): string {
  const last = s.last ? `last run ${s.last.start}, exit ${s.last.status}, ${s.last.seconds.toFixed(1)}s` : "never run";
  const now = s.running.running ? `running (pid ${s.running.pid ?? "?"} since ${s.running.since ?? "?"})` : "idle";
  return `${s.name}: ${last}; ${now}`;
}

export function statusCommand(args: readonly string[], ctx: CommandContext): number {
  const scan = scanArgs(args, { shape: (n) => (n === "json" ? { args: [] } : undefined), words: "collect", hint: `usage: ${STATUS_USAGE}` });
  const words = scan.items.flatMap((i) => (i.kind === "word" ? [i.value] : []));
  if (words.length > 1 || scan.rest.length) throw new UsageError(`unexpected '${words[1] ?? scan.rest[0]}'`, `usage: ${STATUS_USAGE}`);
  const json = flagsOf(scan).length > 0;
  const name = words[0];
  if (name !== undefined && !NAME_PATTERN.test(`updater-${name}`)) throw new UsageError(`'${name}' is not an updater name`);
  const known = [...new Set(ctx.state.keys().filter((k) => /\.(log|lock)$/.test(k)).map((k) => k.replace(/\.(log|lock)$/, "")))].sort();
  if (name !== undefined && !known.includes(name)) throw new UsageError(`no updater named ${name} has run`, "see nsbox updater status");
  const all = (name === undefined ? known : [name]).map((n) => statusOf(ctx, n));
  if (json) ctx.stdout(`${JSON.stringify(name === undefined ? all : all[0], null, 2)}\n`);
  else ctx.stdout(all.length ? `${all.map(statusLine).join("\n")}\n` : "no updater has run\n");
  return 0;
}
