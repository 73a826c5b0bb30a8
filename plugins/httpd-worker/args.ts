// `httpd-worker run`'s own flags. They stand among the run options and are read with them, in one
// pass of nsbox's tokenizer (ctx.sandbox with these shapes): theirs repeat and keep order
// (`--listen A --listen B` are fds 3 and 4), and a run option's value is never read as one of
// them (`--setenv X --listen` stays a setenv).
import { UsageError, type ArgFlag, type OwnFlag } from "nsbox/plugin";

export interface WorkerFlag extends OwnFlag {
  help: string;
  repeatable: boolean;
}

export const WORKER_FLAGS: readonly WorkerFlag[] = [
  { name: "listen", args: ["ADDR"], help: "listen on 127.0.0.1:PORT, [::1]:PORT or unix:/PATH for the server (repeatable: fds 3, 4, ...)", repeatable: true },
  { name: "allow-unix", args: ["PATH"], help: "let the server connect to this host unix socket (bound at the same path; repeatable)", repeatable: true },
  { name: "fd-name", args: ["NAME"], help: "LISTEN_FDNAMES entry of the matching --listen (repeatable; default: the address)", repeatable: true },
  { name: "socket-mode", args: ["MODE"], help: "permissions of unix sockets nsbox creates for --listen (octal, default 0660: owner and group may connect)", repeatable: false },
  { name: "socket-group", args: ["GROUP"], help: "group of those unix sockets (a name or gid; e.g. the reverse proxy's)", repeatable: false },
];

/** The worker flags found, by name, values in order; a single-use flag given twice is a UsageError. */
export function workerFlags(found: readonly ArgFlag[], usage: string): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (const f of found) {
    const own = WORKER_FLAGS.find((w) => w.name === f.name);
    if (!own) continue;
    if (!own.repeatable && flags.has(f.name)) throw new UsageError(`--${f.name} is given twice`, `usage: ${usage}`);
    flags.set(f.name, [...(flags.get(f.name) ?? []), ...f.values]);
  }
  return flags;
}
