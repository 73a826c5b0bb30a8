// `nsbox httpd-worker run`: plans the worker's sandbox from the run options and the plugin's own
// flags, checks the allowed unix sockets, then has the core open the listening sockets in
// nsbox's network namespace. It returns the sandbox and the fds to pass (CommandRun); the core
// checks the sandbox and execs into it, the fds becoming 3, 4, ... (WIRE.md pass-fd).
import * as v from "valibot";
import type { CommandContext, CommandRun } from "../../src/plugin/define.ts";
import type { SandboxSpecInput } from "../../src/model/schema.ts";
import { formatIssue, planSpec } from "../../src/model/plan.ts";
import { NsboxError, UsageError } from "../../src/core/errors.ts";
import { groupId, openListeners } from "../../src/core/listen-sockets.ts";
import { parseListenAddress, type ListenAddress } from "../../src/core/sockaddr.ts";
import { checkAllowedSocket, hostId } from "../../src/core/unix-socket-access.ts";
import { applyLogFlags } from "../../src/cli/log-flags.ts";
import { PROFILE_FLAG } from "../../src/cli/sandbox-command.ts";
import { splitWorkerArgs } from "./args.ts";
import { HttpdWorkerOptions } from "./options.ts";
import { planHttpdWorker } from "./plan.ts";

export const RUN_USAGE =
  "nsbox httpd-worker run --listen ADDR [--listen ADDR...] [--allow-unix PATH...] [--fd-name NAME...] [--socket-mode MODE] [--socket-group GROUP] [run options] -- SERVER [ARGS...]";

/** The sandbox the run options describe, with the server as its command: plan()'s ctx.base. */
function baseFromArgs(args: readonly string[], ctx: CommandContext): SandboxSpecInput {
  const { spec, command } = ctx.sandbox(args);
  if (command.length === 0) throw new UsageError("no server command given", `usage: ${RUN_USAGE}`);
  return { ...spec, process: { ...spec.process, argv: command } };
}

function parseMode(text: string | undefined): number {
  if (text === undefined) return 0o660;
  if (!/^[0-7]{3,4}$/.test(text) || Number.parseInt(text, 8) > 0o777) throw new UsageError(`--socket-mode: '${text}' is not a mode from 000 to 777 (octal)`);
  return Number.parseInt(text, 8);
}

function parseGroup(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const gid = groupId(text);
  if (gid === undefined) throw new UsageError(`--socket-group: '${text}' is neither a gid nor a group in /etc/group`);
  return gid;
}

/** The `run` command: a sandbox for the core to run (checked, then exec'd), and the fds to pass. */
export function runCommand(args: readonly string[], ctx: CommandContext): CommandRun {
  const { flags, rest } = splitWorkerArgs(args, [PROFILE_FLAG], RUN_USAGE);
  applyLogFlags(flags);
  const base = baseFromArgs(rest, ctx);
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
    throw new NsboxError(`plan() failed: ${(e as Error).message}`);
  }
  const planned = planSpec(input, ctx.plan);
  if (!planned.ok) throw new UsageError(`${formatIssue(planned.issues[0]!)}${planned.issues.length > 1 ? ` (and ${planned.issues.length - 1} more)` : ""}`);
  const spec = planned.spec;
  const mode = parseMode(flags.get("socket-mode")?.[0]);
  const gid = parseGroup(flags.get("socket-group")?.[0]);

  // The worker connects as its host uid/gid: say now if the socket would refuse it.
  const userns = spec.namespaces.user.mode === "new";
  const host = { uid: userns ? hostId(spec.users.uidMap, spec.users.uid) : spec.users.uid, gid: userns ? hostId(spec.users.gidMap, spec.users.gid) : spec.users.gid };
  const overrides = spec.security.capabilities.includes("CAP_DAC_OVERRIDE");
  for (const path of options.allowUnix) {
    const warning = checkAllowedSocket(path, "--allow-unix", host);
    if (warning && !overrides) ctx.log.warn(warning);
  }

  // Last: every usage problem is found before a socket or a socket file exists.
  const addresses = options.listen.map((text) => parseListenAddress(text) as ListenAddress);
  const listeners = openListeners(addresses, { mode, gid });
  return { spec: input, passFds: listeners.map((l) => l.fd) };
}
