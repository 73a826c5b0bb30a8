// The default release (x64, x64-baseline, arm64) built by scripts/release.ts, which itself runs
// each artifact (--version, check, the embedded files, the stage's wire self-check) natively,
// under qemu-x86_64-static -cpu Nehalem (no AVX2) and qemu-aarch64-static. This file checks what
// that run leaves: the files, their architectures, the signature, the notes, the arm64 filter.
// It needs the cross toolchain (gcc-aarch64-linux-gnu, qemu-user-static, libc6-arm64-cross,
// minisign); elsewhere it is skipped saying so, in CI a missing one fails.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SCMP_ACT_ALLOW } from "../../src/core/sys/libseccomp.ts";
import { runSeccompBpf } from "../core/bpf-emulator.ts";
import { CACHE } from "../../scripts/release-toolchain.ts";
import { CROSS_MISSING as missing, REPO, sharedRelease, type TestKey } from "./fixture.ts";

if (missing.length > 0 && process.env.CI) throw new Error(`test/release/cross.test.ts: missing ${missing.join(", ")} in CI`);
const describeCross: typeof describe =
  missing.length === 0 ? describe : ((name: string, fn: () => void) => describe.skip(`${name} (skipped: needs ${missing.join(", ")})`, fn)) as typeof describe;

const ARTIFACTS = ["nsbox-linux-arm64", "nsbox-linux-x64", "nsbox-linux-x64-baseline"];
/** ELF e_machine (offset 18, little-endian): EM_X86_64 62, EM_AARCH64 183. */
const machine = (file: string): number => readFileSync(file).readUInt16LE(18);

let key: TestKey;
let out: string;

beforeAll(() => {
  if (missing.length > 0) return;
  ({ dir: out, key } = sharedRelease());
}, 600_000);

describeCross("the default release, cross-built and run under qemu", () => {
  test("one artifact per target, each for its own machine, with its own static stage", () => {
    expect(machine(join(out, "nsbox-linux-x64"))).toBe(62);
    expect(machine(join(out, "nsbox-linux-x64-baseline"))).toBe(62);
    expect(machine(join(out, "nsbox-linux-arm64"))).toBe(183);
    const stage = join(REPO, CACHE, "build/arm64/nsbox-stage");
    expect(machine(stage)).toBe(183);
    // Static: no PT_INTERP program header (file(1) would say "statically linked").
    expect(Bun.spawnSync(["readelf", "-l", stage]).stdout.toString()).not.toContain("INTERP");
  });

  test("SHA256SUMS lists every artifact and install.sh, and its signature checks with the key", () => {
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8");
    expect(sums.trim().split("\n").map((l) => l.split("  ")[1])).toEqual(["install.sh", ...ARTIFACTS]);
    const check = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: out });
    expect(check.exitCode).toBe(0);
    const verify = Bun.spawnSync(["minisign", "-V", "-p", key.public, "-m", join(out, "SHA256SUMS")]);
    expect(verify.exitCode).toBe(0);
  });

  test("NOTES.md has the artifact table with each libc and the dynamic section of each", () => {
    const notes = readFileSync(join(out, "NOTES.md"), "utf8");
    for (const a of ARTIFACTS) expect(notes).toMatch(new RegExp(`\\| \`${a}\` \\| (x64|arm64) \\| glibc 2\\.\\d+ or newer \\|`));
    expect(notes).toContain("[Requesting program interpreter: /lib/ld-linux-aarch64.so.1]");
    expect(notes).toContain("yes (qemu-aarch64-static)");
    expect(notes).toContain("yes (qemu-x86_64-static -cpu Nehalem)");
  });

  test("the arm64 artifact's default seccomp filter is arm64's", () => {
    const bpf = new Uint8Array(readFileSync(join(REPO, CACHE, "build/arm64/seccomp-default.bpf")));
    expect(readFileSync(join(out, "nsbox-linux-arm64")).indexOf(Buffer.from(bpf))).toBeGreaterThan(0);
    const AUDIT_ARCH_AARCH64 = 0xc00000b7;
    expect(runSeccompBpf(bpf, { arch: AUDIT_ARCH_AARCH64, nr: 172 /* getpid */ })).toBe(SCMP_ACT_ALLOW);
    expect(runSeccompBpf(bpf, { arch: AUDIT_ARCH_AARCH64, nr: 280 /* bpf */ })).toBe(0x00050001);
  });
});
