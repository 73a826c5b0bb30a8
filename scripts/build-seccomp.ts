// Compiles the default seccomp policy at build time into dist/seccomp-default.bpf, which the
// binary embeds: every default `nsbox run` then loads it without opening libseccomp (about 8 ms
// of start-up). The program depends only on the architecture, which the binary is built for.
// Usage: bun scripts/build-seccomp.ts
import { existsSync, mkdirSync, writeFileSync } from "node:fs";

export const SECCOMP_DEFAULT_OUT = "dist/seccomp-default.bpf";

// The compiler's module imports the embedded file itself: an empty one stands in until it exists
// (and an empty one is never used: see embeddedDefaultFilter).
mkdirSync("dist", { recursive: true });
if (!existsSync(SECCOMP_DEFAULT_OUT)) writeFileSync(SECCOMP_DEFAULT_OUT, "");
const v = await import("valibot");
const { compileSeccomp } = await import("../src/core/seccomp.ts");
const { SeccompPolicy } = await import("../src/model/seccomp-policy.ts");

const bpf = compileSeccomp(v.parse(SeccompPolicy, {}), undefined, { embedded: false });
if (!bpf) throw new Error("the default policy compiled to no filter");
writeFileSync(SECCOMP_DEFAULT_OUT, bpf);
