// A normalised spec as a systemd service unit. `via nsbox`: ExecStart= runs `nsbox run` with the
// same options, so the sandbox is nsbox's own; `via plan`: a saved plan of it. `native`: the nearest systemd.exec(5) directives,
// and a comment for every part of the sandbox systemd cannot express (there the unit is looser
// or different, and says so). Pure: the caller gives the nsbox path and the run options.
import { describePublish } from "./publish.ts";
import type { NormalSpec } from "./normalize.ts";
import type { MountStep } from "./schema.ts";
import { deniedSyscalls, seccompRules } from "./seccomp-policy.ts";
import { SECCOMP_ENOSYS } from "./seccomp-groups.ts";
import { environmentLine, execLine, unitPath } from "./systemd-syntax.ts";

export const SYSTEMD_VIAS = ["nsbox", "plan", "native"] as const;
export type SystemdVia = (typeof SYSTEMD_VIAS)[number];

export interface UnitHead {
  /** What the unit runs, for Description=. */
  description: string;
}

function unitText(head: UnitHead, service: readonly string[]): string {
  return [
    "[Unit]", `Description=${head.description.replace(/%/g, "%%").replace(/\s+/g, " ")}`, "",
    "[Service]", ...service, "",
    "[Install]", "WantedBy=multi-user.target", "",
  ].join("\n");
}

/**
 * `via nsbox`: nsbox builds the sandbox itself; systemd only starts and stops it. nsbox execs
 * into its stage (same pid), so Type=exec sees the sandbox's supervisor as the main process and
 * its exit status as the payload's. `runArgs` are the run options (absolute paths), `argv` the command.
 */
export function systemdUnitViaNsbox(head: UnitHead, nsbox: string, runArgs: readonly string[], argv: readonly string[]): string {
  return unitText(head, [
    "Type=exec",
    `ExecStart=${execLine([nsbox, "run", ...runArgs, "--", ...argv])}`,
    // The supervisor forwards SIGTERM to the payload and exits with its status.
    "KillMode=mixed",
  ]);
}

/**
 * `via plan`: ExecStart= is a saved plan (`nsbox plan --save`), which the installed stage starts
 * alone: the same sandbox without Bun's start. The stage is the main process, as with nsbox run.
 */
export function systemdUnitViaPlan(head: UnitHead, planFile: string): string {
  return unitText(head, ["Type=exec", `ExecStart=${execLine([planFile])}`, "KillMode=mixed"]);
}

/** Directive lines and `# ` comment lines, collected per part of the spec. */
interface Lines {
  set: string[];
  notes: string[];
}

function namespaceLines(spec: NormalSpec, out: Lines): void {
  const ns = spec.namespaces;
  const users = spec.users;
  if (ns.user.mode === "new") {
    const first = users.uidMap[0];
    if (users.mapHostRoot) out.notes.push("root inside is the host's root (--map-host-root): no user namespace here either");
    else {
      // nsbox maps root inside onto an unprivileged host range; systemd's nearest is a dynamic
      // unprivileged user in a user namespace of its own (DynamicUser= also implies
      // RemoveIPC=, RestrictSUIDSGID= and a read-only /usr and /etc).
      out.set.push("DynamicUser=yes", "PrivateUsers=yes");
      if (first) out.notes.push(`ids: nsbox maps ${first.inside}..${first.inside + first.count - 1} inside to host ${first.outside}..; here the command runs as a dynamic unprivileged user, not as root inside`);
    }
  } else if (ns.user.mode === "join") out.notes.push(`user namespace ${ns.user.path}: not expressible (systemd joins only net and ipc namespaces)`);
  if (users.uid !== 0 || users.gid !== 0) out.notes.push(`uid ${users.uid} gid ${users.gid} inside: not expressible, pick User=/Group= by hand`);
  if (ns.pid.mode === "new") {
    out.set.push("ProtectProc=invisible", "ProcSubset=pid");
    out.notes.push("new PID namespace: not expressible before systemd 257 (PrivatePIDs=); other processes are hidden in /proc instead");
  }
  if (ns.net.mode === "join") out.set.push(`NetworkNamespacePath=${unitPath(ns.net.path)}`);
  else if (ns.net.mode === "new") {
    out.set.push("PrivateNetwork=yes");
    if (spec.network.mode === "none") out.notes.push("net none: PrivateNetwork= always has lo up");
    if (spec.network.mode === "zone") out.notes.push(`zone ${spec.network.zone}: not expressible; the unit gets no network (join the zone's namespace with NetworkNamespacePath=)`);
  }
  for (const p of spec.network.publish ?? [])
    out.notes.push(`${describePublish(p)}: not expressible (PrivateNetwork= has no port forward); pair the unit with a socket unit and systemd-socket-proxyd(8) joined to its namespace (JoinsNamespaceOf=)`);
  if (ns.ipc.mode === "join") out.set.push(`IPCNamespacePath=${unitPath(ns.ipc.path)}`);
  else if (ns.ipc.mode === "new") out.set.push("PrivateIPC=yes");
  if (ns.uts.mode === "new") {
    out.set.push("ProtectHostname=yes");
    if (spec.hostname) out.notes.push(`hostname ${spec.hostname}: not expressible (ProtectHostname= keeps the host's name)`);
  }
  if (ns.cgroup.mode === "new") out.set.push("ProtectControlGroups=yes");
  for (const kind of ["mnt", "uts", "pid", "cgroup", "time"] as const) {
    if (ns[kind].mode === "join") out.notes.push(`${kind} namespace ${(ns[kind] as { path: string }).path}: not expressible`);
  }
  if (ns.time.mode === "new") out.notes.push("new time namespace: not expressible");
}

