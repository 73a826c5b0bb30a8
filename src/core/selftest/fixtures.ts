// The host side of `nsbox selftest`: what the probes aim at (a root-only file and a world-writable
// file under a read-only bind, host data files and a path socket anyone may use, a setuid-root
// binary, a process running as the sandbox's own host uid, an abstract unix and a loopback TCP
// listener, a key, SysV and POSIX shm), what nsbox looks
// at while a probe holds, and the removal of all of it. Each thing is registered for removal as
// soon as it exists, so a failure halfway leaves nothing behind.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { NsboxError, SysError } from "../errors.ts";
import { logger } from "../log.ts";
import { childrenOf } from "../proc.ts";
import { addSessionKey, invalidateKey } from "../sys/keys.ts";
import { createShmSegment, removeShmSegment } from "../sys/sysv-shm.ts";
import { parseNsPids, parseProcState, parseShmAttaches, parseTracerPid } from "./host-views.ts";
import type { ProbeLine } from "./probe-report.ts";
import { PROBE_NAMES, type Observations } from "./probes.ts";

const log = logger("selftest");

/** Host sysctls the probe tries to change by one: global (not namespaced), harmless, restored at once. */
const SYSCTLS = ["vm/swappiness", "kernel/printk_ratelimit_burst"];

export interface FixtureOptions {
  /** The probe program as an fd of this process (the target runs it too). */
  probeFd: number;
  probeBytes: Uint8Array;
  /** The host ids the sandbox's payload runs as: the target runs as them too. */
  hostUid: number;
  hostGid: number;
}

export interface Fixtures {
  obs: Observations;
  /** The directory of the root-only and world-writable files: the sandbox must see it (run-selftest.ts binds it in). */
  visibleDir: string;
  /** `NAME=ARG` words for the probe program, in the probes' order. */
  probeArgs: string[];
  /** Looks at the host while a probe holds; `stagePid` is the stage nsbox spawned. */
  observeHold(line: ProbeLine, stagePid: number): Promise<void>;
  /** Looks at what can be judged once the probes are done. */
  observeAfter(): void;
  cleanup(): Promise<void>;
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
};

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("hex");
}

/** The process in the tree under `root` whose innermost PID is `nsPid` (NSpid, proc(5)). */
export function hostPidOf(root: number, nsPid: number): number | undefined {
  const queue = [root];
  for (let i = 0; i < queue.length && i < 64; i++) {
    const pid = queue[i]!;
    if (parseNsPids(readText(`/proc/${pid}/status`) ?? "").at(-1) === nsPid && pid !== root) return pid;
    queue.push(...childrenOf(pid));
  }
  return undefined;
}

/** Waits for the target's `ready` line (it has dropped to the sandbox's ids). */
async function waitReady(target: Subprocess<"ignore", "pipe", "pipe">): Promise<void> {
  const reader = target.stdout.getReader();
  const timeout = setTimeout(() => target.kill("SIGKILL"), 5000);
  try {
    let text = "";
    while (!text.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) {
        const err = await new Response(target.stderr).text();
        throw new NsboxError(`selftest: the host target process did not start: ${err.trim() || "it exited"}`);
      }
      text += Buffer.from(value).toString();
    }
  } finally {
    clearTimeout(timeout);
    reader.releaseLock();
  }
}

