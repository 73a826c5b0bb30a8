// Who runs nsbox in the cms-isolate scenarios and the benchmark: root (dist/nsbox), or nobody
// with no subordinate ids, running a copy of it with its own config, state and runtime dirs.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMountinfo } from "../../../src/core/mountinfo.ts";
import { sh, type Sh } from "../net-fixtures/lib.ts";

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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
  return { who: "root", uid: 0, argv, runtimeRoot: "/run/nsbox", pluginStateRoot: stateDir, nsbox: (args, t = 40_000) => sh([...argv, ...args], t) };
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
  return { who: "nobody", uid: 65534, argv, runtimeRoot: join(home, "run/nsbox"), pluginStateRoot: join(home, "lib/nsbox"), nsbox: (args, t = 40_000) => sh([...argv, ...args], t) };
}

export const alive = (pid: number): boolean => {
  try {
    // A zombie is dead for our purposes (its parent has not reaped it yet).
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};

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

/**
 * The host paths of the cgroup dirs nsbox made for PID (those named under an `nsbox` parent), in
 * cgroup v2 and in every v1 hierarchy (/proc/PID/cgroup: "ID:CONTROLLERS:PATH"; the mount of each
 * hierarchy from this process's mountinfo).
 */
export function nsboxCgroupDirs(pid: number): string[] {
  const mounts = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"));
  return readFileSync(`/proc/${pid}/cgroup`, "utf8")
    .trim()
    .split("\n")
    .flatMap((line) => {
      const [id, controllers, path] = line.split(/:(.*?):/s) as [string, string, string];
      if (!path?.includes("nsbox")) return [];
      const mount =
        id === "0"
          ? mounts.find((m) => m.fstype === "cgroup2")
          : mounts.find((m) => m.fstype === "cgroup" && controllers.split(",").some((c) => m.superOptions.split(",").includes(c)));
      return mount ? [join(mount.mountPoint, path)] : [];
    });
}

/** Files under `root` whose path or content names `name` (an instance's records, logs, ini files). */
export function filesNaming(root: string, name: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => {
      try {
        return f.includes(name) || readFileSync(f, "utf8").includes(name);
      } catch {
        return false;
      }
    });
}
