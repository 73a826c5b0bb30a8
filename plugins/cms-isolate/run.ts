// `nsbox cms-isolate run NAME ...`: one instance in the foreground. It returns the sandbox to the
// core, which execs into the stage: the caller (a shell, systemd, `up`) keeps the pid, gets the
// server's exit status, and its signals reach the stage's supervisor, which tears the instance
// down (processes, mounts, cgroup, the published listener) when the server ends or is killed.
import type { CommandContext, CommandRun } from "nsbox/plugin";
import { INSTANCE_USAGE, parseInstance } from "./args.ts";
import { claimInstance, planInstance, withInstancesLock } from "./instance.ts";

export const RUN_USAGE = `nsbox cms-isolate run ${INSTANCE_USAGE} [--log] [-- COMMAND...]`;

export function runCommand(args: readonly string[], ctx: CommandContext): CommandRun {
  const planned = planInstance(parseInstance(args, RUN_USAGE), ctx);
  // This process owns the start: it keeps its pid (and start time) through the exec into the
  // stage. Released before that exec (the lock's fd is close-on-exec as well).
  withInstancesLock(ctx, () => claimInstance(planned, ctx, () => ({ pid: process.pid })));
  return { spec: planned.spec };
}
