// The last step of `run`, whether the spec was just planned or came from the plan cache: the
// warnings a start always prints (risks taken on purpose, binds the sandbox cannot write), then
// the launch, which execs into the stage and never returns.
import { logger } from "../core/log.ts";
import { unwritableBindWarnings } from "../core/bind-access.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { riskWarnings } from "../model/risks.ts";
import type { Launch } from "./io.ts";

const log = logger("run");

export function launchSpec(spec: NormalSpec, launch: Launch): never {
  for (const warning of [...riskWarnings(spec), ...unwritableBindWarnings(spec)]) log.warn(warning);
  return launch(spec);
}
