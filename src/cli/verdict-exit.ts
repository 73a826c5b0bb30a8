// The exit status of commands whose answer is a verdict (`selftest`, `explain NAME`): 1 says the
// check found something (a probe got out, a sandbox drifted from its spec). It is neither 2 (bad
// usage) nor 125 (nsbox itself failed): the report was printed in full before it.
import { NsboxError } from "../core/errors.ts";

export const EXIT_VERDICT = 1;

export class VerdictFailure extends NsboxError {
  constructor(message: string, hint?: string) {
    super(message, EXIT_VERDICT, hint);
  }
}
