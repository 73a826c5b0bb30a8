// `nsbox explain [OPTIONS] -- COMMAND`: the effective isolation of the sandbox `run` would build
// (spec/explain.ts), as text or --json. `nsbox explain NAME|--pid PID`: the same for a running
// sandbox, then its live process compared with its spec; exit 1 when it drifted (a verdict, as
// with selftest), 0 when it did not.
import { EXIT, NsboxError, UsageError } from "../core/errors.ts";
import { inspectSandbox, type SandboxInspection } from "../core/sandbox-inspect.ts";
import { findByName, findByPid, type SandboxRecord } from "../core/sandbox-record.ts";
import { explainSpec, formatExplanation, type Explanation, type ExplainHost } from "../model/explain.ts";
import { hostFacts } from "../core/host-facts.ts";
import { listeningUnixPaths } from "../core/proc-net.ts";
import type { CliIo } from "./index.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { checkName } from "./names.ts";
import type { ExtraFlag } from "./parse-args.ts";
import { planFromArgs } from "./sandbox-command.ts";
import { VerdictFailure } from "./verdict-exit.ts";
import { unwritableBindWarnings } from "../core/bind-access.ts";

export const EXPLAIN_USAGE = "nsbox explain [OPTIONS] [--json] -- COMMAND [ARG...]  |  nsbox explain NAME|--pid PID [--json]";

export const EXPLAIN_FLAGS: readonly ExtraFlag[] = [
  ...LOG_FLAGS,
  { name: "json", args: [], help: "print structured data" },
  { name: "pid", args: ["PID"], help: "a running sandbox's pid (as nsbox ps shows) instead of its NAME" },
];

interface LiveRequest {
  name?: string;
  pid?: string;
  flags: Map<string, string[]>;
}

/** `NAME` or `--pid PID`, with only --json and log flags besides; undefined for the first form. */
export function parseLiveRequest(args: readonly string[]): LiveRequest | undefined {
  const req: LiveRequest = { flags: new Map() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--pid" && i + 1 < args.length) req.pid = args[++i];
    else if (a.startsWith("--pid=")) req.pid = a.slice(6);
    else if (a === "--json" || LOG_FLAGS.some((f) => a === `--${f.name}`)) req.flags.set(a.slice(2), []);
    else if (!a.startsWith("-") && req.name === undefined) req.name = a;
    else return undefined;
  }
  return req.name !== undefined || req.pid !== undefined ? req : undefined;
}

function findRecord(req: LiveRequest): SandboxRecord {
  if (req.name !== undefined && req.pid !== undefined) throw new UsageError("explain takes a NAME or --pid PID, not both", `usage: ${EXPLAIN_USAGE}`);
  if (req.name !== undefined) {
    const r = findByName(checkName(req.name, "explain"));
    if (!r) throw new NsboxError(`no running sandbox named ${req.name}`, EXIT.failed, `see nsbox ps; to explain a command instead: nsbox explain -- ${req.name}`);
    return r;
  }
  const n = Number(req.pid);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--pid: '${req.pid}' is not a pid`);
  const r = findByPid(n);
  if (!r) throw new NsboxError(`pid ${n} is not a running nsbox sandbox`, EXIT.failed, "give the pid nsbox ps shows");
  return r;
}

export function formatInspection(record: SandboxRecord, e: Explanation, live: SandboxInspection): string {
  const lines = [`sandbox ${record.name} (pid ${record.pid}, command pid ${live.payloadPid})`, ...formatExplanation(e), "live, compared with the spec:"];
  for (const c of live.checks) lines.push(`  ${c.ok ? "ok   " : "DRIFT"}  ${c.area}: ${c.summary}`);
  for (const d of live.drift) lines.push(`drift: ${d.message}`);
  lines.push(live.drift.length ? `${live.drift.length} drift item${live.drift.length === 1 ? "" : "s"}` : "no drift");
  return `${lines.join("\n")}\n`;
}

/** The host's listening path sockets (of nsbox's own network namespace, the host's). */
function explainHost(): ExplainHost {
  return { unixSockets: listeningUnixPaths(hostFacts.readFile("/proc/net/unix") ?? "") };
}

export function explainCommand(args: readonly string[], io: CliIo): void {
  const live = parseLiveRequest(args);
  if (live) {
    applyLogFlags(live.flags);
    const record = findRecord(live);
    const e = explainSpec(record.spec, explainHost());
    const inspection = inspectSandbox(record);
    io.stdout(
      live.flags.has("json")
        ? `${JSON.stringify({ sandbox: { name: record.name, pid: record.pid, payloadPid: inspection.payloadPid }, explanation: e, checks: inspection.checks, drift: inspection.drift }, null, 2)}\n`
        : formatInspection(record, e, inspection),
    );
    if (inspection.drift.length) throw new VerdictFailure(`sandbox ${record.name} drifted from its spec (${inspection.drift.length} item${inspection.drift.length === 1 ? "" : "s"})`, "exit status 1: see the drift lines");
    return;
  }
  const { spec, extras } = planFromArgs(args, EXPLAIN_FLAGS, EXPLAIN_USAGE, io.context());
  applyLogFlags(extras);
  if (extras.has("pid")) throw new UsageError("--pid explains a running sandbox: give it alone (nsbox explain --pid PID)");
  const e = explainSpec(spec, explainHost());
  // Listed with the other warnings of the explanation (text and --json alike).
  e.warnings.push(...unwritableBindWarnings(spec));
  io.stdout(extras.has("json") ? `${JSON.stringify(e, null, 2)}\n` : `${formatExplanation(e).join("\n")}\n`);
}