function mountLines(spec: NormalSpec, out: Lines): void {
  if (spec.namespaces.mnt.mode !== "new") return;
  const hasHostRoot = spec.mounts.some((m) => m.kind === "bind" && m.src === "/" && m.dst === "/");
  // The whole host tree read-only: ProtectSystem=strict leaves only the API filesystems writable.
  out.set.push("ProtectSystem=strict", hasHostRoot ? "ProtectHome=read-only" : "ProtectHome=tmpfs");
  if (!hasHostRoot) out.notes.push("a root of nsbox's own (not the host's): not expressible; the host's OS stays visible read-only and home directories empty");
  const tmp = (m: MountStep) => m.kind === "tmpfs" && (m.dst === "/tmp" || m.dst === "/var/tmp");
  if (spec.mounts.some(tmp)) out.set.push("PrivateTmp=yes");
  for (const m of spec.mounts) {
    switch (m.kind) {
      case "bind": {
        if (m.src === "/" && m.dst === "/") break;
        const path = `${m.optional ? "-" : ""}${unitPath(m.src)}${m.src === m.dst ? "" : `:${unitPath(m.dst)}`}`;
        out.set.push(`${m.readonly ? "BindReadOnlyPaths" : "BindPaths"}=${path}`);
        if (m.state) out.notes.push(`state directory ${m.src}: nsbox creates it and gives it to the sandbox's root; the nearest is StateDirectory= (under /var/lib)`);
        if (m.idmap) out.notes.push(`idmapped bind ${m.src}: not expressible, bound without its id map`);
        break;
      }
      case "tmpfs":
        if (!tmp(m)) out.set.push(`TemporaryFileSystem=${unitPath(m.dst)}:mode=${m.mode.toString(8).padStart(4, "0")}${m.size ? `,size=${m.size}` : ""}`);
        break;
      case "dev":
        if (m.dst === "/dev") out.set.push("PrivateDevices=yes");
        else out.notes.push(`dev ${m.dst}: not expressible (PrivateDevices= makes /dev only)`);
        break;
      case "proc":
        if (m.dst !== "/proc") out.notes.push(`proc ${m.dst}: not expressible`);
        break;
      case "mqueue":
        out.notes.push(`mqueue ${m.dst}: not expressible (PrivateIPC= gives a new IPC namespace, not the mount)`);
        break;
      case "mask":
        out.set.push(`InaccessiblePaths=-${unitPath(m.dst)}`);
        break;
      case "remount-ro":
        out.set.push(`ReadOnlyPaths=-${unitPath(m.dst)}`);
        break;
      case "dir":
      case "symlink":
        out.notes.push(`${m.kind} ${m.dst}: not expressible (systemd creates no files in the service's tree)`);
        break;
    }
  }
  if (spec.propagation !== "unchanged") out.set.push(`MountFlags=${spec.propagation}`);
}

