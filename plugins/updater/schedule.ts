// `cron-line` and `timer`: the job as a crontab line or a systemd .service + .timer pair. Both
// call `nsbox updater run` by absolute path with the job's arguments exactly as given (checked by
// parseJob first), so nothing depends on cron's PATH or on a shell's reading of the command.
import { UsageError } from "nsbox/plugin";
import { jobArgs, type UpdaterJob } from "./args.ts";

const CRON_FIELDS: [string, number, number, readonly string[]][] = [
  ["minute", 0, 59, []],
  ["hour", 0, 23, []],
  ["day of month", 1, 31, []],
  ["month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]],
  ["day of week", 0, 7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]],
];
const CRON_NICKNAMES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

function cronValue(text: string, [what, lo, hi, names]: (typeof CRON_FIELDS)[number]): boolean {
  const n = /^[0-9]+$/.test(text) ? Number(text) : names.indexOf(text.toLowerCase()) + (what === "month" ? 1 : 0);
  return (/^[0-9]+$/.test(text) || names.includes(text.toLowerCase())) && n >= lo && n <= hi;
}

/** A crontab(5) schedule: five fields (numbers, names, `*`, ranges, steps, lists) or a nickname. */
export function checkCronSchedule(schedule: string): string {
  const text = schedule.trim();
  if (CRON_NICKNAMES.includes(text)) return text;
  const fields = text.split(/\s+/);
  const hint = "give five crontab fields (minute hour day-of-month month day-of-week, e.g. \"17 3 * * *\") or @daily, @weekly ...";
  if (fields.length !== 5) throw new UsageError(`--schedule: '${schedule}' is not a crontab schedule`, hint);
  fields.forEach((field, i) => {
    const spec = CRON_FIELDS[i]!;
    for (const part of field.split(",")) {
      const m = /^(\*|([^-/]+)(?:-([^-/]+))?)(?:\/([0-9]+))?$/.exec(part);
      const ok = m && (m[1] === "*" || (cronValue(m[2]!, spec) && (m[3] === undefined || cronValue(m[3], spec)))) && (m[4] === undefined || Number(m[4]) > 0);
      if (!ok) throw new UsageError(`--schedule: '${part}' is not a valid ${spec[0]} (${spec[1]}-${spec[2]}) in '${schedule}'`, hint);
    }
  });
  return fields.join(" ");
}

const SYSTEMD_SHORTHANDS = ["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually"];

/** An OnCalendar= value (systemd.time(7)): a shorthand, or an expression of its characters only. */
export function checkOnCalendar(text: string): string {
  const hint = "e.g. daily, weekly, \"Mon *-*-* 03:17:00\" (systemd.time(7); systemd-analyze calendar checks one)";
  if (/^[a-z]+$/.test(text) && !SYSTEMD_SHORTHANDS.includes(text)) throw new UsageError(`--on-calendar: '${text}' is not a calendar shorthand`, hint);
  if (!/^[A-Za-z0-9*:/.,~ +-]+$/.test(text) || (!/[0-9*]/.test(text) && !SYSTEMD_SHORTHANDS.includes(text)))
    throw new UsageError(`--on-calendar: '${text}' is not a calendar expression`, hint);
  return text;
}

/** One word for sh(1): as is when it is safe, else in single quotes. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The crontab line (crontab -e; in /etc/cron.d insert the user, root, after the schedule). */
export function cronLine(nsbox: readonly string[], schedule: string, job: UpdaterJob): string {
  const args = [...nsbox, "updater", "run", ...jobArgs({ ...job, quiet: true })];
  // crontab(5): an unescaped % ends the command and starts its stdin.
  return `${schedule} ${args.map(shellWord).join(" ").replaceAll("%", "\\%")}\n`;
}

/** One ExecStart= word (systemd.service(5) "Command lines"): quoted, specifiers and variables escaped. */
function execWord(word: string): string {
  const escaped = word.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("%", "%%").replaceAll("$", "$$$$");
  return `"${escaped}"`;
}

export const unitName = (job: UpdaterJob) => `nsbox-updater-${job.name}`;

/** The .service and .timer, each a complete unit file; the first line of each names its file. */
export function timerUnits(nsbox: readonly string[], onCalendar: string, job: UpdaterJob): { service: string; timer: string } {
  const unit = unitName(job);
  // The timer never starts a second run while one is active; the lock also covers manual runs.
  const service = [
    `# ${unit}.service (nsbox updater timer)`,
    "[Unit]",
    `Description=nsbox updater ${job.name}`,
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${[...nsbox, "updater", "run", ...jobArgs(job)].map(execWord).join(" ")}`,
    "",
  ].join("\n");
  const timer = [
    `# ${unit}.timer (nsbox updater timer)`,
    "[Unit]",
    `Description=nsbox updater ${job.name} (${onCalendar})`,
    "",
    "[Timer]",
    `OnCalendar=${onCalendar}`,
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
  return { service, timer };
}
