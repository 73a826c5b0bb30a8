// When a sandbox may be joined (src/core/sandbox-ready.ts), on a fake /proc: ready only once its
// command has exec'd, with every process checked to be the child of the one before it.
import { describe, expect, test } from "bun:test";
import { NsboxError } from "../../src/base/errors.ts";
import { procStat } from "../../src/core/proc.ts";
import { openSandboxNamespaces } from "../../src/core/sandbox-namespaces.ts";
import { awaitSandboxReady, sandboxState } from "../../src/core/sandbox-ready.ts";
import type { SandboxRecord } from "../../src/core/sandbox-record.ts";
import { planSpec } from "../../src/model/plan.ts";
import { rootCtx } from "../helpers.ts";

const SUPERVISOR = 100, INIT = 101, COMMAND = 102;
const FORKED = 0x40; // PF_FORKNOEXEC: not exec'd since the fork

interface FakeProc {
  ppid: number;
  flags: number;
  start: number;
  state?: string;
  children?: number[];
}

/** A /proc holding `procs`: stat and children files, ENOENT for anything else. */
function fakeProc(procs: Record<number, FakeProc>) {
  return {
    readFile(path: string): string {
      const [, pid, file] = /^\/proc\/(\d+)\/(stat|task\/\d+\/children)$/.exec(path) ?? [];
      const p = procs[Number(pid)];
      if (!p) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      if (file !== "stat") return (p.children ?? []).map((c) => `${c} `).join("");
      // Fields 3 on: state ppid pgrp session tty tpgid flags ... starttime (22) ...
      const fields = [p.state ?? "S", p.ppid, 1, 1, 0, -1, p.flags, ...Array(12).fill(0), p.start, 0];
      return `${pid} (a (b) c) ${fields.join(" ")}\n`;
    },
  };
}

function record(init = true): SandboxRecord {
  const r = planSpec({ process: { argv: ["sleep", "30"], init } }, rootCtx);
  if (!r.ok) throw new Error("bad spec");
  return { version: 1, name: "web", pid: SUPERVISOR, startTime: 7, createdAt: "2026-01-01T00:00:00.000Z", spec: r.spec };
}

const supervisor = (children: number[] = [INIT]): FakeProc => ({ ppid: 1, flags: 0, start: 7, children });
const init = (children: number[] = [COMMAND]): FakeProc => ({ ppid: SUPERVISOR, flags: FORKED, start: 8, children });
const command = (flags: number, more: Partial<FakeProc> = {}): FakeProc => ({ ppid: INIT, flags, start: 9, ...more });

describe("procStat", () => {
  test("reads state, parent, flags and start time past a command name with spaces and parentheses", () => {
    expect(procStat(COMMAND, fakeProc({ [COMMAND]: command(FORKED | 0x400000) }))).toEqual({ state: "S", ppid: INIT, flags: 0x400040, startTime: 9 });
    expect(procStat(COMMAND, fakeProc({}))).toBeUndefined();
  });
});

describe("sandboxState", () => {
  const ready = { state: "ready", init: { pid: INIT, start: 8 }, command: { pid: COMMAND, start: 9 } } as const;

  test("ready once the init's command has exec'd", () => {
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: init(), [COMMAND]: command(0) }))).toEqual(ready);
  });

  test("starting before the clone, before the payload exists, and before it execs", () => {
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: supervisor([]) }))).toEqual({ state: "starting" });
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: init([]) }))).toEqual({ state: "starting" });
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: init(), [COMMAND]: command(FORKED) }))).toEqual({ state: "starting" });
  });

  test("without an init of its own, the sandbox's first process is the command: ready once it exec'd", () => {
    const first = (flags: number) => ({ ppid: SUPERVISOR, flags, start: 8 });
    expect(sandboxState(record(false), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: first(FORKED) }))).toEqual({ state: "starting" });
    expect(sandboxState(record(false), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: first(0) }))).toEqual({ state: "ready", init: { pid: INIT, start: 8 }, command: { pid: INIT, start: 8 } });
  });

  test("ended once the supervisor is gone or another process has its pid", () => {
    expect(sandboxState(record(), fakeProc({ [INIT]: init(), [COMMAND]: command(0) }))).toEqual({ state: "ended" });
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: { ...supervisor(), start: 70 }, [INIT]: init(), [COMMAND]: command(0) }))).toEqual({ state: "ended" });
  });

  test("a listed pid now owned by another parent (reused) is not the sandbox's", () => {
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: init(), [COMMAND]: command(0, { ppid: 1 }) }))).toEqual({ state: "starting" });
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: { ...init(), ppid: 1 }, [COMMAND]: command(0) }))).toEqual({ state: "starting" });
  });

  test("a command that exited (a zombie) makes no sandbox to join", () => {
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: init(), [COMMAND]: command(0, { state: "Z" }) }))).toEqual({ state: "starting" });
  });

  test("a first child that exec'd is not the stage's init, which never execs", () => {
    expect(sandboxState(record(), fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: { ...init(), flags: 0 }, [COMMAND]: command(0) }))).toEqual({ state: "starting" });
  });
});

describe("awaitSandboxReady", () => {
  /** A clock that moves only when the wait sleeps, and a /proc that changes after `after` sleeps. */
  function waiting(after: number, then: Record<number, FakeProc>) {
    let t = 0;
    const before = fakeProc({ [SUPERVISOR]: supervisor(), [INIT]: init(), [COMMAND]: command(FORKED) });
    const later = fakeProc(then);
    return { fs: { readFile: (p: string) => (t / 5 >= after ? later : before).readFile(p) }, now: () => t, sleep: (ms: number) => void (t += ms), slept: () => t / 5 };
  }

  test("polls until the command has exec'd", () => {
    const w = waiting(3, { [SUPERVISOR]: supervisor(), [INIT]: init(), [COMMAND]: command(0) });
    expect(awaitSandboxReady(record(), { ...w, pollMs: 5 })).toEqual({ init: { pid: INIT, start: 8 }, command: { pid: COMMAND, start: 9 } });
    expect(w.slept()).toBe(3);
  });

  test("a sandbox still starting after the bound is refused with one line", () => {
    const w = waiting(Infinity, {});
    const refusal = (() => {
      try {
        awaitSandboxReady(record(), { ...w, pollMs: 5, totalMs: 100 });
      } catch (e) {
        return e;
      }
    })();
    expect(refusal).toBeInstanceOf(NsboxError);
    expect((refusal as NsboxError).message).toBe("the sandbox web is still starting; try again");
    expect((refusal as NsboxError).exitCode).toBe(125);
    expect((refusal as NsboxError).hint).toBeUndefined();
    expect(w.slept()).toBe(20);
  });

  test("a sandbox that ends while starting is never waited for to the end", () => {
    const w = waiting(2, {});
    expect(() => awaitSandboxReady(record(), { ...w, pollMs: 5 })).toThrow("the sandbox web ended");
    expect(w.slept()).toBe(2);
  });

  test("exec's namespaces are opened only once the sandbox is ready", () => {
    const w = waiting(Infinity, {});
    expect(() => openSandboxNamespaces(record(), ["user", "mnt"], { ...w, totalMs: 0 })).toThrow("the sandbox web is still starting; try again");
  });
});
