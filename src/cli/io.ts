// What a command may use of the process it runs in: stdout for its data, the caller's facts for
// planning, and how a planned sandbox is started. Tests hand in their own.
import type { ExecuteOptions } from "../core/execute.ts";
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import type { PlanFacts } from "./sandbox-command.ts";

/** Starts a planned sandbox and never returns (core/execute.ts: the exec into the stage). */
export type Launch = (spec: NormalSpec, options?: ExecuteOptions) => never;

export interface CliIo {
  stdout(data: string | Uint8Array): void;
  context(): PlanContext;
  /** Instead of core/execute.ts: a test sees exactly what `run` hands the core. */
  launch?: Launch;
  /** Instead of the host's own (sandbox-command.ts hostPlanFacts). */
  facts?: PlanFacts;
}
