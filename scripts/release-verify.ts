// Runs a release artifact where the build host can (natively, or under qemu-user-static with the
// Debian cross libc as its root) and checks what a user's first commands rely on: `--version`,
// `check`, that the embedded stage, probe and filter are the target's own, and the stage's own
// wire self-check (`nsbox-stage --spec-fd 3 --check`) on a spec the artifact itself encoded.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import type { TargetBuild } from "./release.ts";
import { EMBEDDED, type ReleaseTarget } from "./release-targets.ts";
import { requireQemu } from "./release-toolchain.ts";

/** argv prefix that runs a program of this target here; undefined when it cannot run here. */
export function runner(t: ReleaseTarget): string[] | undefined {
  if (t.run.kind === "native") return [];
  if (t.run.kind === "none") return undefined;
  requireQemu(t.run.qemu, t.run.prefix);
  return [t.run.qemu, "-L", t.run.prefix, ...(t.run.cpu ? ["-cpu", t.run.cpu] : [])];
}

function run(argv: string[], what: string, env: Record<string, string> = {}): { status: number; out: string; err: string } {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const result = { status: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
  if (result.status === -1) throw new Error(`${what}: killed by a signal\n${result.err}`);
  return result;
}

/** Throws unless the artifact's bytes contain `file`'s byte for byte (Bun embeds files as they are). */
function assertEmbeds(bytes: Buffer, file: string, artifact: string): void {
  if (bytes.indexOf(readFileSync(file)) < 0) throw new Error(`${basename(artifact)} does not embed ${file}`);
}

/** Runs the checks; false when this host cannot run the artifact (only the embeds were checked). */
export function verifyArtifact(b: TargetBuild): boolean {
  const name = basename(b.artifact);
  const bytes = readFileSync(b.artifact);
  for (const f of EMBEDDED) assertEmbeds(bytes, join(b.dir, f), b.artifact);
  const pre = runner(b.target);
  if (!pre) return false;
  const version = run([...pre, b.artifact, "--version"], `${name} --version`);
  if (version.status !== 0 || !version.out.includes(pkg.version)) {
    throw new Error(`${name} --version: exit ${version.status}, printed '${version.out.trim()}' ${version.err.trim()}`);
  }
  // check exits 125 when this host lacks something nsbox needs: still a complete run of it.
  const check = run([...pre, b.artifact, "check", "--json"], `${name} check`);
  const items = (() => {
    try {
      return JSON.parse(check.out) as { item: string; status: string }[];
    } catch {
      return undefined;
    }
  })();
  if ((check.status !== 0 && check.status !== 125) || !items?.some((i) => i.item === "kernel")) {
    throw new Error(`${name} check --json: exit ${check.status}\n${check.out}${check.err}`);
  }
  const wire = run([...pre, b.artifact, "plan", "--wire", "--", "true"], `${name} plan --wire`);
  if (wire.status !== 0 || wire.out.length === 0) throw new Error(`${name} plan --wire: exit ${wire.status}\n${wire.err}`);
  const wireFile = join(b.dir, "check.wire");
  writeFileSync(wireFile, wire.out);
  // The stage reads its spec from fd 3 (WIRE.md); sh opens the file there for it.
  const stage = run(["sh", "-c", 'exec "$@" --spec-fd 3 --check 3<"$NSBOX_WIRE"', "sh", ...pre, join(b.dir, "nsbox-stage")], `${name} stage --check`, {
    NSBOX_WIRE: wireFile,
  });
  if (stage.status !== 0 || stage.out !== "ok\n") throw new Error(`${name}: the stage's wire self-check said '${stage.out.trim()}' ${stage.err.trim()} (exit ${stage.status})`);
  return true;
}

export interface ArtifactFacts {
  /** "glibc 2.27+" or "musl". */
  libc: string;
  /** ldd's output, or the dynamic section when this host cannot load the binary. */
  ldd: string;
  verified: string;
}

/** The newest GLIBC_x.y symbol version the binary needs (readelf -V). */
function newestGlibc(artifact: string): string | undefined {
  const versions = [...Bun.spawnSync(["readelf", "-V", "-W", artifact]).stdout.toString().matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  versions.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  return versions[0] ? `${versions[0][0]}.${versions[0][1]}` : undefined;
}

/**
 * The runtime's symbol versions do not show what nsbox itself looks up through bun:ffi at run
 * time: memfd_create(2) came in glibc 2.27 (src/core/sys). The artifact needs the newer of both.
 */
const FFI_GLIBC_FLOOR = "2.27";

function newerOf(a: string | undefined, b: string): string {
  if (!a) return b;
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am > bm || (am === bm && an > bn) ? a : b;
}

export function describeArtifact(b: TargetBuild): ArtifactFacts {
  const t = b.target;
  const glibc = t.libc === "glibc" ? newestGlibc(b.artifact) : undefined;
  const floor = newerOf(glibc, FFI_GLIBC_FLOOR);
  const libc = t.libc === "musl" ? "musl (Alpine), with libstdc++ (apk add libstdc++)" : `glibc ${floor} or newer`;
  const ldd =
    t.run.kind === "native"
      ? `$ ldd ${basename(b.artifact)}\n${Bun.spawnSync(["ldd", b.artifact]).stdout.toString()}`
      : `$ readelf -d ${basename(b.artifact)} | grep NEEDED; readelf -l ... | grep interpreter\n${Bun.spawnSync(["sh", "-c", 'readelf -d "$0" | grep NEEDED; readelf -l "$0" | grep interpreter', b.artifact]).stdout.toString()}`;
  const verified = t.run.kind === "native" ? "yes (native)" : t.run.kind === "qemu" ? `yes (${t.run.qemu}${t.run.cpu ? ` -cpu ${t.run.cpu}` : ""})` : `no: ${t.run.why}`;
  return { libc, ldd, verified };
}
