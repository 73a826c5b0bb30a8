// `nsbox httpd-worker check NAME|--pid PID`: audits a running worker (ctx.sandboxes) and
// reports on stdout: every fd it holds, its network namespace, interfaces and
// routes, then one `finding:` line per thing that breaks its isolation. Exit 1 with findings.
import { describeSocket, flagsOf, NAME_PATTERN, PluginError, scanArgs, UsageError, wordsOf, type CommandContext, type NetAudit, type SandboxFound, type SandboxService } from "nsbox/plugin";

export const CHECK_USAGE = "nsbox httpd-worker check NAME|--pid PID";

/** The worker process and a process in the namespace its sockets were opened in. */
interface Target {
  label: string;
  worker: number;
  outside: number;
}

function sandboxTarget(r: SandboxFound): Target {
  if (r.payloadPid === undefined) throw new PluginError("httpd-worker", `sandbox ${r.name} has no running command process`, 125, "it is starting or ending; see nsbox ps");
  return { label: `sandbox ${r.name} (pid ${r.pid})`, worker: r.payloadPid, outside: r.pid };
}

function findTarget(args: readonly string[], sandboxes: SandboxService): Target {
  const scan = scanArgs(args, { shape: (n) => (n === "pid" ? { args: ["PID"] } : undefined), words: "collect", hint: `usage: ${CHECK_USAGE}` });
  const words = wordsOf(scan);
  if (words.length > 1) throw new UsageError(`unexpected '${words[1]}'`, `usage: ${CHECK_USAGE}`);
  const name = words[0];
  const pid = flagsOf(scan).at(-1)?.values[0];
  if ((name === undefined) === (pid === undefined)) throw new UsageError("give a sandbox NAME or --pid PID", `usage: ${CHECK_USAGE}`);
  if (name !== undefined) {
    if (!NAME_PATTERN.test(name)) throw new UsageError(`'${name}' is not a sandbox name`, `usage: ${CHECK_USAGE}`);
    const r = sandboxes.findByName(name);
    if (!r) throw new PluginError("httpd-worker", `no running sandbox named ${name}`, 125, "see nsbox ps");
    return sandboxTarget(r);
  }
  const n = Number(pid);
  if (!/^[1-9][0-9]*$/.test(pid!)) throw new UsageError(`--pid: '${pid}' is not a pid`);
  const r = sandboxes.findByPid(n);
  if (r) return sandboxTarget(r);
  // Not a sandbox nsbox started: audit the process itself against nsbox's own network.
  return { label: `process ${n}`, worker: n, outside: process.pid };
}

/** The report, one line each (pure, for tests). */
export function formatAudit(label: string, a: NetAudit): string[] {
  const lines = [`${label}: worker pid ${a.pid}${a.innerPid !== undefined ? ` (pid ${a.innerPid} inside)` : ""}, LISTEN_FDS=${a.listenFds ?? "unset"}`];
  for (const f of a.fds) {
    const s = f.socket;
    const what = !s ? f.target : s.netns === "unknown" ? `${f.target} (not in the audited socket tables)` : `${describeSocket(s)} (${s.netns === "own" ? "the worker's network namespace" : "nsbox's network namespace"})`;
    lines.push(`fd ${f.fd}: ${what}${f.role ? `: ${f.role}` : ""}`);
  }
  lines.push(`network namespace: ${a.ownNetns ? "its own" : "nsbox's"}; interfaces: ${a.interfaces.join(", ") || "none"}`);
  const routes = a.routes.filter((r) => r.iface !== "lo");
  lines.push(`routes: ${routes.length ? routes.map((r) => `${r.destination} via ${r.iface}`).join(", ") : "none (loopback only)"}`);
  for (const f of a.findings) lines.push(`finding: ${f}`);
  lines.push(a.findings.length ? `${a.findings.length} finding${a.findings.length === 1 ? "" : "s"}` : "clean");
  return lines;
}

export function checkCommand(args: readonly string[], ctx: CommandContext): number {
  const t = findTarget(args, ctx.sandboxes);
  const audit = ctx.sandboxes.auditNetwork(t.worker, t.outside);
  ctx.stdout(`${formatAudit(t.label, audit).join("\n")}\n`);
  return audit.findings.length ? 1 : 0;
}
