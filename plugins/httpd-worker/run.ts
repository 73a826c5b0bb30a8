// `nsbox httpd-worker run`: plans the worker's sandbox from the run options and the plugin's own
// flags, checks the allowed unix sockets, then has nsbox open the listening sockets in its own
// network namespace (ctx.sockets). It returns the sandbox and the fds to pass (CommandRun); the
// core checks the sandbox and execs into it, the fds becoming 3, 4, ... (WIRE.md pass-fd).
import { formatIssue, PluginError, UsageError, v, type CommandContext, type CommandRun, type SandboxSpecInput } from "nsbox/plugin";
import { WORKER_FLAGS, workerFlags } from "./args.ts";
import { HttpdWorkerOptions } from "./options.ts";
import { planHttpdWorker } from "./plan.ts";

export const RUN_USAGE =
  "nsbox httpd-worker run --listen ADDR [--listen ADDR...] [--allow-unix PATH...] [--fd-name NAME...] [--socket-mode MODE] [--socket-group GROUP] [run options] -- SERVER [ARGS...]";

function parseMode(text: string | undefined): number {
  if (text === undefined) return 0o660;
  if (!/^[0-7]{3,4}$/.test(text) || Number.parseInt(text, 8) > 0o777) throw new UsageError(`--socket-mode: '${text}' is not a mode from 000 to 777 (octal)`);
  return Number.parseInt(text, 8);
}

function parseGroup(text: string | undefined, ctx: CommandContext): number | undefined {
  if (text === undefined) return undefined;
  const gid = ctx.sockets.groupId(text);
  if (gid === undefined) throw new UsageError(`--socket-group: '${text}' is neither a gid nor a group in /etc/group`);
  return gid;
}

/** The `run` command: a sandbox for the core to run (checked, then exec'd), and the fds to pass. */
export function runCommand(args: readonly string[], ctx: CommandContext): CommandRun {
  // The run options, with the server as the command: plan()'s ctx.base.
  const { spec, command, flags: found } = ctx.sandbox(args, { flags: WORKER_FLAGS });
  const flags = workerFlags(found, RUN_USAGE);
  if (command.length === 0) throw new UsageError("no server command given", `usage: ${RUN_USAGE}`);
  const base: SandboxSpecInput = { ...spec, process: { ...spec.process, argv: command } };
  const parsed = v.safeParse(HttpdWorkerOptions, { listen: flags.get("listen") ?? [], allowUnix: flags.get("allow-unix") ?? [], fdName: flags.get("fd-name") });
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new UsageError(`${formatIssue({ message: issue.message, path: v.getDotPath(issue) ?? "" })}`, `usage: ${RUN_USAGE}`);
  }
  const options = parsed.output;
  let input: SandboxSpecInput;
  try {
    input = planHttpdWorker(options, { ...ctx.plan, base });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new PluginError("httpd-worker", `plan() failed: ${(e as Error).message}`);
  }
  // The spec nsbox will run (the same pipeline as `nsbox plan`), for the host ids it maps to.
  const planned = ctx.normalize(input);
  const mode = parseMode(flags.get("socket-mode")?.[0]);
  const gid = parseGroup(flags.get("socket-group")?.[0], ctx);

  // The worker connects as its host uid/gid: say now if the socket would refuse it.
  const overrides = planned.security.capabilities.includes("CAP_DAC_OVERRIDE");
  for (const path of options.allowUnix) {
    const warning = ctx.sockets.connectProblem(path, "--allow-unix", planned);
    if (warning && !overrides) ctx.log.warn(warning);
  }

  // Last: every usage problem is found before a socket or a socket file exists.
  return { spec: input, passFds: ctx.sockets.open(options.listen, { mode, gid }) };
}
