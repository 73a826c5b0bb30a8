// The default policy's filter, compiled when nsbox was built (scripts/build-seccomp.ts) and
// embedded in the binary. Used only for a policy equal to the default one, which is recognised
// without valibot (a start from the plan cache builds no schema at all).
import { readFileSync } from "node:fs";
import bpfPath from "../../dist/seccomp-default.bpf" with { type: "file" };
import { DEFAULT_SECCOMP_POLICY, type SeccompPolicy } from "../model/seccomp-rules.ts";

const DEFAULT_POLICY = JSON.stringify(DEFAULT_SECCOMP_POLICY);

/** The embedded program when `policy` is exactly the default one, else undefined. */
export function embeddedDefaultFilter(policy: SeccompPolicy): Uint8Array | undefined {
  if (JSON.stringify(policy) !== DEFAULT_POLICY) return undefined;
  const bpf = readFileSync(bpfPath);
  // Empty while the build has not compiled it yet (scripts/build-seccomp.ts).
  return bpf.length > 0 ? bpf : undefined;
}
