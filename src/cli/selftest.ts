// `nsbox selftest [OPTIONS] [--json]`: runs probes inside exactly the sandbox `run` would build
// with the same options and prints a verdict per probe, CONTAINED or EXPOSED and why. Exit 0 when
// nothing got out (SKIPPED probes have nothing to test on this host), 1 when a probe is EXPOSED
// or never reported (a verdict on the sandbox, not a failure of nsbox: that stays 125).
import { runSelftest } from "../core/selftest/run-selftest.ts";
import { allContained, type ProbeVerdict } from "../core/selftest/probes.ts";
import { UsageError } from "../base/errors.ts";
import { logger } from "../core/log.ts";
import { riskWarnings } from "../model/risks.ts";
import type { CliIo } from "./io.ts";
import { applyLogFlags, LOG_FLAGS } from "./log-flags.ts";
import { parseSandboxArgs, type ExtraFlag } from "./parse-args.ts";
import { PROFILE_FLAG, planFromArgs } from "./sandbox-command.ts";
import { VerdictFailure } from "../base/errors.ts";

const log = logger("selftest");

export const SELFTEST_USAGE = "nsbox selftest [OPTIONS] [--json]";

export const SELFTEST_FLAGS: readonly ExtraFlag[] = [
  ...LOG_FLAGS,
  { name: "json", args: [], help: "print an array of {probe, verdict, detail, observedFrom}" },
];

/** One line per probe: verdict, probe, why, and from where it was seen; then the counts. */
export function formatVerdicts(verdicts: readonly ProbeVerdict[]): string {
  const width = Math.max(...verdicts.map((v) => v.probe.length));
  const lines = verdicts.map((v) => `${v.verdict.padEnd(9)}  ${v.probe.padEnd(width)}  ${v.detail} (seen from the ${v.observedFrom})`);
  const count = (verdict: ProbeVerdict["verdict"]) => verdicts.filter((v) => v.verdict === verdict).length;
  const untested = count("UNTESTED");
  lines.push(`${verdicts.length} probes: ${count("CONTAINED")} contained, ${count("EXPOSED")} exposed, ${count("SKIPPED")} skipped${untested ? `, ${untested} untested` : ""}`);
  return `${lines.join("\n")}\n`;
}

export async function selftestCommand(args: readonly string[], io: CliIo): Promise<void> {
  const own = args.at(-1) === "--" ? args.slice(0, -1) : [...args];
  if (parseSandboxArgs(own, [PROFILE_FLAG, ...SELFTEST_FLAGS], SELFTEST_USAGE).command.length > 0) {
    throw new UsageError("selftest takes no command: it runs its own probes in the sandbox", `usage: ${SELFTEST_USAGE}`);
  }
  // The command is a placeholder: runSelftest puts the probe program there.
  const { spec, extras } = planFromArgs([...own, "--", "nsbox-probe"], SELFTEST_FLAGS, SELFTEST_USAGE, io.context());
  applyLogFlags(extras);
  for (const warning of riskWarnings(spec)) log.warn(warning);
  const { verdicts } = await runSelftest(spec);
  io.stdout(extras.has("json") ? `${JSON.stringify(verdicts, null, 2)}\n` : formatVerdicts(verdicts));
  if (!allContained(verdicts)) {
    const out = verdicts.filter((v) => v.verdict === "EXPOSED" || v.verdict === "UNTESTED").map((v) => `${v.probe} ${v.verdict.toLowerCase()}`);
    throw new VerdictFailure(`selftest: ${out.join(", ")}`, "exit status 1: the sandbox let something through (see the report)");
  }
}
