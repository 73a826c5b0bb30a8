// Host preparation over a recording FakeSys: execute() and prepareHost() make their effects in a
// fixed order, and a failure at any one of them undoes what came before it, last first, leaving
// the host as it was (but for nsbox's own state directories and cgroup parents, kept by design).
import { describe, expect, test } from "bun:test";
import { dirname } from "node:path";
import { execute } from "../../src/core/execute.ts";
import { runSteps } from "../../src/core/host-steps.ts";
import { prepareHost } from "../../src/core/prepare-host.ts";
import { stateRoot } from "../../src/core/state-dir.ts";
import { planSpec } from "../../src/model/plan.ts";
import { Execed, FakeSys } from "./fake-sys.ts";
import { rootCtx } from "../helpers.ts";
import { NsboxError, SysError } from "../../src/base/errors.ts";
import { ERRNO } from "../../src/base/errno.ts";
import type { SocketSys } from "../../src/core/sys/socket.ts";

const PID = process.pid;
const START = 4242;
const ROOT = stateRoot();
const CG = "/sys/fs/cgroup";
const ID = `${PID}-${START}`;

/** A host with cgroup v2 holding memory, pids and cpu, and this process started at START. */
function fakeHost(extraFds: readonly number[] = []): FakeSys {
  // proc(5): field 22 (the 20th after the command) is the start time.
  const stat = `${PID} (nsbox) S ${Array.from({ length: 18 }, () => "0").join(" ")} ${START} 0 0`;
  return new FakeSys({
    dirs: [dirname(ROOT)],
    files: {
      [`/proc/${PID}/stat`]: stat,
      "/proc/self/mountinfo": `30 1 0:26 / ${CG} rw,nosuid,nodev,noexec - cgroup2 cgroup2 rw\n`,
      [`${CG}/cgroup.controllers`]: "cpu memory pids",
      [`${CG}/cgroup.subtree_control`]: "",
    },
    cgroupRoot: CG,
    kernelFiles: ["cgroup.subtree_control", "cgroup.procs", "memory.max", "memory.swap.max", "memory.events", "pids.max", "pids.events"],
    openFds: [5, ...extraFds],
    uid: 0,
  });
}

function spec(input: object = {}) {
  const r = planSpec({ name: "web", process: { argv: ["true"], keepFds: [5] }, limits: { memory: 64 << 20, pids: 20 }, ...input }, rootCtx);
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join("; "));
  return r.spec;
}

/** Runs execute() on the fake; returns the error it ended with (Execed when it got to the stage). */
function run(sys: FakeSys): unknown {
  try {
    execute(spec(), { sys });
  } catch (e) {
    return e;
  }
  throw new Error("execute returned");
}

const RECORD = `${ROOT}/sandboxes/${PID}.json`;
const NAME = `${ROOT}/names/web`;
const CGROUP_RECORD = `${ROOT}/cgroups/${ID}.json`;
const CGROUP_DIR = `${CG}/nsbox/${ID}`;

