// Compiles the default seccomp policy at build time into dist/seccomp-default.bpf, which the
// binary embeds: every default `nsbox run` then loads it without opening libseccomp (about 8 ms
// of start-up). The program depends only on the architecture, which the binary is built for.
// Usage: bun scripts/build-seccomp.ts [--arch x86_64|aarch64 --out FILE]  (a release build of
// another architecture passes its own; libseccomp compiles for any of them on any host)
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

export const SECCOMP_DEFAULT_OUT = "dist/seccomp-default.bpf";
/** AUDIT_ARCH_* tokens (include/uapi/linux/audit.h), which libseccomp uses as SCMP_ARCH_*. */
const AUDIT_ARCH: Record<string, number> = { x86_64: 0xc000003e, aarch64: 0xc00000b7 };

const { values: opts } = parseArgs({ options: { arch: { type: "string" }, out: { type: "string" } } });
const arch = opts.arch === undefined ? undefined : AUDIT_ARCH[opts.arch];
if (opts.arch !== undefined && arch === undefined) throw new Error(`build-seccomp: unknown --arch '${opts.arch}' (x86_64 or aarch64)`);

// The compiler's module imports the embedded file itself: an empty one stands in until it exists
// (and an empty one is never used: see embeddedDefaultFilter).
mkdirSync("dist", { recursive: true });
if (!existsSync(SECCOMP_DEFAULT_OUT)) writeFileSync(SECCOMP_DEFAULT_OUT, "");
const v = await import("valibot");
const { compileSeccomp } = await import("../src/core/seccomp.ts");
const { SeccompPolicy } = await import("../src/model/seccomp-policy.ts");
const { openLibseccomp } = await import("../src/core/sys/libseccomp.ts");

const lib = arch === undefined ? undefined : openLibseccomp(undefined, arch);
const bpf = compileSeccomp(v.parse(SeccompPolicy, {}), lib, { embedded: false });
if (!bpf) throw new Error("the default policy compiled to no filter");
writeFileSync(opts.out ?? SECCOMP_DEFAULT_OUT, bpf);
