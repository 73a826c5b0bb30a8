// `httpd-worker run`'s own flags, taken out of a command line that also holds run options:
// theirs repeat and keep order (`--listen A --listen B` are fds 3 and 4), which the run-option
// parser's extra flags do not. Values of run options are skipped by their arity, so
// `--setenv X --listen` stays a setenv.
import { UsageError } from "../../src/core/errors.ts";
import { findSandboxOption } from "../../src/cli/sandbox-options.ts";

export interface WorkerFlag {
  name: string;
  /** The value's placeholder; undefined for a switch. */
  arg?: string;
  help: string;
  repeatable: boolean;
}

export const WORKER_FLAGS: readonly WorkerFlag[] = [
  { name: "listen", arg: "ADDR", help: "listen on 127.0.0.1:PORT, [::1]:PORT or unix:/PATH for the server (repeatable: fds 3, 4, ...)", repeatable: true },
  { name: "allow-unix", arg: "PATH", help: "let the server connect to this host unix socket (bound at the same path; repeatable)", repeatable: true },
  { name: "fd-name", arg: "NAME", help: "LISTEN_FDNAMES entry of the matching --listen (repeatable; default: the address)", repeatable: true },
  { name: "socket-mode", arg: "MODE", help: "permissions of unix sockets nsbox creates for --listen (octal, default 0660: owner and group may connect)", repeatable: false },
  { name: "socket-group", arg: "GROUP", help: "group of those unix sockets (a name or gid; e.g. the reverse proxy's)", repeatable: false },
  { name: "quiet", help: "print errors only", repeatable: false },
  { name: "verbose", help: "print each step", repeatable: false },
];

export interface SplitArgs {
  flags: Map<string, string[]>;
  /** Everything else, in order: run options, extra flags, `--` and the command. */
  rest: string[];
}

/** Other flags this command passes on (extra flags of the run parser) and how many values they take. */
export function splitWorkerArgs(args: readonly string[], otherFlags: readonly { name: string; args: readonly string[] }[], usage: string): SplitArgs {
  const flags = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === "--" || !token.startsWith("--")) {
      rest.push(...args.slice(i));
      break;
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq > 0 ? eq : undefined);
    const own = WORKER_FLAGS.find((f) => f.name === name);
    if (own && own.arg === undefined) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`, `usage: ${usage}`);
      flags.set(name, []);
      continue;
    }
    if (own) {
      const value = eq > 0 ? token.slice(eq + 1) : args[++i];
      if (value === undefined || value === "--") throw new UsageError(`--${name} needs a value (${own.arg})`, `usage: ${usage}`);
      if (!own.repeatable && flags.has(name)) throw new UsageError(`--${name} is given twice`, `usage: ${usage}`);
      flags.set(name, [...(flags.get(name) ?? []), value]);
      continue;
    }
    // Not ours: copy it with as many values as it takes (unknown ones are the run parser's to refuse).
    const takes = findSandboxOption(name)?.args.length ?? otherFlags.find((f) => f.name === name)?.args.length ?? 0;
    const arity = Math.max(0, takes - (eq > 0 ? 1 : 0)); // `--bind=SRC DST`: the first value is inline
    rest.push(...args.slice(i, i + 1 + arity));
    i += arity;
  }
  return { flags, rest };
}
