// The host facts an instance must not start against, each refused with one line before anything
// is made: a code dir the instance could write (or that its id range owns), a data dir that is
// a symlink or has one on its path, a data dir another instance has, a name that is running (or
// that another process is starting or stopping), a port in use, php missing, and limits a
// rootless caller cannot have. Exit 2 for the caller's choice of input, 125 for the host's state.
import { existsSync, lstatSync, realpathSync, statSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { PluginError, UsageError, type CommandContext, type NormalSpec } from "nsbox/plugin";
import type { Instance } from "./args.ts";
import { isMe } from "./owner.ts";
import { activityOf, listRecords, readRecord } from "./records.ts";
import { SANDBOX_PATH } from "./sandbox-args.ts";

const fail = (message: string, hint?: string) => new PluginError("cms-isolate", message, 125, hint);

/** The host ids an instance's ids map to: [first, count] ranges of uids and of gids. */
export interface HostIds {
  uids: { start: number; count: number }[];
  gids: { start: number; count: number }[];
}

export function hostIdsOf(spec: NormalSpec): HostIds {
  const ranges = (m: NormalSpec["users"]["uidMap"]) => m.map((r) => ({ start: r.outside, count: r.count }));
  return { uids: ranges(spec.users.uidMap), gids: ranges(spec.users.gidMap) };
}

const inRanges = (id: number, ranges: HostIds["uids"]) => ranges.some((r) => id >= r.start && id < r.start + r.count);

/** Why the instance could change `st` (a directory of the code path), or undefined. */
export function writableBy(st: Pick<Stats, "uid" | "gid" | "mode">, ids: HostIds, isCodeDir: boolean): string | undefined {
  if (inRanges(st.uid, ids.uids)) return `it belongs to host uid ${st.uid}, in the instance's own id range`;
  if (inRanges(st.gid, ids.gids) && st.mode & 0o020) return `its group, host gid ${st.gid}, is the instance's and may write it`;
  // A sticky world-writable parent (/tmp) lets nobody rename what they do not own; the code dir
  // itself must not be world-writable at all.
  if (st.mode & 0o002 && (isCodeDir || !(st.mode & 0o1000))) return `it is writable by everyone (mode ${(st.mode & 0o7777).toString(8)})`;
  return undefined;
}

/** The code dir and every directory above it, up to /: none may be the instance's to change. */
export function checkCodeDir(code: string, ids: HostIds): void {
  let st: Stats;
  try {
    st = statSync(code);
  } catch {
    throw new UsageError(`--code ${code}: no such directory`);
  }
  if (!st.isDirectory()) throw new UsageError(`--code ${code}: not a directory`);
  const real = realpathSync(code);
  for (let dir = real; ; dir = dirname(dir)) {
    const why = writableBy(statSync(dir), ids, dir === real);
    if (why) {
      const where = dir === real ? `--code ${code}` : `--code ${code}: ${dir} above it`;
      throw new UsageError(`${where}: ${why}; the code must be read-only to the instance`, "give the code to root (chown -R root:root, chmod -R go-w) or another user");
    }
    if (dir === "/") break;
  }
}

/** No symlink anywhere on the data dir's path (it is given to the instance: the path must mean what it says). */
export function checkDataPath(data: string, code: string): void {
  let path = "";
  for (const part of data.slice(1).split("/")) {
    path = `${path}/${part}`;
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      return; // the rest is created by nsbox (--state), below a path already checked
    }
    if (st.isSymbolicLink()) throw new UsageError(`--data ${data}: ${path === data ? "it" : path} is a symlink; give the real path`);
    if (!st.isDirectory()) throw new UsageError(`--data ${data}: ${path} is not a directory`);
  }
  // The code path may lead through symlinks: compare the real one too.
  const realCode = realpathSync(code);
  if (realCode === data || data.startsWith(`${realCode}/`) || realCode.startsWith(`${data}/`))
    throw new UsageError(`--data ${data} and --code ${code} (${realCode}) overlap: the code must stay read-only; keep them apart`);
}

const nested = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/**
 * Another recorded instance's data dir (running or not: its files belong to its range) is
 * neither this one's data (it would be given away) nor its code (the other could rewrite it).
 */
export function checkDataOwner(ctx: CommandContext, i: Instance): void {
  const others = listRecords(ctx.state).filter((r) => r.name !== i.name);
  const data = others.find((r) => nested(r.data, i.data));
  if (data)
    throw new UsageError(`--data ${i.data}: instance ${data.name} has ${data.data} as its data dir`, `give each instance its own data dir (or remove ${data.name}: nsbox cms-isolate down ${data.name})`);
  const real = existsSync(i.code) ? realpathSync(i.code) : i.code;
  const code = others.find((r) => nested(r.data, i.code) || nested(r.data, real));
  if (code) throw new UsageError(`--code ${i.code}: it overlaps instance ${code.name}'s data dir ${code.data}, which ${code.name} may write`, "the code must be read-only to every instance");
}

const NOT_NOW_HINT = {
  running: (name: string) => `stop it first: nsbox cms-isolate down ${name}`,
  starting: (name: string) => `see nsbox cms-isolate status ${name}; to stop it: nsbox cms-isolate down ${name}`,
  stopping: () => "wait for it to end, then start it again",
};

/**
 * Nothing of the instance is there now: no running sandbox, and no other process starting it (a
 * claim naming this very process is its own: the run that `up` claimed the instance for).
 */
export function checkNotRunning(ctx: CommandContext, name: string): void {
  const now = activityOf(ctx.sandboxes, { name, owner: readRecord(ctx.state, name)?.owner });
  if (!now || (now.state !== "running" && isMe(now.owner))) return;
  throw fail(`instance ${name} is ${now.state} (pid ${now.pid})`, NOT_NOW_HINT[now.state](name));
}

/** The host's ADDR:PORT is free: nsbox must be able to listen there. */
export function checkPortFree(listen: string): void {
  const m = /^\[?(.*?)\]?:([0-9]+)$/.exec(listen)!;
  try {
    const probe = Bun.listen({ hostname: m[1]!, port: Number(m[2]), socket: { data() {} } });
    probe.stop(true);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw fail(`--listen ${listen}: the port is in use on the host`, "choose another port, or stop what listens there (ss -ltnp)");
    throw fail(`--listen ${listen}: cannot listen there (${code ?? (e as Error).message})`);
  }
}

/** The server's program exists on the sandbox's PATH (the host's OS is what the `os` root shows). */
export function checkCommand(i: Instance): void {
  const program = i.command[0]!;
  const found = program.includes("/") ? existsSync(program) : SANDBOX_PATH.split(":").some((d) => existsSync(join(d, program)));
  if (found) return;
  if (i.defaultCommand || /^php[0-9.]*$/.test(program))
    throw fail(`${program} is not installed (the default server is PHP's built-in one)`, "install it: apt-get install php-cli");
  if (/^php-fpm/.test(program)) throw fail(`${program} is not installed`, "install it: apt-get install php-fpm");
  throw fail(`${program}: command not found in ${SANDBOX_PATH}`);
}

/** nsbox makes cgroups only as root: a rootless caller opts out of the limits explicitly. */
export function checkLimits(i: Instance, uid: number): void {
  if (uid === 0 || (i.memory === "none" && i.pids === "none")) return;
  throw fail(
    "memory and process limits need root: nsbox makes cgroups only as root (rootless cgroup delegation is not supported yet)",
    "run it as root, or pass --memory none --pids none to run this instance without limits",
  );
}
