// Records of running sandboxes: one JSON file per sandbox (by the supervisor's pid), plus a name
// file reserving its name. The stage removes both when the sandbox ends (on-exit-unlink); `gc`
// removes those a killed run left. A record is trusted only while pid and start time still match.
import { closeSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { NormalSpec } from "../model/normalize.ts";
import { NsboxError } from "../base/errors.ts";
import { childrenOf, isSameProcess, startTime } from "./proc.ts";
import { existingStateDir, stateDir } from "./state-dir.ts";

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

const sandboxesDir = () => stateDir("sandboxes");
const namesDir = () => stateDir("names");

export function recordFiles(name: string, pid: number): Omit<RecordFiles, "startTime"> {
  return { record: join(sandboxesDir(), `${pid}.json`), name: join(namesDir(), name) };
}

export function isRunning(r: Pick<SandboxRecord, "pid" | "startTime">): boolean {
  return isSameProcess(r.pid, r.startTime);
}

function readRecord(file: string): SandboxRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(file, "utf8")) as SandboxRecord;
    return r.version === 1 && Number.isInteger(r.pid) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Every record on file, running or not (gc wants both). */
export function listRecords(): { file: string; record: SandboxRecord | undefined }[] {
  const dir = existingStateDir("sandboxes");
  if (!dir) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => ({ file: join(dir, f), record: readRecord(join(dir, f)) }));
}

export function runningRecords(): SandboxRecord[] {
  return listRecords().flatMap(({ record }) => (record && isRunning(record) ? [record] : []));
}

/** The running sandbox of that name, or undefined. */
export function findByName(name: string): SandboxRecord | undefined {
  const names = existingStateDir("names");
  const sandboxes = existingStateDir("sandboxes");
  if (!names || !sandboxes) return undefined;
  let pid: number;
  try {
    pid = Number(readFileSync(join(names, name), "utf8"));
  } catch {
    return undefined;
  }
  const r = readRecord(join(sandboxes, `${pid}.json`));
  return r && r.name === name && isRunning(r) ? r : undefined;
}

export function findByPid(pid: number): SandboxRecord | undefined {
  const dir = existingStateDir("sandboxes");
  const r = dir ? readRecord(join(dir, `${pid}.json`)) : undefined;
  return r && isRunning(r) ? r : undefined;
}

/**
 * Records this process as the sandbox about to start: reserves the name (O_EXCL, so two runs
 * cannot both take it; a stale reservation of a dead sandbox is taken over), then writes the
 * record atomically. Returns the files for the stage to unlink when the sandbox ends.
 */
export function createRecord(spec: NormalSpec, name: string, pid = process.pid): RecordFiles {
  const start = startTime(pid);
  if (start === undefined) throw new NsboxError(`cannot read the start time of pid ${pid}`);
  const files = { ...recordFiles(name, pid), startTime: start };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(files.name, "wx", 0o600);
      writeSync(fd, String(pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
      const holder = findByName(name);
      if (holder) throw new NsboxError(`a sandbox named ${name} is running (pid ${holder.pid})`, 125, `stop it first: nsbox stop ${name}`);
      rmSync(files.name, { force: true }); // left by a sandbox that is gone
    }
  }
  const record: SandboxRecord = { version: 1, name, pid, startTime: start, createdAt: new Date().toISOString(), spec };
  writeFileSync(`${files.record}.tmp`, JSON.stringify(record), { mode: 0o600 });
  renameSync(`${files.record}.tmp`, files.record);
  return files;
}

export function removeRecord(files: Omit<RecordFiles, "startTime">): void {
  rmSync(files.record, { force: true });
  rmSync(files.name, { force: true });
}

/** The sandbox's first process inside its namespaces (the init, or the payload without one). */
export function sandboxInit(r: SandboxRecord): number | undefined {
  return childrenOf(r.pid)[0];
}
