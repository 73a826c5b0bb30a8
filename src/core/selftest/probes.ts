// The selftest's probes as data, and the verdict on each one from what was observed. Wherever
// the effect can be seen from the host (a token only the host knows came back, a host process
// stopped, a listener accepted, a host value changed), the host's observation decides; only what
// leaves no trace outside (a raw socket, a mount inside) is taken on the probe's word. Pure.
import { probeData, probeFailure, probeOk, type ProbeLine } from "./probe-report.ts";

export const PROBE_NAMES = [
  "host-file-read", "host-data-read", "ro-write",
  "proc-see", "proc-environ", "signal", "ptrace",
  "unix-abstract", "unix-path", "tcp-loopback", "raw-socket", "packet-socket",
  "mount", "unshare-mount", "userns", "setuid", "open-by-handle",
  "sysctl-write", "sysrq", "tiocsti", "keyring", "sysv-shm", "posix-shm", "cgroup-escape",
  "kernel-module", "bpf", "perf",
] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

/**
 * CONTAINED: the attempt failed or had no effect outside. EXPOSED: it got through. SKIPPED: this
 * host lacks what the probe needs (no sysrq, no module support ...), so there is nothing to test.
 * UNTESTED: the probe never reported (the program stopped early): no verdict can be given.
 */
export type Verdict = "CONTAINED" | "EXPOSED" | "SKIPPED" | "UNTESTED";

export interface ProbeVerdict {
  probe: ProbeName;
  verdict: Verdict;
  detail: string;
  /** host: decided by what nsbox saw outside the sandbox; sandbox: the probe's own report. */
  observedFrom: "host" | "sandbox";
}

/** What the host side saw; filled by fixtures.ts while the probes run and after. */
export interface Observations {
  /** The secret every host fixture holds (file, environment, key, shm): seeing it is seeing them. */
  token: string;
  writableBefore?: string;
  writableAfter?: string;
  /** The target process's state (stat field 3) right after the probe's kill. */
  targetState?: string;
  /** TracerPid of the target while the probe held its ptrace attach. */
  tracerPid?: number;
  unixAccepts: number;
  /** Accepts on the host path socket (unix-path). */
  unixPathAccepts: number;
  tcpAccepts: number;
  tcpPort?: number;
  shmAttaches?: number;
  /** /proc/PID/cgroup of the probe before and after its writes to the root cgroups. */
  cgroupBefore?: string;
  cgroupAfter?: string;
  /** Host sysctls whose value the probe changed (nsbox restored them at once). */
  sysctlChanged: string[];
  /** What this host has at all. */
  host: { sysrq: boolean; modules: boolean; keys: boolean; setuid: boolean; legacyTiocsti: boolean; dataPlaces: boolean };
}

const contained = (probe: ProbeName, detail: string, observedFrom: "host" | "sandbox"): ProbeVerdict => ({ probe, verdict: "CONTAINED", detail, observedFrom });
const exposed = (probe: ProbeName, detail: string, observedFrom: "host" | "sandbox"): ProbeVerdict => ({ probe, verdict: "EXPOSED", detail, observedFrom });
const skipped = (probe: ProbeName, detail: string): ProbeVerdict => ({ probe, verdict: "SKIPPED", detail, observedFrom: "host" });

/** A read whose bytes the host compares with the token. */
function tokenRead(probe: ProbeName, r: ProbeLine, obs: Observations, what: string): ProbeVerdict {
  if (probeData(r).includes(obs.token)) return exposed(probe, `read ${what}`, "host");
  return contained(probe, probeOk(r) ? `read something, but not ${what}` : probeFailure(r), "host");
}

/** A probe whose own word is all there is: ok=1 means it got what it tried for. */
function probesWord(probe: ProbeName, r: ProbeLine, got: string): ProbeVerdict {
  return probeOk(r) ? exposed(probe, got, "sandbox") : contained(probe, probeFailure(r), "sandbox");
}

