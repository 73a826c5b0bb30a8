// cms-isolate: instances of a PHP web application (a CMS such as DokuWiki) that cannot see,
// read, write or signal each other. Each runs in its own user (its own id range), mount, PID,
// IPC, UTS, cgroup and network namespaces on the `os` root: the code read-only and shared, its
// data dir its own, private /tmp, /var/tmp and sessions, no capabilities, no_new_privs, the
// default seccomp filter. The host reaches it at --listen, which nsbox publishes into it.
import { definePlugin, UsageError, v } from "nsbox/plugin";
import { DEFAULT_MEMORY, DEFAULT_PIDS } from "./args.ts";
import { DOWN_USAGE, downCommand } from "./down.ts";
import { EXEC_USAGE, execCommand } from "./exec.ts";
import { LOGS_USAGE, logsCommand } from "./logs.ts";
import { DEFAULT_LOG_MAX, LogMax } from "./log-max.ts";
import { RUN_USAGE, runCommand } from "./run.ts";
import { LS_USAGE, lsCommand, STATUS_USAGE, statusCommand } from "./status.ts";
import { UNIT_USAGE, unitCommand } from "./unit.ts";
import { UP_USAGE, upCommand } from "./up.ts";

const strip = (usage: string, command: string) => usage.replace(new RegExp(`^nsbox cms-isolate ${command} ?`), "");

export default definePlugin({
  name: "cms-isolate",
  apiVersion: 1,
  version: "0.1.0",
  description: "PHP CMS instances that cannot see each other: one sandbox per instance, the code shared read-only, its data its own (nsbox cms-isolate up)",
  options: v.strictObject({}),
  // The operator's default for every instance without a --log-max of its own.
  config: v.strictObject({
    "log-max": v.optional(v.pipe(LogMax, v.description(`most bytes of output an instance's log keeps on disk, NAME.log and NAME.log.1 together (default ${DEFAULT_LOG_MAX})`))),
  }),
  // An instance needs its record, log, listener and checks, which only the commands provide.
  plan: () => {
    throw new UsageError("cms-isolate runs through its commands: nsbox cms-isolate up NAME --code DIR --data DIR --listen ADDR:PORT (see nsbox cms-isolate --help)");
  },
  commands: [
    {
      name: "run",
      description: `Run one instance in the foreground (for systemd units and scripts); the server's exit status is nsbox's. Limits: --memory (default ${DEFAULT_MEMORY}), --pids (default ${DEFAULT_PIDS}); 'none' turns one off (needed rootless). Default COMMAND: php -S 127.0.0.1:PORT -t CODE ([::1]:PORT for an IPv6 --listen): the server listens on the instance's loopback at the port of --listen. --log: its output to the instance's log as up keeps it`,
      usage: strip(RUN_USAGE, "run"),
      run: runCommand,
    },
    {
      name: "up",
      description: `Start one instance in the background and return once it listens. Its output goes to its log, written by nsbox and rotated (NAME.log, NAME.log.1) so both stay under --log-max (default ${DEFAULT_LOG_MAX}; for all instances: nsbox plugin add cms-isolate --set log-max=SIZE). The default server is PHP's built-in one; for production run php-fpm behind a web server: -- php-fpm8.2 -F -O -R -y /etc/cms/NAME.conf (pool: listen = 127.0.0.1:PORT, clear_env = no; [global] error_log = /dev/null, -O logs to stderr). PHP's built-in server and php-fpm need nothing beyond nsbox's default seccomp filter`,
      usage: strip(UP_USAGE, "up"),
      run: upCommand,
    },
    { name: "ls", description: "The instances: name, state, pid, listen address, host uids, memory, uptime (--json)", usage: strip(LS_USAGE, "ls"), run: lsCommand },
    { name: "status", description: "One instance: state, pids, listen address, directories, host uids, memory and limits, network, command", usage: strip(STATUS_USAGE, "status"), run: statusCommand },
    { name: "logs", description: "The server's output as up kept it, NAME.log.1 then NAME.log (--follow: as it comes, across rotations, until the instance is removed)", usage: strip(LOGS_USAGE, "logs"), run: logsCommand },
    { name: "exec", description: "Run a command inside a running instance under all of its restrictions (nsbox exec cms-NAME)", usage: strip(EXEC_USAGE, "exec"), run: execCommand },
    { name: "down", description: "Stop an instance (SIGTERM, SIGKILL after 10s) and remove everything nsbox made for it; its data dir stays", usage: strip(DOWN_USAGE, "down"), run: downCommand },
    { name: "unit", description: "Print the systemd template unit nsbox-cms@.service and the instance's settings file (/etc/nsbox/cms/NAME.env)", usage: strip(UNIT_USAGE, "unit"), run: unitCommand },
  ],
  example: [
    "nsbox cms-isolate up wiki-a --code /usr/share/dokuwiki --data /srv/wiki-a --listen 127.0.0.1:8081",
    "nsbox cms-isolate up wiki-b --code /usr/share/dokuwiki --data /srv/wiki-b --listen 127.0.0.1:8082 --php-ini upload_max_filesize=8M",
    "nsbox cms-isolate ls",
    "nsbox cms-isolate exec wiki-a -- ls -la /srv/wiki-a",
    "nsbox cms-isolate down --all    # the data dirs stay",
    "# production: php-fpm behind nginx or Apache; /etc/cms/wiki-a.conf (visible inside: /etc is the host's, read-only):",
    "#   [global]  error_log = /dev/null       (-O sends the log to stderr: nsbox cms-isolate logs)",
    "#   [wiki-a]  listen = 127.0.0.1:9001   pm = static   pm.max_children = 4   clear_env = no   (CMS_NAME, CMS_DATA)",
    "# -R: the pool runs as the instance's root, an unprivileged host range with no capabilities (it cannot switch to www-data)",
    "nsbox cms-isolate up wiki-a --code /usr/share/dokuwiki --data /srv/wiki-a --listen 127.0.0.1:9001 -- php-fpm8.2 -F -O -R -y /etc/cms/wiki-a.conf",
  ].join("\n"),
});
