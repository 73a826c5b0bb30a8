// The worker's sandbox, from the caller's (ctx.base): a network namespace of its own with only
// loopback, so the only way in is the listening sockets nsbox passes (socket activation) and the
// only ways out are the unix sockets allowed by path. Pure: options and base in, spec out; what
// the caller asked for and cannot have is a UsageError (exit 2).
import { UsageError, type PluginPlanContext, type SandboxSpecInput } from "nsbox/plugin";
import { defaultFdName, type HttpdWorkerOptions } from "./options.ts";

type MountInput = NonNullable<SandboxSpecInput["mounts"]>[number];

/** The socket-activation variables plan() sets; the stage adds LISTEN_PID (only it knows the pid inside). */
export function listenEnv(options: HttpdWorkerOptions): Record<string, string> {
  const names = options.fdName ?? options.listen.map(defaultFdName);
  return { LISTEN_FDS: String(options.listen.length), LISTEN_FDNAMES: names.join(":") };
}

export function planHttpdWorker(options: HttpdWorkerOptions, ctx: PluginPlanContext): SandboxSpecInput {
  const base = ctx.base;
  const net = base.namespaces?.net;
  // The whole point is a worker with no network of its own: refuse what would give it one.
  if (base.network?.mode === "host" || net?.mode === "host")
    throw new UsageError("the server runs without a network here: --net host / --share net cannot be combined with httpd-worker");
  if (net?.mode === "join")
    throw new UsageError(`the server runs in a new network namespace with only loopback: it cannot join ${net.path}`);
  const passed = options.listen.length;
  const lowKeep = (base.process.keepFds ?? []).filter((fd) => fd < 3 + passed);
  if (lowKeep.length)
    throw new UsageError(`--keep-fd ${lowKeep.join(", ")}: fds 3 to ${2 + passed} are the listening sockets; keep fds from ${3 + passed} on`);
  // connect(2) needs write permission on the socket inode, not a writable mount (unix(7);
  // net/unix/af_unix.c unix_find_bsd checks only the inode): a read-only bind is enough, and
  // leaves the worker no way to change or replace the file through it.
  const binds: MountInput[] = options.allowUnix.map((path) => ({ kind: "bind", src: path, dst: path, readonly: true }));
  const { LISTEN_PID: _stale, ...env } = base.process.env ?? {};
  return {
    ...base,
    namespaces: { ...base.namespaces, net: { mode: "new" } },
    // `none` (not even loopback) is stricter still: kept when asked for.
    network: { ...base.network, mode: base.network?.mode === "none" ? "none" : "loopback" },
    mounts: [...(base.mounts ?? []), ...binds],
    process: { ...base.process, env: { ...env, ...listenEnv(options) } },
  };
}
