// updater: package-manager update checks for cron and systemd timers, each in a sandbox that sees
// the host's OS read-only and may write only its state directories. `run` supervises one run
// (a kernel lock per job, a timeout, chronic-like --quiet, a log line); `status` reads the log.
import { definePlugin, UsageError, v } from "nsbox/plugin";
import { CRON_USAGE, cronLineCommand, STATUS_USAGE, statusCommand, TIMER_USAGE, timerCommand } from "./commands.ts";
import { runCommand, RUN_USAGE } from "./run.ts";

export default definePlugin({
  name: "updater",
  apiVersion: 1,
  version: "0.1.0",
  description: "Update checkers for cron: the host's OS read-only, only --state dirs writable, one run at a time (nsbox updater run)",
  options: v.strictObject({}),
  // A job needs its lock, timer and log, which only `nsbox updater run` provides.
  plan: () => {
    throw new UsageError("the updater runs through its commands: nsbox updater run NAME --state DIR -- COMMAND (see nsbox updater --help)");
  },
  commands: [
    {
      name: "run",
      description: "Run COMMAND once in the updater's sandbox, holding the job's lock (exit 75 when it is running already; 124 on --timeout)",
      usage: RUN_USAGE.replace(/^nsbox updater run /, ""),
      run: runCommand,
    },
    {
      name: "cron-line",
      description: "Print the crontab line that runs the job on a schedule (absolute paths, --quiet: cron mails only failures)",
      usage: CRON_USAGE.replace(/^nsbox updater cron-line /, ""),
      run: cronLineCommand,
    },
    {
      name: "timer",
      description: "Print a systemd .service and .timer pair that run the job (each starts with a comment naming its file)",
      usage: TIMER_USAGE.replace(/^nsbox updater timer /, ""),
      run: timerCommand,
    },
    {
      name: "status",
      description: "The last run of each job (time, exit status, duration) and whether one is running now (its pid)",
      usage: STATUS_USAGE.replace(/^nsbox updater status ?/, ""),
      run: statusCommand,
    },
  ],
  example: [
    "nsbox updater run apt-check --state /var/lib/apt-check --net zone:internet --timeout 30m --quiet \\",
    "  --setenv APT_CONFIG /etc/apt-check/apt.conf -- sh -c 'apt-get -qq update && apt-get -s upgrade'",
    "nsbox updater cron-line apt-check --schedule \"17 3 * * *\" --state /var/lib/apt-check -- apt-get -qq update   # for crontab -e",
    "nsbox updater status --json",
  ].join("\n"),
});
