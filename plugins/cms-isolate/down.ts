// `down NAME | --all`: stops the instance (stop.ts) and removes everything nsbox made for it (the
// stage removes its mounts, cgroup, listener and the core's records as the supervisor ends;
// this removes the instance's record, log and php.ini additions). The data dir is never touched.
import { flagsOf, scanArgs, UsageError, type CommandContext } from "nsbox/plugin";
import { withInstancesLock } from "./instance.ts";
import { iniDirOf, removeIniDir } from "./php-ini.ts";
import { findInstance, listRecords, logKey, removeRecord } from "./records.ts";
import { recordOf } from "./status.ts";
import { stopSupervisor } from "./stop.ts";

export const DOWN_USAGE = "nsbox cms-isolate down NAME|--all";

/** Stops one instance and removes what belongs to it; returns how it ended. */
export async function downInstance(ctx: CommandContext, name: string): Promise<string> {
  const found = findInstance(ctx.sandboxes, name);
  const how = found ? await stopSupervisor(found.pid) : "not running";
  withInstancesLock(ctx, () => {
    // Started again meanwhile (an `up` that came after this down): its record is its own now.
    if (findInstance(ctx.sandboxes, name)) throw new Error(`instance ${name} is running (again) after SIGTERM and SIGKILL; nothing was removed`);
    removeRecord(ctx.state, name);
    ctx.state.remove(logKey(name));
    removeIniDir(iniDirOf(name, ctx.plan.uid, ctx.state.dir));
  });
  return how;
}

export async function downCommand(args: readonly string[], ctx: CommandContext): Promise<number> {
  const s = scanArgs(args, { shape: (n) => (n === "all" ? { args: [] } : undefined), words: "collect", hint: `usage: ${DOWN_USAGE}` });
  const words = s.items.flatMap((i) => (i.kind === "word" ? [i.value] : []));
  const all = flagsOf(s).length > 0;
  if (s.rest.length || words.length > 1 || (all && words.length)) throw new UsageError(`give one instance NAME or --all`, `usage: ${DOWN_USAGE}`);
  const names = all ? listRecords(ctx.state).map((r) => r.name) : [recordOf(ctx, words[0], DOWN_USAGE).name];
  // In parallel: each waits on its own supervisor.
  const results = await Promise.all(names.map(async (name) => `${name} down (${await downInstance(ctx, name)})`));
  if (results.length) ctx.stdout(`${results.join("\n")}\n`);
  return 0;
}
