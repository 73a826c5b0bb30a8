// Records of running sandboxes: one JSON file per sandbox (by the supervisor's pid), plus a name
// file reserving its name. The stage removes both when the sandbox ends (on-exit-unlink); `gc`
// removes those a killed run left. A record is trusted only while pid and start time still match.
import { join } from "node:path";
import type { NormalSpec } from "../model/normalize.ts";
import { NsboxError } from "../base/errors.ts";
import { childrenOf, isSameProcess, startTime } from "./proc.ts";
import { existingStateDirOn, stateDirOn } from "./state-dir.ts";
import { nodeFs } from "./sys/node-fs.ts";
import type { HostFs } from "./sys/sys.ts";

export interface SandboxRecord {
  version: 1;
  /** The user's name for it, or `pid-<pid>` when it was not named. */
  name: string;
  /** The supervisor: nsbox's own pid, which the stage keeps after the exec. */
  pid: number;
  startTime: number;
  createdAt: string;
  spec: NormalSpec;
}

export interface RecordFiles {
  record: string;
  name: string;
  /** The start time of the recorded process (with its pid, names it for good). */
  startTime: number;
}

export function recordFiles(name: string, pid: number, fs: HostFs = nodeFs): Omit<RecordFiles, "startTime"> {
  return { record: join(stateDirOn(fs, "sandboxes"), `${pid}.json`), name: join(stateDirOn(fs, "names"), name) };
}

export function isRunning(r: Pick<SandboxRecord, "pid" | "startTime">, fs: Pick<HostFs, "readFile"> = nodeFs): boolean {
  return isSameProcess(r.pid, r.startTime, fs);
}

function readRecord(file: string, fs: HostFs = nodeFs): SandboxRecord | undefined {
  try {
    const r = JSON.parse(fs.readFile(file)) as SandboxRecord;
    return r.version === 1 && Number.isInteger(r.pid) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Every record on file, running or not (gc wants both). */
export function listRecords(): { file: string; record: SandboxRecord | undefined }[] {
  const dir = existingStateDirOn(nodeFs, "sandboxes");
  if (!dir) return [];
  return nodeFs.readdir(dir).filter((f) => f.endsWith(".json")).map((f) => ({ file: join(dir, f), record: readRecord(join(dir, f)) }));
}

export function runningRecords(): SandboxRecord[] {
  return listRecords().flatMap(({ record }) => (record && isRunning(record) ? [record] : []));
}

/** The running sandbox of that name, or undefined. */
export function findByName(name: string, fs: HostFs = nodeFs): SandboxRecord | undefined {
  const names = existingStateDirOn(fs, "names");
  const sandboxes = existingStateDirOn(fs, "sandboxes");
  if (!names || !sandboxes) return undefined;
  let pid: number;
  try {
    pid = Number(fs.readFile(join(names, name)));
  } catch {
    return undefined;
  }
  const r = readRecord(join(sandboxes, `${pid}.json`), fs);
  return r && r.name === name && isRunning(r, fs) ? r : undefined;
}

export function findByPid(pid: number): SandboxRecord | undefined {
  const dir = existingStateDirOn(nodeFs, "sandboxes");
  const r = dir ? readRecord(join(dir, `${pid}.json`)) : undefined;
  return r && isRunning(r) ? r : undefined;
}

/**
 * Records this process as the sandbox about to start: reserves the name (O_EXCL, so two runs
 * cannot both take it; a stale reservation of a dead sandbox is taken over), then writes the
 * record atomically. Returns the files for the stage to unlink when the sandbox ends.
 */
export function createRecord(spec: NormalSpec, name: string, pid = process.pid, fs: HostFs = nodeFs): RecordFiles {
  const start = startTime(pid, fs);
  if (start === undefined) throw new NsboxError(`cannot read the start time of pid ${pid}`);
  const files = { ...recordFiles(name, pid, fs), startTime: start };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFile(files.name, String(pid), { mode: 0o600, exclusive: true });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
      const holder = findByName(name, fs);
      if (holder) throw new NsboxError(`a sandbox named ${name} is running (pid ${holder.pid})`, 125, `stop it first: nsbox stop ${name}`);
      fs.remove(files.name); // left by a sandbox that is gone
    }
  }
  try {
    const record: SandboxRecord = { version: 1, name, pid, startTime: start, createdAt: new Date().toISOString(), spec };
    fs.writeFile(`${files.record}.tmp`, JSON.stringify(record), { mode: 0o600 });
    fs.rename(`${files.record}.tmp`, files.record);
  } catch (e) {
    // The name is reserved already: give it back, and the half-written record with it.
    fs.remove(`${files.record}.tmp`);
    fs.remove(files.name);
    throw e;
  }
  return files;
}

export function removeRecord(files: Omit<RecordFiles, "startTime">, fs: HostFs = nodeFs): void {
  fs.remove(files.record);
  fs.remove(files.name);
}

/** The sandbox's first process inside its namespaces (the init, or the payload without one). */
export function sandboxInit(r: SandboxRecord): number | undefined {
  return childrenOf(r.pid)[0];
}

/**
 * The file under /proc/INIT/ns/ of the sandbox's namespace of that kind. unshare(CLONE_NEWTIME)
 * moves only the caller's children, at their exec (time_namespaces(7)): the init stays in the
 * time namespace it was cloned in, and the sandbox's is its time_for_children (its command's).
 */
export const sandboxNsFile = (kind: string): string => (kind === "time" ? "time_for_children" : kind);

/** The process running the sandbox's command: the init's first child, or the init itself when the sandbox has none. */
export function commandPidBelow(r: SandboxRecord, init: number): number | undefined {
  return r.spec.process.init ? childrenOf(init)[0] : init;
}

/** The process running the sandbox's command; undefined while it is starting or ending. */
export function commandPid(r: SandboxRecord): number | undefined {
  const init = sandboxInit(r);
  return init === undefined ? undefined : commandPidBelow(r, init);
}
