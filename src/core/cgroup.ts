// The sandbox's cgroups: memory, pids and cpu limits for the whole sandbox. cgroup v2 is used
// wherever it is mounted and holds the controller (the stage clones straight into it with
// CLONE_INTO_CGROUP); on hybrid hosts where a controller is still bound to a v1 hierarchy, that
// hierarchy is used instead (the stage moves the child in before releasing it). Either way no
// process of the sandbox ever runs outside its limits. Dirs are recorded before they are made.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { NormalSpec } from "../model/normalize.ts";
import type { HostWire } from "../native/wire.ts";
import { NsboxError } from "../base/errors.ts";
import { parseMountinfo, type MountInfo } from "./mountinfo.ts";
import { isSameProcess } from "./proc.ts";
import { existingStateDir, stateDirOn } from "./state-dir.ts";
import { nodeFs } from "./sys/node-fs.ts";
import type { HostFs } from "./sys/sys.ts";

type Controller = "memory" | "pids" | "cpu";
const CPU_PERIOD = 100_000;

export interface CgroupDir {
  path: string;
  version: 1 | 2;
  /** Files written after mkdir, in order; `optional` ones may be missing (e.g. swap accounting off). */
  files: { name: string; value: string; optional?: boolean }[];
}

export interface CgroupPlan {
  dirs: CgroupDir[];
  /** v2 parents whose cgroup.subtree_control must enable these controllers first. */
  enable: { dir: string; controllers: Controller[] }[];
  wire: NonNullable<HostWire["cgroups"]>;
}

export interface CgroupHost {
  mounts: MountInfo[];
  /** Controllers listed in the v2 root's cgroup.controllers. */
  v2Controllers: ReadonlySet<string>;
}

export function readCgroupHost(fs: HostFs = nodeFs): CgroupHost {
  const mounts = parseMountinfo(fs.readFile("/proc/self/mountinfo"));
  const v2 = mounts.find((m) => m.fstype === "cgroup2");
  const controllers = v2 ? fs.readFile(join(v2.mountPoint, "cgroup.controllers")).trim().split(/\s+/) : [];
  return { mounts, v2Controllers: new Set(controllers) };
}

export function limitControllers(limits: NormalSpec["limits"]): Controller[] {
  return [
    ...(limits.memory !== undefined ? ["memory" as const] : []),
    ...(limits.pids !== undefined ? ["pids" as const] : []),
    ...(limits.cpuQuota !== undefined ? ["cpu" as const] : []),
  ];
}

function limitFiles(c: Controller, version: 1 | 2, limits: NormalSpec["limits"]): CgroupDir["files"] {
  switch (c) {
    case "memory":
      return version === 2
        ? [{ name: "memory.max", value: String(limits.memory) }, { name: "memory.swap.max", value: "0", optional: true }]
        : [{ name: "memory.limit_in_bytes", value: String(limits.memory) }, { name: "memory.memsw.limit_in_bytes", value: String(limits.memory), optional: true }];
    case "pids":
      return [{ name: "pids.max", value: String(limits.pids) }];
    case "cpu":
      return version === 2
        ? [{ name: "cpu.max", value: `${limits.cpuQuota} ${CPU_PERIOD}` }]
        : [{ name: "cpu.cfs_period_us", value: String(CPU_PERIOD) }, { name: "cpu.cfs_quota_us", value: String(limits.cpuQuota) }];
  }
}

const FLAG = { memory: "--memory", pids: "--pids", cpu: "--cpu" } as const;

function watchesFor(c: Controller, dir: string, version: 1 | 2, limits: NormalSpec["limits"]): CgroupPlan["wire"]["watch"] {
  if (c === "memory") {
    const file = join(dir, version === 2 ? "memory.events" : "memory.oom_control");
    return [{ file, key: "oom_kill", message: `a process was killed at the memory limit (--memory ${limits.memory} bytes)` }];
  }
  if (c === "pids") return [{ file: join(dir, "pids.events"), key: "max", message: `fork was refused at the process limit (--pids ${limits.pids})` }];
  return [];
}

/** Where each wanted controller lives and what to write there. Pure, given the host's layout. */
export function planCgroups(limits: NormalSpec["limits"], id: string, readHost: CgroupHost | (() => CgroupHost)): CgroupPlan | undefined {
  const controllers = limitControllers(limits);
  if (controllers.length === 0) return undefined;
  // Read the host's layout only for a sandbox that has limits: most runs need none of it.
  const host = typeof readHost === "function" ? readHost() : readHost;
  const v2 = host.mounts.find((m) => m.fstype === "cgroup2");
  const plan: CgroupPlan = { dirs: [], enable: [], wire: { join: [], watch: [], remove: [] } };
  const inV2 = controllers.filter((c) => v2 && host.v2Controllers.has(c));
  if (v2 && inV2.length > 0) {
    const parent = join(v2.mountPoint, "nsbox");
    const path = join(parent, id);
    plan.enable.push({ dir: v2.mountPoint, controllers: inV2 }, { dir: parent, controllers: inV2 });
    plan.dirs.push({ path, version: 2, files: inV2.flatMap((c) => limitFiles(c, 2, limits)) });
    plan.wire = { ...plan.wire, cloneInto: path, watch: inV2.flatMap((c) => watchesFor(c, path, 2, limits)) };
  }
  for (const c of controllers.filter((x) => !inV2.includes(x))) {
    // A v1 hierarchy names its controllers in its super options (`rw,memory`).
    const v1 = host.mounts.find((m) => m.fstype === "cgroup" && m.superOptions.split(",").includes(c));
    if (!v1) throw new NsboxError(`${FLAG[c]} needs the ${c} cgroup controller, which this host has neither in cgroup v2 nor in a v1 hierarchy`, 125, "see nsbox check");
    const path = join(v1.mountPoint, "nsbox", id);
    plan.dirs.push({ path, version: 1, files: limitFiles(c, 1, limits) });
    plan.wire.join = [...plan.wire.join, path];
    plan.wire.watch = [...plan.wire.watch, ...watchesFor(c, path, 1, limits)];
  }
  plan.wire.remove = plan.dirs.map((d) => d.path);
  return plan;
}

