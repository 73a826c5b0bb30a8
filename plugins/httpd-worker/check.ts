// `nsbox httpd-worker check NAME|--pid PID`: audits a running worker (ctx.sandboxes) and
// reports on stdout: every fd it holds, its network namespace, interfaces and
// routes, then one `finding:` line per thing that breaks its isolation. Exit 1 with findings.
import { describeSocket, NAME_PATTERN, PluginError, UsageError, type CommandContext, type NetAudit, type SandboxService } from "nsbox/plugin";

export const CHECK_USAGE = "nsbox httpd-worker check NAME|--pid PID";

/** The worker process and a process in the namespace its sockets were opened in. */
interface Target {
  label: string;
  worker: number;
  outside: number;
}

function findTarget(args: readonly string[], sandboxes: SandboxService): Target {
  let name: string | undefined;
  let pid: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--pid" && i + 1 < args.length) pid = args[++i];
    else if (a.startsWith("--pid=")) pid = a.slice(6);
    else if (!a.startsWith("-") && name === undefined) name = a;
    else throw new UsageError(`unexpected '${a}'`, `usage: ${CHECK_USAGE}`);
  }
  if ((name === undefined) === (pid === undefined)) throw new UsageError("give a sandbox NAME or --pid PID", `usage: ${CHECK_USAGE}`);
  if (name !== undefined) {
    if (!NAME_PATTERN.test(name)) throw new UsageError(`'${name}' is not a sandbox name`, `usage: ${CHECK_USAGE}`);
    const r = sandboxes.findByName(name);
    if (!r) throw new PluginError("httpd-worker", `no running sandbox named ${name}`, 125, "see nsbox ps");
    return { label: `sandbox ${r.name} (pid ${r.pid})`, worker: r.payloadPid, outside: r.pid };
  }
  const n = Number(pid);
  if (!/^[1-9][0-9]*$/.test(pid!)) throw new UsageError(`--pid: '${pid}' is not a pid`);
  const r = sandboxes.findByPid(n);
  if (r) return { label: `sandbox ${r.name} (pid ${r.pid})`, worker: r.payloadPid, outside: r.pid };
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
