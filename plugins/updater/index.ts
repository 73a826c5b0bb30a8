// updater: package-manager update checks for cron and systemd timers, each in a sandbox that sees
// the host's OS read-only and may write only its state directories. `run` supervises one run
// (a kernel lock per job, a timeout, chronic-like --quiet, a log line); `status` reads the log.
import { definePlugin, v } from "nsbox/plugin";
import { runCommand, RUN_USAGE } from "./run.ts";

export default definePlugin({
  name: "updater",
  apiVersion: 1,
  version: "0.1.0",
  description: "Update checkers for cron: the host's OS read-only, only --state dirs writable, one run at a time (nsbox updater run)",
  options: v.strictObject({}),
  plan: (_options, ctx) => ctx.base,
  commands: [
    {
      name: "run",
      description: "Run COMMAND once in the updater's sandbox, holding the job's lock (exit 75 when it is running already; 124 on --timeout)",
      usage: RUN_USAGE.replace(/^nsbox updater run /, ""),
      run: runCommand,
    },
  ],
  example: [
    "nsbox updater run apt-check --state /var/lib/apt-check --net zone:internet --timeout 30m --quiet \\",
    "  --setenv APT_CONFIG /etc/apt-check/apt.conf -- sh -c 'apt-get -qq update && apt-get -s upgrade'",
  ].join("\n"),
});