describe("execute over a FakeSys", () => {
  test("the effects, in order: fds, record, cgroups, the spec, the stage, execve", () => {
    const sys = fakeHost();
    const end = run(sys);
    expect(end).toBeInstanceOf(Execed);
    expect(sys.effects).toEqual([
      "keep-fd 5",
      `mkdir ${ROOT}`,
      `mkdir ${ROOT}/sandboxes`,
      `mkdir ${ROOT}/names`,
      `create ${NAME}`,
      `create ${RECORD}.tmp`,
      `rename ${RECORD}.tmp ${RECORD}`,
      `mkdir ${ROOT}/cgroups`,
      `create ${CGROUP_RECORD}`,
      `write ${CG}/cgroup.subtree_control`,
      `mkdir ${CG}/nsbox`,
      `write ${CG}/nsbox/cgroup.subtree_control`,
      `mkdir ${CGROUP_DIR}`,
      `write ${CGROUP_DIR}/memory.max`,
      `write ${CGROUP_DIR}/memory.swap.max`,
      `write ${CGROUP_DIR}/pids.max`,
      "memfd nsbox-spec",
      "memfd nsbox-stage",
      `execve ${(end as Execed).path}`,
    ]);
    expect((end as Execed).argv).toEqual(["nsbox", "--spec-fd", "100"]);
    expect(sys.fs.readFile(`${CGROUP_DIR}/memory.max`)).toBe(String(64 << 20));
    // The stage is told to remove the records when the sandbox ends, and where its cgroup is.
    const wire = new TextDecoder().decode(sys.memfds.get(100)!.bytes).split("\0");
    const after = (op: string) => wire.flatMap((t, i) => (t === op ? [wire[i + 1]] : []));
    expect(after("on-exit-unlink")).toEqual([RECORD, NAME, CGROUP_RECORD]);
    expect(after("cgroup")).toEqual([CGROUP_DIR]);
    expect(after("keep-fd")).toEqual(["5"]);
  });

  test("a failure at each effect undoes what came before, in reverse, and leaves the host as it was", () => {
    const clean = fakeHost();
    const before = clean.paths();
    run(clean);
    // Kept by design: nsbox's own state directories and the cgroup parent (gc collects it empty).
    const kept = new Set([ROOT, `${ROOT}/sandboxes`, `${ROOT}/names`, `${ROOT}/cgroups`, `${CG}/nsbox`]);
    for (let at = 0; at < clean.effects.length; at++) {
      const sys = fakeHost();
      sys.failAt = at;
      const end = run(sys);
      expect(end).not.toBeInstanceOf(Execed);
      expect(sys.effects[at]).toStartWith("FAILED ");
      // What was made before the failure, in order ("rename" moves a made file to its name) ...
      const made: string[] = [];
      for (const e of sys.effects.slice(0, at)) {
        const [op, a, b] = e.split(" ") as [string, string, string?];
        if (op === "mkdir" || op === "create") made.push(a);
        if (op === "rename") made[made.indexOf(a)] = b!;
      }
      // ... is removed after it, last first: nothing else happens after a failure.
      const undone = sys.effects.slice(at + 1).map((e) => e.split(" ")[1]);
      expect({ at: clean.effects[at], undone }).toEqual({ at: clean.effects[at], undone: made.filter((p) => !kept.has(p)).reverse() });
      expect(sys.paths().filter((p) => !kept.has(p))).toEqual(before);
    }
  });

  test("a name already taken by a running sandbox is refused before anything is made for this one", () => {
    const sys = fakeHost();
    run(sys);
    const second = fakeHost();
    // The same host, with the first sandbox's record and name on file and its process alive.
    for (const p of [RECORD, NAME]) {
      second.fs.mkdir(dirname(p), { recursive: true, mode: 0o700 });
      second.fs.writeFile(p, sys.fs.readFile(p));
    }
    second.effects.length = 0;
    const end = run(second);
    expect(String(end)).toContain("a sandbox named web is running");
    expect(second.effects).toEqual(["keep-fd 5"]);
  });
});

describe("prepareHost (selftest: not recorded, cgroups made)", () => {
  test("makes the cgroups only, and undo removes them and their record", () => {
    const sys = fakeHost([50, 51]);
    const before = sys.paths();
    const prepared = prepareHost(spec(), { record: false, cgroups: true, sys });
    expect(prepared.host.cgroups?.cloneInto).toBe(CGROUP_DIR);
    expect(prepared.host.onExitUnlink).toEqual([CGROUP_RECORD]);
    expect(sys.effects.filter((e) => e.includes("names") || e.includes("sandboxes"))).toEqual([]);
    prepared.undo();
    prepared.undo(); // a second undo does nothing
    expect(sys.effects.slice(-2)).toEqual([`rmdir ${CGROUP_DIR}`, `remove ${CGROUP_RECORD}`]);
    expect(sys.paths().filter((p) => !p.startsWith(ROOT) && p !== `${CG}/nsbox`)).toEqual(before);
  });
});