export async function prepareFixtures(opts: FixtureOptions): Promise<Fixtures> {
  const undo: (() => void | Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (e) {
        log.debug(`selftest cleanup: ${(e as Error).message}`);
      }
    }
    undo.length = 0;
  };
  const isRoot = process.getuid!() === 0;
  const token = randomToken();
  const legacy = readText("/proc/sys/dev/tty/legacy_tiocsti");
  const obs: Observations = {
    token,
    unixAccepts: 0,
    unixPathAccepts: 0,
    tcpAccepts: 0,
    sysctlChanged: [],
    host: {
      sysrq: existsSync("/proc/sysrq-trigger"),
      modules: existsSync("/proc/modules"),
      keys: true,
      setuid: isRoot,
      dataPlaces: false,
      legacyTiocsti: legacy === undefined || legacy.trim() !== "0",
    },
  };
  const args: Record<string, string | undefined> = {};
  try {
    // Files the sandbox sees (run-selftest.ts binds this directory in read-only at its own path,
    // whatever the root mode hides), so these probes test permissions and the read-only mount.
    // 0711: others may pass through to a name they know, not list it.
    const dir = mkdtempSync(join(isRoot ? "/var/lib" : homedir(), "nsbox-selftest-"));
    undo.push(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o711);
    mkdirSync(join(dir, "secret"), { mode: 0o700 });
    args["host-file-read"] = join(dir, "secret", "token");
    writeFileSync(args["host-file-read"], token, { mode: 0o600 });
    args["ro-write"] = join(dir, "writable");
    obs.writableBefore = `nsbox selftest ${token}\n`;
    writeFileSync(args["ro-write"], obs.writableBefore);
    chmodSync(args["ro-write"], 0o666);
    if (isRoot) {
      // A setuid-root copy of the probe; its main() only ever reports ids when run setuid.
      args.setuid = join(dir, "suid-probe");
      writeFileSync(args.setuid, opts.probeBytes, { mode: 0o700 });
      chownSync(args.setuid, 0, 0);
      chmodSync(args.setuid, 0o4755);
    }

    // Host data anyone may read, and a path socket anyone may connect to, where services keep
    // them: only the sandbox's view of the host keeps them out (--root host shows them).
    const data: string[] = [];
    for (const place of isRoot ? ["/var/lib", "/srv", homedir()] : [homedir()]) {
      let d: string;
      try {
        d = mkdtempSync(join(place, "nsbox-selftest-"));
      } catch {
        continue; // no such place here, or not ours to write
      }
      undo.push(() => rmSync(d, { recursive: true, force: true }));
      chmodSync(d, 0o755);
      writeFileSync(join(d, "data"), token, { mode: 0o644 });
      data.push(d);
    }
    if (data.length) {
      obs.host.dataPlaces = true;
      args["host-data-read"] = data.map((d) => join(d, "data")).join(":");
      const sock = join(data[0]!, "sock");
      const pathListener = Bun.listen({ unix: sock, socket: { open: (s) => void (obs.unixPathAccepts++, s.end()), data() {} } });
      undo.push(() => pathListener.stop(true));
      chmodSync(sock, 0o777);
      args["unix-path"] = sock;
    }

    // A host process of the sandbox's own host uid: only the namespaces keep the sandbox from it.
    const target = Bun.spawn([`/proc/${process.pid}/fd/${opts.probeFd}`, "target", String(opts.hostUid), String(opts.hostGid), `nsbox-selftest-target-${token}`], {
      argv0: "nsbox-selftest-target",
      env: { NSBOX_SELFTEST_TOKEN: token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    undo.push(async () => {
      target.kill("SIGKILL");
      await target.exited;
    });
    await waitReady(target);
    for (const name of ["proc-see", "proc-environ", "signal", "ptrace"]) args[name] = String(target.pid);

    // Listeners on an abstract unix name and on 127.0.0.1, counting accepts.
    const abstractName = `nsbox-selftest-${token}`;
    const unix = Bun.listen({ unix: `\0${abstractName}`, socket: { open: (s) => void (obs.unixAccepts++, s.end()), data() {} } });
    undo.push(() => unix.stop(true));
    const tcp = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (s) => void (obs.tcpAccepts++, s.end()), data() {} } });
    undo.push(() => tcp.stop(true));
    args["unix-abstract"] = abstractName;
    args["tcp-loopback"] = String(tcp.port);
    obs.tcpPort = tcp.port;

    // A key in our session keyring (the stage gives the payload a fresh one).
    try {
      const key = addSessionKey(`nsbox-selftest-${token}`, token);
      undo.push(() => invalidateKey(key));
      args.keyring = String(key);
    } catch (e) {
      if (!(e instanceof SysError && e.errnoName === "ENOSYS")) throw e;
      obs.host.keys = false;
    }

    // SysV and POSIX shm open to every uid: only the IPC namespace and the private /dev/shm guard them.
    const shm = createShmSegment(4096, 0o666);
    undo.push(() => removeShmSegment(shm));
    args["sysv-shm"] = String(shm);
    const posixName = `nsbox-selftest-${token}`;
    if (existsSync("/dev/shm")) {
      writeFileSync(`/dev/shm/${posixName}`, token, { mode: 0o644 });
      undo.push(() => rmSync(`/dev/shm/${posixName}`, { force: true }));
      args["posix-shm"] = posixName;
    }

    const sysctls = new Map(SYSCTLS.flatMap((n) => {
      const v = readText(`/proc/sys/${n}`);
      return v === undefined ? [] : [[n, v] as const];
    }));
    if (sysctls.size) args["sysctl-write"] = [...sysctls.keys()].join(",");

    const probeArgs = PROBE_NAMES.map((n) => (args[n] === undefined ? n : `${n}=${args[n]}`));

    const observeHold = async (line: ProbeLine, stagePid: number) => {
      switch (line.name) {
        case "signal": {
          // kill(2) returns before the target has run to take the stop: wait a little for it.
          const state = () => parseProcState(readText(`/proc/${target.pid}/stat`) ?? "");
          const stopped = (s: string | undefined) => s === "T" || s === "t";
          obs.targetState = state();
          for (let i = 0; line.fields.ok === "1" && !stopped(obs.targetState) && i < 100; i++) {
            await Bun.sleep(5);
            obs.targetState = state();
          }
          if (stopped(obs.targetState)) process.kill(target.pid, "SIGCONT");
          return;
        }
        case "ptrace":
          obs.tracerPid = parseTracerPid(readText(`/proc/${target.pid}/status`) ?? "");
          return;
        case "unix-abstract":
        case "unix-path":
        case "tcp-loopback": {
          // The kernel completed the connection; our accept runs on the event loop: give it a moment.
          const count = () => (line.name === "tcp-loopback" ? obs.tcpAccepts : line.name === "unix-path" ? obs.unixPathAccepts : obs.unixAccepts);
          for (let i = 0; line.fields.ok === "1" && count() === 0 && i < 200; i++) await Bun.sleep(5);
          return;
        }
        case "sysv-shm":
          obs.shmAttaches = parseShmAttaches(readText("/proc/sysvipc/shm") ?? "", shm);
          return;
        case "sysctl-write":
          for (const [name, before] of sysctls) {
            if (readText(`/proc/sys/${name}`) === before) continue;
            obs.sysctlChanged.push(name);
            writeFileSync(`/proc/sys/${name}`, before);
          }
          return;
        case "cgroup-escape": {
          const pid = hostPidOf(stagePid, Number(line.fields.pid));
          const groups = pid === undefined ? undefined : readText(`/proc/${pid}/cgroup`);
          if (line.fields.phase === "before") obs.cgroupBefore = groups;
          else obs.cgroupAfter = groups;
          return;
        }
      }
    };

    return {
      obs,
      visibleDir: dir,
      probeArgs,
      observeHold,
      observeAfter: () => {
        obs.writableAfter = readText(args["ro-write"]!);
        // Whatever stopped it (a ptrace attach does too), the target must not stay stopped.
        if (parseProcState(readText(`/proc/${target.pid}/stat`) ?? "")?.toUpperCase() === "T") process.kill(target.pid, "SIGCONT");
      },
      cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
