// The host side of starting any sandbox, before the stage runs: compile the seccomp filter, hand
// declared fds across exec, record the sandbox, make its cgroups. Each thing is recorded before
// it is made; `undo` removes what was made when the start fails before the stage took over.
import { existsSync } from "node:fs";
import type { HostWire } from "../native/wire.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { createCgroups, planCgroups, readCgroupHost, removeCgroupsOf, sandboxCgroupId } from "./cgroup.ts";
import { UsageError } from "./errors.ts";
import { startTime } from "./proc.ts";
import { createRecord, removeRecord } from "./sandbox-record.ts";
import { compileSeccomp } from "./seccomp.ts";
import { prepareStateDirs } from "./state-directories.ts";
import type { Sys } from "./sys/sys.ts";

export interface PrepareOptions {
  /** What the caller adds for this run (fds to join or pass, persist mode, a joined sandbox's cgroups). */
  host?: HostWire;
  /** Record it as a running sandbox (`ps`, `exec`, `gc`). */
  record: boolean;
  /** Make cgroups for its limits (not when joining a sandbox that has them already). */
  cgroups: boolean;
  sys: Sys;
}

export interface PreparedHost {
  /** Everything the stage must do besides the spec itself. */
  host: HostWire;
  undo(): void;
}

export function prepareHost(spec: NormalSpec, { host = {}, record, cgroups, sys }: PrepareOptions): PreparedHost {
  // The system call filter first: without libseccomp the run stops here, before anything exists.
  const seccompBpf = compileSeccomp(spec.security.seccomp);
  // State directories are data: made and given to the sandbox's root, never undone.
  prepareStateDirs(spec);
  // Declared fds must reach the payload: Bun marked them close-on-exec at start-up.
  for (const fd of [...spec.process.keepFds, ...(host.nsFds ?? []), ...(host.passFds ?? [])]) {
    if (!sys.isOpen(fd)) throw new UsageError(`--keep-fd ${fd}: fd ${fd} is not open in nsbox`);
    sys.keepAcrossExec(fd);
  }
  const files = record ? createRecord(spec, spec.name ?? `pid-${process.pid}`) : undefined;
  let cgroupRecord: string | undefined;
  // Safe after the stage ran too: by then it removed the records itself.
  const undo = () => {
    if (cgroupRecord && existsSync(cgroupRecord)) removeCgroupsOf(cgroupRecord);
    if (files) removeRecord(files);
  };
  try {
    let cgroupWire = host.cgroups;
    const start = files?.startTime ?? startTime(process.pid);
    const plan = cgroups && start !== undefined ? planCgroups(spec.limits, sandboxCgroupId(process.pid, start), readCgroupHost) : undefined;
    if (plan && start !== undefined) {
      cgroupRecord = createCgroups(plan, sandboxCgroupId(process.pid, start), { pid: process.pid, startTime: start }).record;
      cgroupWire = plan.wire;
    }
    // The stage removes the records when the sandbox ends; `gc` when a killed run could not.
    const onExitUnlink = [...(host.onExitUnlink ?? []), ...(files ? [files.record, files.name] : []), ...(cgroupRecord ? [cgroupRecord] : [])];
    return { host: { ...host, cgroups: cgroupWire, onExitUnlink, seccompBpf }, undo };
  } catch (e) {
    undo();
    throw e;
  }
}
