// The host side of starting any sandbox, before the stage runs: compile the seccomp filter, open
// the --publish listeners, make the state directories, open --log's directory, hand declared fds across exec, record the
// sandbox, make its cgroups. An ordered list of steps over the Sys seam (host-steps.ts): each is
// recorded before it is made, and a start that fails before the stage took over undoes the steps
// done, in reverse.
import type { HostWire } from "../native/wire.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { createCgroups, planCgroups, readCgroupHost, removeCgroupsOf, sandboxCgroupId } from "./cgroup.ts";
import { UsageError } from "../base/errors.ts";
import { runSteps, type HostStep } from "./host-steps.ts";
import { startTime } from "./proc.ts";
import { createRecord, removeRecord } from "./sandbox-record.ts";
import { compileSeccomp } from "./seccomp.ts";
import { prepareStateDirs } from "./state-directories.ts";
import { exposedBinds } from "./bind-sources.ts";
import type { Sys } from "./sys/sys.ts";
import type { SocketSys } from "./sys/socket.ts";
import { openPublishListeners } from "./publish-listeners.ts";
import { openOutputLog } from "./output-log.ts";

export interface PrepareOptions {
  /** What the caller adds for this run (fds to join or pass, persist mode, a joined sandbox's cgroups). */
  host?: HostWire;
  /** Record it as a running sandbox (`ps`, `exec`, `gc`). */
  record: boolean;
  /** Make cgroups for its limits (not when joining a sandbox that has them already). */
  cgroups: boolean;
  sys: Sys;
  /** The socket calls of --publish (core/sys/socket.ts when absent). */
  sockets?: SocketSys;
}

export interface PreparedHost {
  /** Everything the stage must do besides the spec itself. */
  host: HostWire;
  undo(): void;
}

/** What the steps read and fill in: the spec as it will run, and the host's part of the wire. */
export interface HostContext {
  spec: NormalSpec;
  sys: Sys;
  record: boolean;
  cgroups: boolean;
  host: HostWire;
  /** The socket calls of --publish (core/sys/socket.ts when absent). */
  sockets?: SocketSys;
  /** This process's start time once read: with its pid, it names the sandbox for good. */
  startTime?: number;
}

/** Files the stage removes when the sandbox ends; `gc` when a killed run could not. */
const unlinkOnExit = (ctx: HostContext, ...files: string[]) => {
  ctx.host = { ...ctx.host, onExitUnlink: [...(ctx.host.onExitUnlink ?? []), ...files] };
};

export const HOST_STEPS: readonly HostStep<HostContext>[] = [
  {
    // First: without libseccomp the run stops here, before anything exists.
    name: "seccomp filter",
    prepare(ctx) {
      ctx.host = { ...ctx.host, seccompBpf: compileSeccomp(ctx.spec.security.seccomp) };
    },
  },
  {
    // Early: a port in use is a likely failure, and nothing else exists yet to undo. Opened here,
    // in nsbox's own network namespace: the stage's supervisor relays them into the sandbox's.
    name: "published ports",
    prepare(ctx) {
      if (!ctx.spec.network.publish?.length) return;
      const listeners = openPublishListeners(ctx.spec.network.publish, ctx.sockets);
      // Bun marks fds close-on-exec: these must reach the stage (which keeps them from the sandbox).
      for (const { fd } of listeners.wire) ctx.sys.keepAcrossExec(fd);
      ctx.host = { ...ctx.host, publish: listeners.wire };
      return listeners.close;
    },
  },
  {
    // State directories are data: made and given to the sandbox's root, never undone.
    name: "state directories",
    prepare(ctx) {
      prepareStateDirs(ctx.spec, ctx.sys.uid());
    },
  },
  {
    // After the state directories: the log may be kept in one. The supervisor writes the file.
    name: "output log",
    prepare(ctx) {
      if (!ctx.spec.process.log) return;
      const log = openOutputLog(ctx.spec.process.log);
      ctx.sys.keepAcrossExec(log.wire.dir);
      ctx.host = { ...ctx.host, log: log.wire };
      return log.close;
    },
  },
  {
    // After the state directories (a bind may lie below one just given to a range), at every
    // start: who may write a directory on a bind's way changes without the spec changing.
    name: "bind sources",
    prepare(ctx) {
      const exposed = exposedBinds(ctx.spec, ctx.sys.uid());
      if (exposed.length) ctx.host = { ...ctx.host, noSymlinkBinds: exposed };
    },
  },
  {
    // Declared fds must reach the payload: Bun marked them close-on-exec at start-up.
    name: "declared fds",
    prepare({ spec, host, sys }) {
      for (const fd of [...spec.process.keepFds, ...(host.nsFds ?? []), ...(host.passFds ?? [])]) {
        if (!sys.isOpen(fd)) throw new UsageError(`--keep-fd ${fd}: fd ${fd} is not open in nsbox`);
        sys.keepAcrossExec(fd);
      }
    },
  },
  {
    name: "sandbox record",
    prepare(ctx) {
      if (!ctx.record) return;
      const files = createRecord(ctx.spec, ctx.spec.name ?? `pid-${process.pid}`, process.pid, ctx.sys.fs);
      ctx.startTime = files.startTime;
      unlinkOnExit(ctx, files.record, files.name);
      return () => removeRecord(files, ctx.sys.fs);
    },
  },
  {
    name: "cgroups",
    prepare(ctx) {
      const { fs } = ctx.sys;
      const start = ctx.startTime ?? startTime(process.pid, fs);
      if (!ctx.cgroups || start === undefined) return;
      const id = sandboxCgroupId(process.pid, start);
      const plan = planCgroups(ctx.spec.limits, id, () => readCgroupHost(fs));
      if (!plan) return;
      const { record } = createCgroups(plan, id, { pid: process.pid, startTime: start }, fs, ctx.sys.uid());
      ctx.host = { ...ctx.host, cgroups: plan.wire };
      unlinkOnExit(ctx, record);
      // Safe after the stage ran too: by then it removed the record itself.
      return () => {
        if (fs.exists(record)) removeCgroupsOf(record, fs);
      };
    },
  },
];

export function prepareHost(spec: NormalSpec, { host = {}, record, cgroups, sys, sockets }: PrepareOptions): PreparedHost {
  const ctx: HostContext = { spec, sys, record, cgroups, host, sockets };
  const { undo } = runSteps(HOST_STEPS, ctx);
  return { host: ctx.host, undo };
}
