// NSBOX_TRACE: the phases of a start, from nsbox and from the stage, on one clock; nothing without it.
import { expect, test } from "bun:test";
import { describeRoot, nsbox } from "./harness.ts";

const START = ["bun started (first JS)", "start modules loaded", "context read"];
const PLANNING = ["planning modules loaded", "parsed and planned"];
const STAGE = [
  "host prepared", "wire encoded", "stage ready (execve)", "stage: start", "stage: spec decoded", "stage: clone", "stage: cloned",
  "stage: id maps written", "stage: child released", "stage: root built", "stage: child set up", "stage: payload execve",
];

/** The phases a run traced, in the order printed; checks the clock never goes back and nothing else is on stderr. */
function tracedPhases(env: Record<string, string>): string[] {
  const r = nsbox(["run", "--", "echo", "hi"], { env: { NSBOX_TRACE: "1", ...env } });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe("hi\n");
  const lines = [...r.stderr.matchAll(/^nsbox-trace:\s+([\d.]+) ms {2}(.+)$/gm)];
  expect(r.stderr.split("\n").filter((l) => l && !l.startsWith("nsbox-trace: "))).toEqual([]);
  const times = lines.map((m) => Number(m[1]));
  expect(times).toEqual([...times].sort((a, b) => a - b));
  return lines.map((m) => m[2]!);
}

describeRoot("NSBOX_TRACE", () => {
  test("each phase of `run` once, in order, on a clock that never goes back; the payload's output is untouched", () => {
    // An environment of its own: its own plan cache key, planned on the first run, cached after.
    const env = { TRACE_TEST: crypto.randomUUID() };
    expect(tracedPhases(env)).toEqual([...START, "plan cache miss", ...PLANNING, "plan cached", ...STAGE]);
    expect(tracedPhases(env)).toEqual([...START, "plan cache hit", ...STAGE]);
    expect(tracedPhases({ ...env, NSBOX_PLAN_CACHE: "0" })).toEqual([...START, ...PLANNING, ...STAGE]);
  });

  test("off (unset or 0): not a byte more on stderr", () => {
    expect(nsbox(["run", "--", "true"]).stderr).toBe("");
    expect(nsbox(["run", "--", "true"], { env: { NSBOX_TRACE: "0" } }).stderr).toBe("");
  });
});
