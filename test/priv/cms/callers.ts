// Who runs nsbox in the cms-isolate scenarios and the benchmark: root (dist/nsbox), or nobody
// with no subordinate ids, running a copy of it with its own config, state and runtime dirs.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Sh {
  code: number | null;
  stdout: string;
  stderr: string;
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function sh(argv: string[], timeout = 30_000): Sh {
  const r = Bun.spawnSync(argv, { stdin: "ignore", timeout, env: { PATH } });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export interface Caller {
  who: "root" | "nobody";
  uid: number;
  /** argv prefix that runs nsbox as this caller. */
  argv: string[];
  /** Where this caller's nsbox keeps records of running sandboxes (its runtime state root). */
  runtimeRoot: string;
  /** Where plugins keep their state (cms-isolate's instance definitions and logs under it). */
  pluginStateRoot: string;
  nsbox(args: string[], timeout?: number): Sh;
}

/** root; plugin state in `stateDir` (NSBOX_STATE_DIR) instead of the host's /var/lib/nsbox. */
export function rootCaller(nsbox: string, stateDir: string): Caller {
  const argv = ["env", `NSBOX_STATE_DIR=${stateDir}`, nsbox];
  return { who: "root", uid: 0, argv, runtimeRoot: "/run/nsbox", pluginStateRoot: stateDir, nsbox: (args, t) => sh([...argv, ...args], t) };
}

/** nobody, with a copy of nsbox and its own dirs under `home` (made here, 0755, dirs owned by nobody). */
export function nobodyCaller(nsbox: string, home: string): Caller {
  mkdirSync(home, { mode: 0o755 });
  chmodSync(home, 0o755);
  copyFileSync(nsbox, join(home, "nsbox"));
  chmodSync(join(home, "nsbox"), 0o755);
  for (const d of ["run", "lib", "cfg"]) {
    mkdirSync(join(home, d), { mode: 0o700 });
    sh(["chown", "65534:65534", join(home, d)]);
  }
  const argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", `PATH=${PATH}`, `XDG_RUNTIME_DIR=${home}/run`, `XDG_STATE_HOME=${home}/lib`, `XDG_CONFIG_HOME=${home}/cfg`, join(home, "nsbox")];
  return { who: "nobody", uid: 65534, argv, runtimeRoot: join(home, "run/nsbox"), pluginStateRoot: join(home, "lib/nsbox"), nsbox: (args, t) => sh([...argv, ...args], t) };
}

/** Polls `cond` until it holds; fails, saying what was awaited, after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await Bun.sleep(10);
  }
}

export const alive = (pid: number): boolean => {
  try {
    // A zombie is dead for our purposes (its parent has not reaped it yet).
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};

/** pid's descendants, depth first (through every thread's children list). */
export function descendantsOf(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {}
  return kids.flatMap((c) => [c, ...descendantsOf(c)]);
}

export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Whether a TCP connection to 127.0.0.1:port is accepted (in this process's network namespace). */
export async function accepts(port: number, host = "127.0.0.1"): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: host, port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}
