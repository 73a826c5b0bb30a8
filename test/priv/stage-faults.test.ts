// The stage fails closed when a call it cannot do without fails: a test build of the stage with
// test/fixtures/stage-faults/faults.c linked over prctl, sigaction, sigprocmask, signal, fcntl and
// syscall (-Wl,--wrap) makes one chosen call fail; the stage must then refuse to run the payload,
// with one line saying which step failed. A positive control runs the same build with no fault.
import { beforeAll, expect, test } from "bun:test";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildStage } from "../../scripts/build.ts";
import { describeRoot } from "./harness.ts";
import { BASE, lines, sh, stage, temp } from "./stage-driver.ts";

const ROOT = resolve(import.meta.dir, "../..");
const WRAPPED = ["prctl", "sigaction", "sigprocmask", "signal", "fcntl", "syscall"];
// Small enough that one long on-exit path fills it; every other test here keeps none.
const ARENA_BYTES = 256;
const PR_SET_PDEATHSIG = 1, SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2, F_SETFD = 2;
const SIGBUS = 7, SIGPIPE = 13, SIGTERM = 15, SIGCHLD = 17;
// close_range(2) has one number on every architecture (it came after the syscall table merge).
const SYS_CLOSE_RANGE = 436;

let faulty = "";
beforeAll(() => {
  faulty = join(temp(), "nsbox-stage-faults");
  buildStage(faulty, [join(ROOT, "test/fixtures/stage-faults/faults.c"), `-DARENA_BYTES=${ARENA_BYTES}`, `-Wl,${WRAPPED.map((f) => `--wrap=${f}`).join(",")}`], ROOT);
});

/** Runs `tokens` on the test build with the given calls failing. */
const withFault = (fault: string, tokens: (string | number)[]) => stage(tokens, [], { NSBOX_FAULT: fault }, faulty);
const payload = sh("echo payload ran");

/** A refusal: exit 125, the payload never ran, one line naming what failed. */
function expectRefused(r: ReturnType<typeof stage>, line: RegExp): void {
  expect(r.stdout).toBe("");
  expect(r.code).toBe(125);
  expect(lines(r.stderr)).toHaveLength(1);
  expect(r.stderr).toMatch(line);
}

describeRoot("stage: failing closed when a call fails", () => {
  test("control: the test build runs the payload when nothing fails", () => {
    const r = withFault("", [...BASE, ...payload]);
    expect(r).toMatchObject({ code: 0, stdout: "payload ran\n", stderr: "" });
  });

  test("the parent-death signal of the sandbox, and of --die-with-parent", () => {
    expectRefused(withFault(`prctl:${PR_SET_PDEATHSIG}`, [...BASE, ...payload]), /lifeline: PR_SET_PDEATHSIG: .*EPERM/);
    expectRefused(withFault(`prctl:${PR_SET_PDEATHSIG}`, [...BASE, "die-with-parent", 1, ...payload]), /die-with-parent: PR_SET_PDEATHSIG: .*EPERM/);
  });

  test("the supervisor's signal dispositions and mask", () => {
    expectRefused(withFault(`sigaction:${SIGCHLD}`, [...BASE, ...payload]), /signals: SIGCHLD to its default/);
    expectRefused(withFault(`sigprocmask:${SIG_BLOCK}`, [...BASE, ...payload]), /signals: block the forwarded signals/);
    expectRefused(withFault(`sigaction:${SIGTERM}`, [...BASE, ...payload]), /signals: forward signal 15/);
    expectRefused(withFault(`sigprocmask:${SIG_UNBLOCK}`, [...BASE, ...payload]), /signals: unblock the forwarded signals/);
    expectRefused(withFault(`signal:${SIGPIPE}`, [...BASE, ...payload]), /signals: ignore SIGPIPE/);
  });

  test("the init's mask, and the payload's signal defaults and mask", () => {
    expectRefused(withFault(`sigprocmask:${SIG_SETMASK}`, [...BASE, "init", 1, ...payload]), /init: signal mask and SIGCHLD/);
    expectRefused(withFault(`sigaction:${SIGBUS}`, [...BASE, "init", 0, ...payload]), /signals: signal 7 to its default/);
    expectRefused(withFault(`sigprocmask:${SIG_SETMASK}`, [...BASE, "init", 0, ...payload]), /signals: unblock all signals/);
  });

  test("the close-on-exec fallback (no CLOSE_RANGE_CLOEXEC) works, and fails closed", () => {
    // The fallback alone: the payload sees its stdio and nothing else of the stage's.
    const fallback = withFault(`syscall:${SYS_CLOSE_RANGE}`, [...BASE, ...sh("ls /proc/self/fd | sort -n | tr '\\n' ' '")]);
    expect(fallback).toMatchObject({ code: 0, stdout: "0 1 2 3 ", stderr: "" }); // 3: ls's own directory fd
    expectRefused(withFault(`syscall:${SYS_CLOSE_RANGE},fcntl:${F_SETFD}`, [...BASE, ...payload]), /close-fds: fd \d+: .*EPERM/);
  });

  test("the fallback closes fds above a NOFILE limit the spec lowered", () => {
    // 20 files on fds 4..23; the payload's limit is 16, applied before its fds are prepared.
    const d = temp();
    writeFileSync(`${d}/f`, "");
    const fds = Array.from({ length: 20 }, () => openSync(`${d}/f`, "r"));
    try {
      const r = stage([...BASE, "rlimit", "NOFILE", 16, 16, ...sh("ls /proc/self/fd | sort -n | tr '\\n' ' '")], fds, { NSBOX_FAULT: `syscall:${SYS_CLOSE_RANGE}` }, faulty);
      expect(r).toMatchObject({ code: 0, stdout: "0 1 2 3 ", stderr: "" });
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  });

  test("a full arena of kept strings stops the run instead of keeping an empty path", () => {
    const d = temp();
    const long = `${d}/${"r".repeat(ARENA_BYTES)}`;
    expectRefused(withFault("", [...BASE, "on-exit-unlink", long, ...payload]), /internal: no room left to keep \d+ more bytes/);
  });
});