function connectVerdict(probe: ProbeName, r: ProbeLine, accepts: number, what: string): ProbeVerdict {
  if (accepts > 0) return exposed(probe, `connected to ${what} (the host accepted ${accepts})`, "host");
  // Connected, yet the host's listener saw nothing: something else answered. Still a way out.
  if (probeOk(r)) return exposed(probe, `connected to ${what}'s address, though the host's listener saw no accept`, "sandbox");
  return contained(probe, probeFailure(r), "host");
}

type Judge = (r: ProbeLine, obs: Observations) => ProbeVerdict;

const JUDGES: Record<ProbeName, Judge> = {
  "host-file-read": (r, o) => tokenRead("host-file-read", r, o, "a root-only host file"),
  "host-data-read": (r, o) =>
    o.host.dataPlaces ? tokenRead("host-data-read", r, o, "a host data file anyone may read (/var/lib, /srv or a home)") : skipped("host-data-read", "no data place (/var/lib, /srv, a home) nsbox may write to"),
  "ro-write": (r, o) =>
    o.writableAfter !== undefined && o.writableAfter !== o.writableBefore
      ? exposed("ro-write", "changed a world-writable host file under a read-only bind", "host")
      : contained("ro-write", probeOk(r) ? "the write went somewhere, but the host file is unchanged" : probeFailure(r), "host"),
  "proc-see": (r, o) => tokenRead("proc-see", r, o, "a host process's command line"),
  "proc-environ": (r, o) => tokenRead("proc-environ", r, o, "a host process's environment"),
  signal: (r, o) =>
    o.targetState === "T" || o.targetState === "t"
      ? exposed("signal", "stopped a host process with SIGSTOP", "host")
      : contained("signal", probeOk(r) ? "kill succeeded, but the host process did not stop" : probeFailure(r), "host"),
  ptrace: (r, o) =>
    (o.tracerPid ?? 0) > 0
      ? exposed("ptrace", "attached to a host process with ptrace", "host")
      : contained("ptrace", probeOk(r) ? "attach succeeded, but not to the host process" : probeFailure(r), "host"),
  "unix-abstract": (r, o) => connectVerdict("unix-abstract", r, o.unixAccepts, "a host abstract unix socket"),
  "unix-path": (r, o) =>
    o.host.dataPlaces ? connectVerdict("unix-path", r, o.unixPathAccepts, "a host path socket anyone may connect to") : skipped("unix-path", "no data place (/var/lib, /srv, a home) nsbox may write to"),
  "tcp-loopback": (r, o) => connectVerdict("tcp-loopback", r, o.tcpAccepts, `the host's 127.0.0.1${o.tcpPort ? `:${o.tcpPort}` : ""}`),
  "raw-socket": (r) => probesWord("raw-socket", r, "opened a raw IPv4 socket (AF_INET, SOCK_RAW)"),
  "packet-socket": (r) => probesWord("packet-socket", r, "opened a packet socket (AF_PACKET)"),
  mount: (r) => probesWord("mount", r, "mounted a tmpfs"),
  "unshare-mount": (r) => probesWord("unshare-mount", r, "made a mount namespace of its own and mounted a tmpfs in it"),
  userns: (r) => {
    if (!probeOk(r)) return contained("userns", probeFailure(r), "sandbox");
    const mounted = r.fields.mounted === "1";
    const maps = r.fields.maps && r.fields.maps !== "ok" ? ` (its id maps were refused: ${r.fields.maps})` : "";
    return exposed("userns", `created a nested user namespace with every capability inside it${maps}${mounted ? " and mounted a tmpfs in it" : `; then stopped at ${probeFailure(r)}`}`, "sandbox");
  },
  setuid: (r, o) => {
    if (!o.host.setuid) return skipped("setuid", "needs root on the host to make a setuid-root binary");
    if (!probeOk(r)) return contained("setuid", probeFailure(r), "sandbox");
    const { ruid, euid, secure } = r.fields;
    return euid !== ruid || (secure !== undefined && secure !== "0")
      ? exposed("setuid", `a setuid-root binary ran with euid ${euid} (uid ${ruid})`, "sandbox")
      : contained("setuid", `the setuid bit was ignored (euid stayed ${euid})`, "sandbox");
  },
  "open-by-handle": (r) => probesWord("open-by-handle", r, "opened a file by handle (open_by_handle_at), past every mount"),
  "sysctl-write": (r, o) =>
    o.sysctlChanged.length > 0
      ? exposed("sysctl-write", `changed host sysctl ${o.sysctlChanged.join(", ")} (restored)`, "host")
      : contained("sysctl-write", probeOk(r) ? `wrote ${r.fields.wrote ?? "a sysctl"} of its own namespace; the host's values are unchanged` : probeFailure(r), "host"),
  sysrq: (r, o) => (o.host.sysrq ? probesWord("sysrq", r, "wrote to /proc/sysrq-trigger") : skipped("sysrq", "this kernel has no /proc/sysrq-trigger")),
  tiocsti: (r, o) => {
    const tries = `plain ${r.fields.plain ?? "?"}, high bit ${r.fields["high-bit"] ?? "?"}`;
    if (probeOk(r)) return exposed("tiocsti", `pushed input into a terminal with TIOCSTI (${tries})`, "sandbox");
    const detail = r.fields.plain ? `TIOCSTI refused (${tries})` : probeFailure(r);
    return contained("tiocsti", `${detail}${o.host.legacyTiocsti ? "" : "; the kernel refuses it anyway (dev.tty.legacy_tiocsti=0)"}`, "sandbox");
  },
  keyring: (r, o) => (o.host.keys ? tokenRead("keyring", r, o, "a key in nsbox's session keyring") : skipped("keyring", "this kernel has no keys")),
  "sysv-shm": (r, o) =>
    (o.shmAttaches ?? 0) > 0
      ? exposed("sysv-shm", "attached a host SysV shared memory segment", "host")
      : contained("sysv-shm", probeOk(r) ? "attached a segment of its own namespace, not the host's" : probeFailure(r), "host"),
  "posix-shm": (r, o) => tokenRead("posix-shm", r, o, "a host POSIX shared memory object"),
  "cgroup-escape": (r, o) => {
    if (o.cgroupBefore !== undefined && o.cgroupAfter !== undefined && o.cgroupBefore !== o.cgroupAfter) {
      return exposed("cgroup-escape", `moved itself to another cgroup${r.fields.moved ? ` (${r.fields.moved})` : ""}`, "host");
    }
    if (probeOk(r)) return exposed("cgroup-escape", `wrote to ${r.fields.moved ?? "a root cgroup.procs"}`, "sandbox");
    return contained("cgroup-escape", probeFailure(r), o.cgroupBefore !== undefined ? "host" : "sandbox");
  },
  "kernel-module": (r, o) => {
    if (!o.host.modules) return skipped("kernel-module", "this kernel has no module support");
    const detail = `init_module ${r.fields.init_module ?? "?"}, finit_module ${r.fields.finit_module ?? "?"}`;
    return probeOk(r) ? exposed("kernel-module", `passed the module-loading permission check (${detail})`, "sandbox") : contained("kernel-module", detail, "sandbox");
  },
  bpf: (r) => probesWord("bpf", r, "loaded a BPF program"),
  perf: (r) => probesWord("perf", r, "opened a perf event"),
};

/** The verdict on one probe; a probe that never reported is UNTESTED. */
export function judgeProbe(name: ProbeName, result: ProbeLine | undefined, obs: Observations): ProbeVerdict {
  if (!result) {
    // Probes that need something the host lacks are skipped whether or not they reported.
    const v = JUDGES[name]({ kind: "probe", name, fields: {} }, obs);
    return v.verdict === "SKIPPED" ? v : { probe: name, verdict: "UNTESTED", detail: "the probe did not report (the program stopped early)", observedFrom: "sandbox" };
  }
  return JUDGES[name](result, obs);
}

export function judgeAll(results: ReadonlyMap<string, ProbeLine>, obs: Observations): ProbeVerdict[] {
  return PROBE_NAMES.map((name) => judgeProbe(name, results.get(name), obs));
}

/** Exit 0 only when nothing got through and every probe gave a verdict. */
export function allContained(verdicts: readonly ProbeVerdict[]): boolean {
  return verdicts.every((v) => v.verdict === "CONTAINED" || v.verdict === "SKIPPED");
}
