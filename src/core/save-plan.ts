// `nsbox plan --save FILE`: the sandbox as an executable file that starts with the installed
// stage alone (no nsbox, no Bun). Only a sandbox that needs nothing prepared on the host at each
// start can be saved: cgroups, records, zones, published ports and plugins' host work happen in
// nsbox, which a saved plan does not run, and a plan must never start a weaker sandbox than `run`
// would.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { machine, release } from "node:os";
import { dirname, resolve } from "node:path";
import type { NormalSpec } from "../model/normalize.ts";
import { encodeWire } from "../native/wire.ts";
import { encodeSavedPlan } from "../native/saved-plan.ts";
import { stageBytes } from "../native/stage.ts";
import { limitControllers } from "./cgroup.ts";
import { UsageError } from "../base/errors.ts";
import { compileSeccomp } from "./seccomp.ts";
import { identityFields } from "./file-deps.ts";
import { exposedBinds } from "./bind-sources.ts";
import { assertGuardedDirs, verifiedStageFile } from "./stage-install.ts";

export interface SaveOptions {
  file: string;
  stagePath: string;
  version: string;
  appendArgs: boolean;
  /** A plugin planned this sandbox. */
  plugin: boolean;
}

/** What a saved plan cannot carry, as the flag that asked for it; undefined when it can be saved. */
export function unsavable(spec: NormalSpec, plugin: boolean): string | undefined {
  if (plugin) return "--plugin (plugins may prepare the host at each start)";
  const cgroups = limitControllers(spec.limits);
  if (cgroups.length) return `a ${cgroups.join("/")} limit (its cgroup is made at each start)`;
  if (spec.name !== undefined) return "--name (a named sandbox is recorded at each start for ps, exec and stop)";
  if (spec.network.mode === "zone") return "a zone (its network is wired at each start)";
  if (spec.network.publish?.length) return "--publish (its listening sockets are opened at each start)";
  if (spec.process.log) return "--log (its directory is opened at each start)";
  if (spec.mounts.some((m) => m.kind === "bind" && m.state)) return "--state (a state directory is made and given to the sandbox at each start)";
  return undefined;
}

/** The host facts a plan is bound to: the stage refuses it on any other kernel or machine. */
export function kernelFact(): string {
  return `${release()} ${machine()}`;
}

export function savePlan(spec: NormalSpec, o: SaveOptions): void {
  const why = unsavable(spec, o.plugin);
  if (why) throw new UsageError(`plan --save: a saved plan cannot carry ${why}`, "use nsbox run for this sandbox");
  const stage = verifiedStageFile(o.stagePath, stageBytes());
  const file = resolve(o.file);
  // The stage refuses a plan in a directory others can write: say so now, not at its first start.
  assertGuardedDirs(dirname(file), "plan --save", { owner: process.getuid!(), strict: false });
  // Who may write a bind's way is read once, here: a directory given to another uid later is
  // not noticed by the plan (docs/ids.md).
  const noSymlinkBinds = exposedBinds(spec, process.getuid!());
  const wire = encodeWire(spec, { seccompBpf: compileSeccomp(spec.security.seccomp), ...(noSymlinkBinds.length ? { noSymlinkBinds } : {}) });
  const bytes = encodeSavedPlan({ stagePath: o.stagePath, nsboxVersion: o.version, stageSha256: stage.sha256, stageFile: identityFields(stage.file), kernel: kernelFact(), appendArgs: o.appendArgs }, wire);
  // Written whole under a temporary name, then renamed: a start never sees half a plan.
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "wx", 0o700);
  try {
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}