describe("runSteps", () => {
  test("undoes the steps done in reverse when one fails, even when an undo fails too", () => {
    const log: string[] = [];
    const step = (name: string, fail = false, undoFails = false) => ({
      name,
      prepare() {
        if (fail) throw new Error(`${name} failed`);
        log.push(`do ${name}`);
        return () => {
          log.push(`undo ${name}`);
          if (undoFails) throw new Error(`undo ${name} failed`);
        };
      },
    });
    expect(() => runSteps([step("a"), step("b", false, true), step("c"), step("d", true)], {})).toThrow("d failed");
    expect(log).toEqual(["do a", "do b", "do c", "undo c", "undo b", "undo a"]);
  });
});

describe("--publish listeners over a fake socket seam", () => {
  /** Sockets from fd 50 up; binding port 18000 fails as in use; every call logged. */
  function fakeSockets(log: string[]): SocketSys {
    let next = 50;
    const bound = new Map<number, Uint8Array>();
    return {
      streamSocket: (family) => (log.push(`socket ${family}`), next++),
      setIntOption: () => {},
      chmodSocket: () => {},
      bind(fd, sockaddr, what) {
        if (what.endsWith(":18000")) throw new SysError("bind", ERRNO.EADDRINUSE, "EADDRINUSE", what);
        bound.set(fd, sockaddr);
        log.push(`bind ${what}`);
      },
      listen: (fd) => void log.push(`listen ${fd}`),
      sockname: (fd) => bound.get(fd)!,
      tryConnect: () => 0,
      close: (fd) => void log.push(`close ${fd}`),
    };
  }
  const published = (...hosts: string[]) => spec({ network: { mode: "none", publish: hosts.map((host, i) => ({ host, port: 80 + i })) } });

  test("opened first, handed across exec, on the wire as publish FD PORT", () => {
    const log: string[] = [];
    const sys = fakeHost([50, 51]);
    let end: unknown;
    try {
      execute(published("127.0.0.1:8080", "[::1]:8081"), { sys, sockets: fakeSockets(log) });
    } catch (e) {
      end = e;
    }
    expect(end).toBeInstanceOf(Execed);
    // (The fake execve returns by throwing, so execute's undo then closes them: not so after a real one.)
    expect(log.slice(0, 6)).toEqual(["socket 2", "bind 127.0.0.1:8080", "listen 50", "socket 10", "bind [::1]:8081", "listen 51"]);
    expect(sys.effects.slice(0, 3)).toEqual(["keep-fd 50", "keep-fd 51", "keep-fd 5"]);
    const wire = new TextDecoder().decode(sys.memfds.get(100)!.bytes).split("\0").join(" ");
    expect(wire).toContain("publish 50 80 publish 51 81");
  });

  test("a port in use: one line naming it, exit 125, the listeners already open closed, nothing made", () => {
    const log: string[] = [];
    const sys = fakeHost([50, 51]);
    const before = sys.paths();
    let err: unknown;
    try {
      execute(published("127.0.0.1:8080", "127.0.0.1:18000"), { sys, sockets: fakeSockets(log) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NsboxError);
    expect((err as NsboxError).message).toBe("--publish 127.0.0.1:18000: the address is in use");
    expect((err as NsboxError).exitCode).toBe(125);
    expect(log).toEqual(["socket 2", "bind 127.0.0.1:8080", "listen 50", "socket 2", "close 51", "close 50"]);
    expect(sys.effects).toEqual([]);
    expect(sys.paths()).toEqual(before);
  });

  test("a later failure closes the listeners", () => {
    const log: string[] = [];
    const sys = fakeHost([50]);
    sys.failAt = 2; // after the two keep-fds: creating the state directory
    expect(() => execute(published("127.0.0.1:8080"), { sys, sockets: fakeSockets(log) })).toThrow();
    expect(log.at(-1)).toBe("close 50");
  });
});
