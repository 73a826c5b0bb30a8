// THE flow of `nsbox selftest`: the spec `run` would build, with the probe program as its command
// (a sealed memfd passed with keep-fd, exec'ed as /proc/self/fd/N), prepared on the host exactly
// as execute() prepares a run (filter, cgroups), but the stage is spawned as a child so this
// process stays to watch from outside; then a verdict per probe. Everything made is removed.
import { closeSync } from "node:fs";
import { stageExecutable } from "../../native/stage.ts";
import { probeBytes, probeMemfd } from "../../native/probe.ts";
import { encodeWire } from "../../native/wire.ts";
import type { NormalSpec } from "../../model/normalize.ts";
import { payloadHostIds } from "../../model/payload-ids.ts";
import { NsboxError } from "../../base/errors.ts";
import { logger } from "../log.ts";
import { childrenOf } from "../proc.ts";
import { prepareHost } from "../prepare-host.ts";
import { ffiSys } from "../sys/ffi.ts";
import type { Sys } from "../sys/sys.ts";
import { prepareFixtures, type Fixtures } from "./fixtures.ts";
import { parseProbeLine, type ProbeLine } from "./probe-report.ts";
import { judgeAll, type ProbeVerdict } from "./probes.ts";

const log = logger("selftest");

/** The whole run, probes and holds, must be done by then (it takes well under a second). */
const TIMEOUT_MS = 20_000;

/** The lowest fds from 3 up that are not in `taken`. */
export function freeFds(taken: readonly number[], count: number): number[] {
  const out: number[] = [];
  for (let fd = 3; out.length < count; fd++) if (!taken.includes(fd)) out.push(fd);
  return out;
}

/**
 * The spec of the selftest: the user's sandbox, with the probe program as its command and the
 * fixtures the probes must see (`visibleDir`) bound in read-only at their own path: a root mode
 * that hides them would make the permission and read-only probes pass for the wrong reason.
 */
export function probeSpec(spec: NormalSpec, probeFd: number, probeArgs: readonly string[], visibleDir?: string): NormalSpec {
  const see = visibleDir !== undefined && spec.namespaces.mnt.mode === "new";
  return {
    ...spec,
    mounts: see ? [...spec.mounts, { kind: "bind", src: visibleDir, dst: visibleDir, readonly: true, optional: false, devices: false }] : spec.mounts,
    process: { ...spec.process, argv: [`/proc/self/fd/${probeFd}`, "run", ...probeArgs], keepFds: [...spec.process.keepFds, probeFd] },
  };
}

/** Every process under `pid`, deepest last. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const child of childrenOf(pid)) out.push(child, ...descendants(child));
  return out;
}

/** Reads the probe's lines as they come, lets the host look at each hold, then acknowledges it. */
async function converse(stage: Bun.Subprocess<"pipe", "pipe", "pipe">, fx: Fixtures): Promise<Map<string, ProbeLine>> {
  const results = new Map<string, ProbeLine>();
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stage.stdout) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = parseProbeLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      if (!line) continue;
      log.debug(`probe: ${line.kind} ${line.name} ${JSON.stringify(line.fields)}`);
      if (line.kind === "probe") results.set(line.name, line);
      if (line.kind === "hold") {
        // A failed look leaves that observation empty (the verdict falls back to the probe's
        // word or to CONTAINED on its failure); the probe must be released either way.
        await fx.observeHold(line, stage.pid).catch((e: Error) => log.debug(`selftest: looking at ${line.name}: ${e.message}`));
        stage.stdin.write("\n");
        await stage.stdin.flush();
      }
    }
  }
  return results;
}

export interface SelftestOutcome {
  verdicts: ProbeVerdict[];
  /** The stage's exit status (the probe program's, passed through). */
  exitCode: number;
}

export async function runSelftest(spec: NormalSpec, sys: Sys = ffiSys): Promise<SelftestOutcome> {
  const userFds = spec.process.keepFds;
  const [childSpecFd, childProbeFd] = freeFds(userFds, 2) as [number, number];
  const opened: number[] = [];
  let fx: Fixtures | undefined;
  // As execute() prepares a run: the filter compiled first (no filter, no run), fds checked, and
  // cgroups made, so limits apply to the probes as they would to the payload. Not recorded.
  const prepared = prepareHost(spec, { record: false, cgroups: true, sys });
  try {
    const probeFd = probeMemfd(sys);
    opened.push(probeFd);
    // The target runs as the payload's host ids; overflow ids where a joined namespace decides.
    const ids = payloadHostIds(spec);
    fx = await prepareFixtures({ probeFd, probeBytes: probeBytes(), hostUid: ids.uid ?? 65534, hostGid: ids.gid ?? 65534 });
    const probing = probeSpec(spec, childProbeFd, fx.probeArgs, fx.visibleDir);
    const host = prepared.host;
    const specFd = sys.sealedMemfd("nsbox-spec", encodeWire(probing, host), { exec: false, cloexec: true });
    opened.push(specFd);
    // The child execs the stage through our fd table, like runStage does.
    const stagePath = stageExecutable(sys, process.getuid!(), process.env, `/proc/${process.pid}`);

    const top = Math.max(childSpecFd, childProbeFd, ...userFds);
    const stdio: (number | "pipe" | "ignore")[] = ["pipe", "pipe", "pipe", ...Array<"ignore">(top - 2).fill("ignore")];
    stdio[childSpecFd] = specFd;
    stdio[childProbeFd] = probeFd;
    for (const fd of userFds) stdio[fd] = fd;
    const stage = Bun.spawn([stagePath, "--spec-fd", String(childSpecFd)], {
      argv0: "nsbox",
      stdio: stdio as ["pipe", "pipe", "pipe"],
    });
    const timer = setTimeout(() => {
      log.warn(`selftest: the probes did not finish in ${TIMEOUT_MS / 1000} s; stopping them`);
      for (const pid of descendants(stage.pid).reverse()) process.kill(pid, "SIGKILL");
      stage.kill("SIGKILL");
    }, TIMEOUT_MS);
    let results: Map<string, ProbeLine>;
    let stderr: string;
    try {
      [results, stderr] = await Promise.all([converse(stage, fx), new Response(stage.stderr).text()]);
      await stage.exited;
    } finally {
      clearTimeout(timer);
    }
    const exitCode = stage.exitCode ?? 125;
    if (results.size === 0) {
      throw new NsboxError(`selftest: the sandbox did not run the probes (exit ${exitCode})${stderr.trim() ? `: ${stderr.trim().replace(/^nsbox: /, "")}` : ""}`);
    }
    if (stderr.trim()) log.debug(`selftest: stage said: ${stderr.trim()}`);
    fx.observeAfter();
    return { verdicts: judgeAll(results, fx.obs), exitCode };
  } finally {
    await fx?.cleanup();
    // The stage removes its cgroups when it ends; this is for a run that never got that far.
    prepared.undo();
    for (const fd of opened) closeSync(fd);
  }
}
