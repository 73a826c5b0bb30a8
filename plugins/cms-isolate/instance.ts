// One instance from its parsed description to the sandbox nsbox runs: the host checks, the
// sandbox from run options (the same pipeline as `nsbox run`), its host ids, and what is written
// before it starts (the php.ini additions, the record). Shared by `run` and `up`.
import type { CommandContext, SandboxSpecInput } from "nsbox/plugin";
import type { Instance } from "./args.ts";
import { checkCodeDir, checkCommand, checkDataOwner, checkDataPath, checkLimits, checkNotRunning, checkPortFree, hostIdsOf, type HostIds } from "./checks.ts";
import { iniDirOf, writeIniDir } from "./php-ini.ts";
import { readRecord, sameConfig, writeRecord } from "./records.ts";
import { sandboxArgs, withSessionDir } from "./sandbox-args.ts";

export interface PlannedInstance {
  instance: Instance;
  spec: SandboxSpecInput;
  ids: HostIds;
  iniDir: string | undefined;
}

/** Checks everything and plans the sandbox; makes nothing. */
export function planInstance(i: Instance, ctx: CommandContext): PlannedInstance {
  checkLimits(i, ctx.plan.uid);
  checkDataPath(i.data, i.code);
  checkDataOwner(ctx, i);
  const iniDir = i.phpIni.length ? iniDirOf(i.name, ctx.plan.uid, ctx.state.dir) : undefined;
  const spec = withSessionDir(ctx.sandbox(sandboxArgs(i, iniDir)).spec);
  // The ids the instance's root maps to on the host: its name's range (root), or the caller.
  const ids = hostIdsOf(ctx.normalize(spec));
  checkCodeDir(i.code, ids);
  checkCommand(i);
  checkNotRunning(ctx, i.name);
  checkPortFree(i.listen);
  return { instance: i, spec, ids, iniDir };
}

/** Writes what the instance needs before it starts: its php.ini additions and its record. */
export function prepareInstance(p: PlannedInstance, ctx: CommandContext): void {
  if (p.iniDir) writeIniDir(p.iniDir, p.instance.phpIni, ctx.plan.uid === 0 ? p.ids.gids[0]?.start : undefined);
  const before = readRecord(ctx.state, p.instance.name);
  if (before && !sameConfig(before, p.instance)) ctx.log.info(`instance ${p.instance.name}: its recorded settings are replaced by the ones given now`);
  writeRecord(ctx.state, p.instance);
}
