// `exec NAME -- CMD`: a command inside a running instance under all of its restrictions. It is
// nsbox's own `nsbox exec cms-NAME -- CMD` (core/exec-into.ts: the instance's namespaces, id
// map, cgroup, capabilities, no_new_privs and seccomp filter), started as a child with this
// terminal, so the restrictions are exactly those of a later join to any sandbox.
import { constants } from "node:os";
import { PluginError, scanArgs, UsageError, type CommandContext } from "nsbox/plugin";
import { sandboxName } from "./args.ts";
import { activityOf } from "./records.ts";
import { recordOf } from "./status.ts";

export const EXEC_USAGE = "nsbox cms-isolate exec NAME -- COMMAND [ARGS...]";

export async function execCommand(args: readonly string[], ctx: CommandContext): Promise<number> {
  const s = scanArgs(args, { shape: () => undefined, words: "collect", hint: `usage: ${EXEC_USAGE}` });
  const words = s.items.flatMap((i) => (i.kind === "word" ? [i.value] : []));
  if (words.length > 1) throw new UsageError(`unexpected '${words[1]}' (the command goes after --)`, `usage: ${EXEC_USAGE}`);
  const r = recordOf(ctx, words[0], EXEC_USAGE);
  if (!s.dashdash || s.rest.length === 0) throw new UsageError("no COMMAND given after --", `usage: ${EXEC_USAGE}`);
  const now = activityOf(ctx.sandboxes, r);
  if (now?.state !== "running")
    throw new PluginError("cms-isolate", `instance ${r.name} is ${now ? `${now.state} (pid ${now.pid})` : "not running"}`, 125, now ? `see nsbox cms-isolate status ${r.name}` : `start it: nsbox cms-isolate up ${r.name} ...`);
  const child = Bun.spawn([...ctx.nsboxArgv, "exec", sandboxName(r.name), "--", ...s.rest], { stdin: "inherit", stdout: "inherit", stderr: "inherit", env: process.env });
  const code = await child.exited;
  // Killed by a signal: the shell's 128+N, as nsbox reports a payload's.
  return child.signalCode ? 128 + ((constants.signals as Record<string, number>)[String(child.signalCode)] ?? 0) : code;
}
