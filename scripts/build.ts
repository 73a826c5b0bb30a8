// Builds dist/nsbox: the static C stage (musl-gcc), embedded into one compiled Bun binary, then
// smoke-runs the result (a --bytecode build without --format=esm crashes at start yet exits 0).
// Usage: bun scripts/build.ts [--stage-only]
import { mkdirSync } from "node:fs";
import pkg from "../package.json" with { type: "json" };

export const STAGE_SOURCES = "src/native/stage";
export const STAGE_OUT = "dist/nsbox-stage";
// The probe program of `nsbox selftest`: static like the stage, embedded the same way.
export const PROBE_SOURCES = "src/native/probe";
export const PROBE_OUT = "dist/nsbox-probe";
const OUT = "dist/nsbox";

export function sh(argv: string[], what: string, opts: { cwd?: string } = {}): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", cwd: opts.cwd });
  if (r.exitCode !== 0) {
    throw new Error(`${what} failed (exit ${r.exitCode}):\n${r.stderr.toString()}${r.stdout.toString()}`);
  }
  return r.stdout.toString();
}

// -fdata-sections with --sort-section=alignment: the linker lays the static variables out by
// alignment, so the page-aligned and array ones come first and the small scalars every start
// writes (fds, flags, counts of every module) end up together on one or two pages, not spread
// over a page each between the arrays. Each page a process writes first is a page fault, and
// the supervisor and the child each write theirs after the clone (copy-on-write): measured on a
// 2-CPU VM, about 10-15 us each (src/native/PLAN.md, "What a start costs").
const CFLAGS = ["-static", "-Os", "-s", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-fdata-sections", "-Wl,--sort-section=alignment"];

/** The stage knows the version it was built for (saved plans name it). */
export const STAGE_DEFINES = [`-DNSBOX_VERSION="${pkg.version}"`];

/**
 * One static program from every .c file in `dir`; `cc` is musl-gcc here, a cross compiler in a
 * release. `extra` (more sources, linker flags) is for test builds.
 */
export function compileStatic(cc: readonly string[], dir: string, out: string, what: string, defines: readonly string[] = [], extra: readonly string[] = []): void {
  const sources = [...new Bun.Glob("*.c").scanSync(dir)].sort().map((f) => `${dir}/${f}`);
  sh([...cc, ...CFLAGS, ...defines, "-o", out, ...sources, ...extra], `compiling ${what}`);
}

/** The stage, into `out`; `extra` and `root` (the checkout) are for test builds of it. */
export function buildStage(out = STAGE_OUT, extra: readonly string[] = [], root = "."): void {
  if (!Bun.which("musl-gcc")) {
    throw new Error("musl-gcc not found: install the Debian package musl-tools (apt-get install musl-tools)");
  }
  mkdirSync(`${root}/dist`, { recursive: true });
  compileStatic(["musl-gcc"], `${root}/${STAGE_SOURCES}`, out, "the stage", STAGE_DEFINES, extra);
}

export function buildProbe(): void {
  compileStatic(["musl-gcc"], PROBE_SOURCES, PROBE_OUT, "the selftest probe");
}

/**
 * A JIT ten times as reluctant to compile: nsbox runs a burst of run-once code and execs or
 * exits, so tiering up only costs CPU (measured: ~6 ms less per `run` on a 2-core machine).
 */
export const JIT_POLICY = "--compile-jit-policy=10";

function buildBinary(): void {
  sh(
    [
      process.execPath, "build", "src/main.ts", "--compile", "--minify", "--bytecode", "--format=esm", "--splitting",
      "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig", JIT_POLICY, "--outfile", OUT,
    ],
    "bun build --compile",
  );
}

function smokeTest(): void {
  const version = sh([OUT, "--version"], `${OUT} --version`);
  if (!version.includes(pkg.version)) throw new Error(`${OUT} --version printed '${version.trim()}', expected ${pkg.version}`);
  const plan = sh([OUT, "plan", "--", "true"], `${OUT} plan -- true`);
  if (!plan.includes("command: true")) throw new Error(`${OUT} plan printed no command line:\n${plan}`);
}

if (import.meta.main) {
  try {
    buildStage();
    buildProbe();
    sh([process.execPath, "scripts/build-seccomp.ts"], "compiling the default seccomp filter");
    sh([process.execPath, "scripts/build-man.ts"], "writing the man page dist/nsbox.1");
    if (!process.argv.includes("--stage-only")) {
      buildBinary();
      smokeTest();
    }
    console.log(`built ${process.argv.includes("--stage-only") ? STAGE_OUT : OUT}`);
  } catch (e) {
    console.error(`build: ${(e as Error).message}`);
    process.exit(1);
  }
}
