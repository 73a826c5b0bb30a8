// NSBOX_TRACE: the phases of a start, from nsbox and from the stage, on one clock; nothing without it.
import { expect, test } from "bun:test";
import { describeRoot, nsbox } from "./harness.ts";

const PHASES = [
  "bun started (first JS)", "modules loaded", "context read", "parsed and planned", "host prepared", "wire encoded",
  "stage ready (execve)", "stage: start", "stage: spec decoded", "stage: clone", "stage: cloned", "stage: id maps written",
  "stage: child released", "stage: root built", "stage: child set up", "stage: payload execve",
];

describeRoot("NSBOX_TRACE", () => {
  test("each phase of `run` once, in order, on a clock that never goes back; the payload's output is untouched", () => {
    const r = nsbox(["run", "--", "echo", "hi"], { env: { NSBOX_TRACE: "1" } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("hi\n");
    const lines = [...r.stderr.matchAll(/^nsbox-trace:\s+([\d.]+) ms {2}(.+)$/gm)];
    expect(lines.map((m) => m[2])).toEqual(PHASES);
    expect(r.stderr.split("\n").filter((l) => l && !l.startsWith("nsbox-trace: "))).toEqual([]);
    const times = lines.map((m) => Number(m[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  test("off (unset or 0): not a byte more on stderr", () => {
    expect(nsbox(["run", "--", "true"]).stderr).toBe("");
    expect(nsbox(["run", "--", "true"], { env: { NSBOX_TRACE: "0" } }).stderr).toBe("");
  });
});
