// httpd-worker: a network server with no network. nsbox opens the listening sockets in the
// host's network namespace and hands them down by socket activation (sd_listen_fds(3)) to a
// server in a strict sandbox whose network namespace has only loopback: clients reach it, it
// reaches nothing but the unix sockets allowed by path.
import { definePlugin } from "nsbox/plugin";
import { checkCommand, CHECK_USAGE } from "./check.ts";
import { HttpdWorkerOptions } from "./options.ts";
import { planHttpdWorker } from "./plan.ts";
import { runCommand, RUN_USAGE } from "./run.ts";

export default definePlugin({
  name: "httpd-worker",
  apiVersion: 1,
  version: "0.1.0",
  description: "A socket-activated server with no network: nsbox listens, the server only accepts (nsbox httpd-worker run)",
  options: HttpdWorkerOptions,
  plan: planHttpdWorker,
  commands: [
    {
      name: "run",
      description: "Open the listening sockets, then run SERVER in a sandbox with only loopback, the sockets on fds 3, 4, ... (LISTEN_FDS)",
      usage: RUN_USAGE.replace(/^nsbox httpd-worker run /, ""),
      run: runCommand,
    },
    {
      name: "check",
      description: "Audit a running worker: the fds it holds, its network namespace, interfaces and routes (exit 1 on a finding)",
      usage: CHECK_USAGE.replace(/^nsbox httpd-worker check /, ""),
      run: checkCommand,
    },
  ],
  example: [
    "# lighttpd.conf: server.systemd-socket-activation = \"enable\", server.port = 8080",
    "nsbox httpd-worker run --listen 127.0.0.1:8080 --listen [::1]:8080 \\",
    "  --allow-unix /run/postgresql/.s.PGSQL.5432 --ro-bind /srv/www /srv/www --name web \\",
    "  -- lighttpd -D -f /etc/lighttpd/worker.conf",
    "nsbox httpd-worker check web    # fds, namespace, routes; exit 1 on a finding",
  ].join("\n"),
});
