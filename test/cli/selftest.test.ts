import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/base/errors.ts";
import type { ProbeVerdict } from "../../src/core/selftest/probes.ts";
import type { CliIo } from "../../src/cli/index.ts";
import { formatVerdicts, selftestCommand } from "../../src/cli/selftest.ts";
import { EXIT_VERDICT, VerdictFailure } from "../../src/base/errors.ts";
import { rootCtx } from "../helpers.ts";

const io: CliIo = { stdout: () => {}, context: () => rootCtx };

describe("selftest", () => {
  test("one aligned line per probe, then the counts", () => {
    const verdicts: ProbeVerdict[] = [
      { probe: "signal", verdict: "EXPOSED", detail: "stopped a host process with SIGSTOP", observedFrom: "host" },
      { probe: "bpf", verdict: "CONTAINED", detail: "bpf-prog-load: EPERM", observedFrom: "sandbox" },
      { probe: "sysrq", verdict: "SKIPPED", detail: "this kernel has no /proc/sysrq-trigger", observedFrom: "host" },
    ];
    expect(formatVerdicts(verdicts)).toBe(
      [
        "EXPOSED    signal  stopped a host process with SIGSTOP (seen from the host)",
        "CONTAINED  bpf     bpf-prog-load: EPERM (seen from the sandbox)",
        "SKIPPED    sysrq   this kernel has no /proc/sysrq-trigger (seen from the host)",
        "3 probes: 1 contained, 1 exposed, 1 skipped",
        "",
      ].join("\n"),
    );
  });

  test("takes no command, and bad options are usage errors before anything runs", async () => {
    await expect(selftestCommand(["--", "sh"], io)).rejects.toBeInstanceOf(UsageError);
    await expect(selftestCommand(["true"], io)).rejects.toBeInstanceOf(UsageError);
    await expect(selftestCommand(["--frob"], io)).rejects.toBeInstanceOf(UsageError);
  });

  test("its verdict exit is 1: neither usage (2) nor nsbox failing (125)", () => {
    expect(EXIT_VERDICT).toBe(1);
    expect(new VerdictFailure("x").exitCode).toBe(1);
  });
});
