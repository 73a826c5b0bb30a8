// THE main flow of `nsbox run`: prepare what the host side must prepare, hand the normalised
// spec to the native stage on an fd, and execve() into it. The caller (shell, cron, systemd) keeps
// this pid, gets the payload's exit status, and its signals reach the stage's supervisor directly.
import { encodeWire, type HostWire } from "../native/wire.ts";
import { stageExecutable } from "../native/stage.ts";
import type { NormalSpec } from "../spec/normalize.ts";
import { UsageError } from "./errors.ts";
import { logger } from "./log.ts";
import { createRecord, removeRecord } from "./sandbox-record.ts";
import { compileSeccomp } from "./seccomp.ts";
import { createCgroups, planCgroups, readCgroupHost, removeCgroupsOf, sandboxCgroupId } from "./cgroup.ts";
import { ffiSys } from "./sys/ffi.ts";
import type { Sys } from "./sys/sys.ts";

const log = logger("run");

/** Declared fds must reach the payload: Bun marked them close-on-exec at start-up. */
function passFds(fds: readonly number[], sys: Sys): void {
  for (const fd of fds) {
    if (!sys.isOpen(fd)) throw new UsageError(`--keep-fd ${fd}: fd ${fd} is not open in nsbox`);
    sys.keepAcrossExec(fd);
  }
}

export interface ExecuteOptions {
  host?: HostWire;
  /** Record it as a sandbox (`ps`, `exec`, `gc`); not for a process joining one (`nsbox exec`). */
  record?: boolean;
  sys?: Sys;
}

export function execute(spec: NormalSpec, { host = {}, record = true, sys = ffiSys }: ExecuteOptions = {}): never {
  // 0. The system call filter first: without libseccomp the run stops here, before anything exists.
  const seccompBpf = compileSeccomp(spec.security.seccomp);
  passFds([...spec.process.keepFds, ...(host.nsFds ?? []), ...(host.passFds ?? [])], sys);
  // 1. Recorded before it exists, so `ps`, `exec` and `gc` know it; the stage unlinks the
  //    record when the sandbox ends, `gc` when a killed run could not.
  const files = record ? createRecord(spec, spec.name ?? `pid-${process.pid}`) : undefined;
  let cgroupRecord: string | undefined;
  try {
    // 2. Its cgroups, limits written before the first process exists (recorded for gc).
    let cgroups = host.cgroups;
    const cgPlan = files ? planCgroups(spec.limits, sandboxCgroupId(process.pid, files.startTime), readCgroupHost) : undefined;
    if (cgPlan && files) {
      cgroupRecord = createCgroups(cgPlan, sandboxCgroupId(process.pid, files.startTime), { pid: process.pid, startTime: files.startTime }).record;
      cgroups = cgPlan.wire;
    }
    // 3. The whole sandbox, as wire bytes in a sealed memfd the stage reads and closes.
    const unlink = [...(host.onExitUnlink ?? []), ...(files ? [files.record, files.name] : []), ...(cgroupRecord ? [cgroupRecord] : [])];
    const wire = encodeWire(spec, { ...host, cgroups, onExitUnlink: unlink, seccompBpf });
    const specFd = sys.sealedMemfd("nsbox-spec", wire, { exec: false, cloexec: false });
    // 4. The stage from a place nobody can write; then Bun is gone (kilobytes instead of ~27 MB).
    const stage = stageExecutable(sys, process.getuid!(), process.env);
    log.debug(`exec ${stage} with the spec on fd ${specFd}`);
    sys.execve(stage, ["nsbox", "--spec-fd", String(specFd)], []);
  } catch (e) {
    if (cgroupRecord) removeCgroupsOf(cgroupRecord);
    if (files) removeRecord(files);
    throw e;
  }
  throw new Error("unreachable: execve returned");
}

/**
 * Runs the stage as a child and waits for it, for one-shot host work (persisting namespaces)
 * that nsbox must finish or undo itself. Returns the stage's exit status and its stderr.
 */
export function runStage(spec: NormalSpec, host: HostWire, sys: Sys = ffiSys): { code: number; stderr: string } {
  const specFd = sys.sealedMemfd("nsbox-spec", encodeWire(spec, host), { exec: false, cloexec: true });
  // The child execs the stage through our fd table (/proc/<our pid>/fd/N) and gets the spec as fd 3.
  const stage = stageExecutable(sys, process.getuid!(), process.env, `/proc/${process.pid}`);
  const r = Bun.spawnSync([stage, "--spec-fd", "3"], { argv0: "nsbox", stdio: ["ignore", "inherit", "pipe", specFd] });
  return { code: r.exitCode ?? 125, stderr: r.stderr?.toString() ?? "" };
}
