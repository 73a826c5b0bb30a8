// THE main flow of `nsbox run`: prepare what the host side must prepare, hand the normalised
// spec to the native stage on an fd, and execve() into it. The caller (shell, cron, systemd) keeps
// this pid, gets the payload's exit status, and its signals reach the stage's supervisor directly.
import { encodeWire, type HostWire } from "../native/wire.ts";
import { stageBytes, stageExecutable } from "../native/stage.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { runSteps, type HostStep } from "./host-steps.ts";
import { sharedStage } from "./stage-install.ts";
import { logger } from "./log.ts";
import { HOST_STEPS, type HostContext } from "./prepare-host.ts";
import { frontInstalled, keepFrontEntry, type FrontLine } from "./front-entry.ts";
import { stageTraceEnv, traceFlush, tracePhase } from "./trace.ts";
import { ffiSys } from "./sys/ffi.ts";
import type { Sys } from "./sys/sys.ts";
import type { SocketSys } from "./sys/socket.ts";
import { prepareZoneNetns } from "./zone/zone-netns.ts";

const log = logger("run");

export interface ExecuteOptions {
  host?: HostWire;
  /** Record it as a sandbox (`ps`, `exec`, `gc`); not for a process joining one (`nsbox exec`). */
  record?: boolean;
  sys?: Sys;
  /** The socket calls of --publish (core/sys/socket.ts when absent). */
  sockets?: SocketSys;
  /** The plan cache's line: the front may start it next time (src/native/FRONT.md). */
  front?: FrontLine;
}

/** A zone member's network namespace, wired to the zone's bridge; the stage joins it by fd. */
const ZONE_STEP: HostStep<HostContext> = {
  name: "zone network namespace",
  prepare(ctx) {
    if (ctx.spec.network.mode !== "zone" || ctx.spec.namespaces.net.mode !== "new") return;
    const zone = prepareZoneNetns(ctx.spec);
    const { host } = ctx;
    // Host wiring only: the spec stays as planned (planning bound the zone's resolv.conf).
    ctx.host = { ...host, netns: zone.host.netns, nsFds: [...(host.nsFds ?? []), ...(zone.host.nsFds ?? [])], onExitUnlink: [...(host.onExitUnlink ?? []), ...(zone.host.onExitUnlink ?? [])] };
    return zone.undo;
  },
};

/** What `run` prepares on the host, in order: the zone's netns, then what every start needs. */
export const RUN_STEPS: readonly HostStep<HostContext>[] = [ZONE_STEP, ...HOST_STEPS];

/** Keeps the line for the front, when it is installed and can serve it; never fails the start it is part of. */
function offerToFront(line: FrontLine, ctx: HostContext, stage: string): void {
  try {
    if (!frontInstalled()) return;
    const refusal = keepFrontEntry(line, ctx.spec, ctx.host, stage);
    tracePhase(refusal ? `front: not kept: ${refusal}` : "front: entry kept");
  } catch (e) {
    log.debug(`front: entry not kept: ${(e as Error).message}`);
  }
}

export function execute(spec: NormalSpec, { host = {}, record = true, sys = ffiSys, sockets, front }: ExecuteOptions = {}): never {
  // 1. The host side: zone netns, seccomp compiled, fds handed across, recorded, cgroups made.
  const ctx: HostContext = { spec, sys, record, cgroups: record, host, sockets };
  const prepared = runSteps(RUN_STEPS, ctx);
  tracePhase("host prepared");
  try {
    // 2. The whole sandbox, as wire bytes in a sealed memfd the stage reads and closes.
    const specFd = sys.sealedMemfd("nsbox-spec", encodeWire(ctx.spec, ctx.host), { exec: false, cloexec: false });
    tracePhase("wire encoded");
    // 3. The stage from a place nobody can write; then Bun is gone (kilobytes instead of ~27 MB).
    const stage = sharedStage(ctx.spec, stageBytes) ?? stageExecutable(sys, sys.uid(), process.env);
    if (front) offerToFront(front, ctx, stage);
    tracePhase("stage ready (execve)");
    log.debug(`exec ${stage} with the spec on fd ${specFd}`);
    traceFlush();
    sys.execve(stage, ["nsbox", "--spec-fd", String(specFd)], stageTraceEnv());
  } catch (e) {
    prepared.undo();
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
