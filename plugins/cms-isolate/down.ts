// `down NAME | --all`: stops the instance (stop.ts), or the run that is starting it, and removes
// everything nsbox made for it (the stage removes its mounts, cgroup, listener and the core's
// records as the supervisor ends; this removes the instance's record, log and php.ini
// additions). The data dir is never touched.
import { flagsOf, PluginError, scanArgs, UsageError, type CommandContext } from "nsbox/plugin";
import { withInstancesLock } from "./instance.ts";
import { iniDirOf, removeIniDir } from "./php-ini.ts";
import { activityOf, listRecords, readRecord, removeLog, removeRecord } from "./records.ts";
import { recordOf } from "./status.ts";
import { stopSupervisor } from "./stop.ts";

export const DOWN_USAGE = "nsbox cms-isolate down NAME|--all";

/** Stops one instance and removes what belongs to it; returns how it ended. */
export async function downInstance(ctx: CommandContext, name: string): Promise<string> {
  // Running: its supervisor. Starting: the run that owns the start (Bun, or the stage once it
  // exec'd), which would otherwise come up after its record is gone.
  const now = activityOf(ctx.sandboxes, { name, owner: readRecord(ctx.state, name)?.owner });
  const how = now ? await stopSupervisor(now.pid, "owner" in now ? now.owner.startTime : undefined) : "not running";
  withInstancesLock(ctx, () => {
    // Claimed again meanwhile (an up or run that came after this down): the record is its own now.
    const again = activityOf(ctx.sandboxes, { name, owner: readRecord(ctx.state, name)?.owner });
    if (again) throw new PluginError("cms-isolate", `instance ${name} is ${again.state} again (pid ${again.pid}) after this down stopped it; nothing was removed`, 125, `run nsbox cms-isolate down ${name} again`);
    removeRecord(ctx.state, name); // and the owner it names with it
    removeLog(ctx.state, name);
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
