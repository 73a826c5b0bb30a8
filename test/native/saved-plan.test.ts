// The saved-plan file layout (PLAN.md): what the stage reads back and checks is exercised for real
// in test/priv/saved-plan.test.ts; here only the writer's bytes.
import { describe, expect, test } from "bun:test";
import { encodeSavedPlan, type SavedPlanHeader } from "../../src/native/saved-plan.ts";
import { sha256Hex } from "../../src/native/sha256.ts";

const HEADER: SavedPlanHeader = {
  stagePath: "/usr/local/lib/nsbox/nsbox-stage",
  nsboxVersion: "1.2.3",
  stageSha256: "ab".repeat(32),
  stageFile: ["2049", "131", "148872", "1765000000123456789", "1765000000987654321"],
  kernel: "6.18.0 x86_64",
  appendArgs: false,
};
const WIRE = new TextEncoder().encode("nsbox-wire\u00001\u0000end\u0000");

describe("encodeSavedPlan", () => {
  test("an interpreter line, the header, a sha256 over every other byte, then the wire bytes", () => {
    const text = new TextDecoder().decode(encodeSavedPlan(HEADER, WIRE));
    const head = `#!/usr/local/lib/nsbox/nsbox-stage --plan\nnsbox-plan 2\nnsbox 1.2.3\nstage-sha256 ${"ab".repeat(32)}\nstage-file 2049 131 148872 1765000000123456789 1765000000987654321\nkernel 6.18.0 x86_64\nargs fixed\n`;
    expect(text).toBe(`${head}sha256 ${sha256Hex(`${head}nsbox-wire\u00001\u0000end\u0000`)}\nnsbox-wire\u00001\u0000end\u0000`);
    expect(new TextDecoder().decode(encodeSavedPlan({ ...HEADER, appendArgs: true }, WIRE))).toContain("\nargs append\n");
  });

  test("refuses a stage path the kernel cannot take as an interpreter, and newlines in header values", () => {
    for (const stagePath of ["relative/stage", "/with space/stage", `/${"x".repeat(300)}`]) {
      expect(() => encodeSavedPlan({ ...HEADER, stagePath }, WIRE)).toThrow("cannot be an interpreter line");
    }
    expect(() => encodeSavedPlan({ ...HEADER, kernel: "6.18\nsha256 x" }, WIRE)).toThrow("has a newline");
    for (const stageFile of [["1", "2", "3", "4"], ["1", "2", "3", "4", "05"], ["1", "2", "3", "4", "5 6"]]) {
      expect(() => encodeSavedPlan({ ...HEADER, stageFile }, WIRE)).toThrow("is not five decimal numbers");
    }
  });
});
