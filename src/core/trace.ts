// NSBOX_TRACE=1: one line per start-up phase on stderr, in ms on Bun's clock (performance.now(),
// which starts when Bun's runtime does; exec and mapping the binary come before it). Lines are
// kept and written once, just before nsbox execs into the stage or exits, so tracing barely
// changes what it measures. The stage continues on the same clock (its NSBOX_TRACE is given our
// origin in epoch microseconds) with lines of its own (src/native/stage/trace.c).
import { writeSync } from "node:fs";

const enabled = (process.env.NSBOX_TRACE ?? "0") !== "0" && process.env.NSBOX_TRACE !== "";
const lines: string[] = [];

/** Marks the end of a phase. */
export function tracePhase(name: string, at = performance.now()): void {
  if (enabled) lines.push(`nsbox-trace: ${at.toFixed(2).padStart(8)} ms  ${name}\n`);
}

/** Writes the phases traced so far. */
export function traceFlush(): void {
  if (lines.length) writeSync(2, lines.splice(0).join(""));
}

/** The stage's environment: tracing on the same clock, or nothing at all. */
export function stageTraceEnv(): string[] {
  return enabled ? [`NSBOX_TRACE=${Math.round(performance.timeOrigin * 1000)}`] : [];
}