// ---- making and removing them ------------------------------------------------------------

export interface CgroupRecord {
  version: 1;
  /** The sandbox (supervisor pid and start time) the dirs belong to. */
  pid: number;
  startTime: number;
  dirs: string[];
}

function enableControllers(dir: string, controllers: Controller[], fs: HostFs): void {
  const enabled = fs.readFile(join(dir, "cgroup.subtree_control")).trim().split(/\s+/);
  const missing = controllers.filter((c) => !enabled.includes(c));
  if (missing.length > 0) fs.writeFile(join(dir, "cgroup.subtree_control"), missing.map((c) => `+${c}`).join(" "));
}

export function removeCgroupDirs(dirs: readonly string[], fs: HostFs = nodeFs): void {
  for (const dir of [...dirs].reverse()) if (fs.exists(dir)) fs.rmdir(dir);
}

/** Records, then makes the dirs and writes the limits; undoes everything on failure. */
export function createCgroups(plan: CgroupPlan, id: string, owner: { pid: number; startTime: number }, fs: HostFs = nodeFs, uid = process.getuid!()): { record: string } {
  if (uid !== 0) {
    throw new NsboxError("cgroup limits need root", 125, "delegated cgroup v2 subtrees for rootless use are not supported yet");
  }
  const record = join(stateDirOn(fs, "cgroups"), `${id}.json`);
  const data: CgroupRecord = { version: 1, ...owner, dirs: plan.dirs.map((d) => d.path) };
  fs.writeFile(record, JSON.stringify(data), { mode: 0o600 });
  const made: string[] = [];
  try {
    for (const e of plan.enable) {
      fs.mkdir(e.dir, { recursive: true });
      enableControllers(e.dir, e.controllers, fs);
    }
    for (const d of plan.dirs) {
      fs.mkdir(d.path, { recursive: true });
      made.push(d.path);
      for (const f of d.files) {
        const file = join(d.path, f.name);
        if (f.optional && !fs.exists(file)) continue;
        fs.writeFile(file, f.value);
      }
    }
  } catch (e) {
    removeCgroupDirs(made, fs);
    fs.remove(record);
    throw new NsboxError(`cgroup setup failed: ${(e as Error).message}`, 125);
  }
  return { record };
}

/** The cgroup dir name of a sandbox: its supervisor's pid and start time, unique for good. */
export function sandboxCgroupId(pid: number, startTime: number): string {
  return `${pid}-${startTime}`;
}

/** Undoes createCgroups from its record (a run that failed before the stage took over). */
export function removeCgroupsOf(recordPath: string, fs: HostFs = nodeFs): void {
  try {
    removeCgroupDirs((JSON.parse(fs.readFile(recordPath)) as CgroupRecord).dirs, fs);
  } finally {
    fs.remove(recordPath);
  }
}

/** Cgroup records whose sandbox is gone (gc). */
export function staleCgroupRecords(): { file: string; record: CgroupRecord }[] {
  const dir = existingStateDir("cgroups");
  if (!dir) return [];
  const out: { file: string; record: CgroupRecord }[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    try {
      const record = JSON.parse(readFileSync(file, "utf8")) as CgroupRecord;
      if (!isSameProcess(record.pid, record.startTime)) out.push({ file, record });
    } catch {
      // a record being written right now, or garbage: not ours to judge
    }
  }
  return out;
}

/**
 * The parents some cgroup record names a dir in: its sandbox may be about to make that dir (the
 * record is written first). Undefined while a record cannot be read (one being written).
 */
function recordedParents(): Set<string> | undefined {
  const parents = new Set<string>();
  const dir = existingStateDir("cgroups");
  for (const name of dir ? readdirSync(dir) : []) {
    try {
      for (const d of (JSON.parse(readFileSync(join(dir!, name), "utf8")) as CgroupRecord).dirs) parents.add(dirname(d));
    } catch {
      return undefined;
    }
  }
  return parents;
}

/**
 * The `nsbox` parent dirs (in cgroup v2 and every v1 hierarchy) that hold no sandbox cgroup any
 * more and no process: left by a sandbox that ended, harmless, but not ours to keep forever.
 * A parent a cgroup record names is kept (its sandbox may be about to make its dir there).
 */
export function emptyNsboxCgroupParents(): string[] {
  const recorded = recordedParents();
  if (!recorded) return [];
  const mounts = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")).filter((m) => m.fstype === "cgroup2" || m.fstype === "cgroup");
  return mounts
    .map((m) => join(m.mountPoint, "nsbox"))
    .filter((dir) => !recorded.has(dir))
    .filter((dir) => {
      try {
        const children = readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory());
        return !children && readFileSync(join(dir, "cgroup.procs"), "utf8").trim() === "";
      } catch {
        return false;
      }
    });
}