function processLines(spec: NormalSpec, out: Lines): void {
  const p = spec.process;
  for (const [k, v] of Object.entries(p.env)) out.set.push(environmentLine(k, v));
  if (p.cwd !== "/") out.set.push(`WorkingDirectory=${unitPath(p.cwd)}`);
  if (p.keepFds.length) out.notes.push(`keep-fd ${p.keepFds.join(",")}: not expressible (use socket activation: a .socket unit)`);
  if (p.init && spec.namespaces.pid.mode === "new") out.notes.push("no PID-1 init needed: systemd reaps the service's processes");
  if (p.dieWithParent) out.notes.push("die-with-parent: the service lives as long as systemd runs it");
  if (p.log) out.notes.push(`log ${p.log.path}: not expressible with its cap (the journal keeps the output, within its own SystemMaxUse=)`);
  if (!p.newSession) out.notes.push("new-session no: services never have the caller's terminal");
}

function securityLines(spec: NormalSpec, out: Lines): void {
  const caps = spec.security.capabilities;
  out.set.push(`CapabilityBoundingSet=${caps.join(" ")}`);
  if (caps.length) out.set.push(`AmbientCapabilities=${caps.join(" ")}`);
  out.set.push("NoNewPrivileges=yes", "KeyringMode=private");
  const policy = spec.security.seccomp;
  const rules = seccompRules(policy);
  if (rules.length === 0) return;
  // The same calls nsbox denies, named one by one (nsbox's groups are not all systemd's), each
  // with its errno; only the native ABI, as nsbox's filter kills the others.
  const denied = [...deniedSyscalls(policy)].sort();
  const errnoOf = (s: string) => (SECCOMP_ENOSYS.has(s) ? "ENOSYS" : policy.errno);
  out.set.push(`SystemCallFilter=~${denied.map((s) => (errnoOf(s) === policy.errno ? s : `${s}:${errnoOf(s)}`)).join(" ")}`);
  out.set.push(`SystemCallErrorNumber=${policy.errno}`, "SystemCallArchitectures=native");
  // Argument rules become the directives systemd has for them.
  if (rules.some((r) => r.syscall === "personality" && r.when.length)) out.set.push("LockPersonality=yes");
  if (!policy.allowUserns) out.set.push("RestrictNamespaces=yes");
  if (rules.some((r) => r.syscall === "ioctl" && r.when.length)) out.notes.push("ioctl TIOCSTI/TIOCLINUX: not expressible (a service has no terminal to push input into)");
  if (denied.includes("init_module")) out.set.push("ProtectKernelModules=yes");
  if (denied.includes("syslog")) out.set.push("ProtectKernelLogs=yes");
  if (denied.includes("clock_settime")) out.set.push("ProtectClock=yes");
}

function limitLines(spec: NormalSpec, out: Lines): void {
  const l = spec.limits;
  const value = (n: number | "inf") => (n === "inf" ? "infinity" : String(n));
  // systemd.exec(5) names each Limit*= after the RLIMIT_ it sets: LimitNOFILE= is RLIMIT_NOFILE.
  for (const [name, r] of Object.entries(l.rlimits)) out.set.push(`Limit${name}=${value(r.soft)}:${value(r.hard)}`);
  if (l.memory !== undefined) out.set.push(`MemoryMax=${l.memory}`);
  if (l.pids !== undefined) out.set.push(`TasksMax=${l.pids}`);
  if (l.cpuQuota !== undefined) out.set.push(`CPUQuota=${Math.round(l.cpuQuota / 1000)}%`);
}

/** `native`: the spec as systemd.exec(5) directives; what they cannot say is a comment above them. */
export function systemdUnitNative(head: UnitHead, spec: NormalSpec): string {
  const out: Lines = { set: [], notes: [] };
  namespaceLines(spec, out);
  mountLines(spec, out);
  processLines(spec, out);
  securityLines(spec, out);
  limitLines(spec, out);
  const notes = out.notes.length ? ["# Not expressed by systemd (the unit differs from `nsbox run` here):", ...out.notes.map((n) => `#   ${n}`)] : [];
  return unitText(head, [...notes, "Type=exec", `ExecStart=${execLine(spec.process.argv)}`, ...out.set]);
}
