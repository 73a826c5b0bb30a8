// The release artifacts: which Bun runtime each is compiled onto, which C compiler builds its
// static stage and probe, and how the build host can run it to verify it. The foreign Bun
// runtimes are the npm packages Bun itself publishes (@oven/bun-linux-*), pinned by version and
// sha512 integrity here: a release never fetches a runtime from anywhere else.
import pkg from "../package.json" with { type: "json" };

export type Arch = "x64" | "arm64";

export interface BunRuntime {
  /** The npm package holding bin/bun for this target. */
  name: string;
  /** npm's dist.integrity of `${name}@${BUN_VERSION}` (npm view NAME@VERSION dist.integrity). */
  integrity: string;
}

export interface ReleaseTarget {
  /** The artifact's file name in release/ and the installer's key: nsbox-linux-<id>. */
  id: string;
  arch: Arch;
  libc: "glibc" | "musl";
  /** `bun build --compile --target`. */
  bunTarget: Bun.Build.CompileTarget;
  /** undefined: the Bun running this script (node_modules/bun, the build host's own target). */
  runtime?: BunRuntime;
  /** Default seccomp filter architecture (scripts/build-seccomp.ts --arch). */
  seccompArch: "x86_64" | "aarch64";
  /**
   * How the build host runs the artifact to verify it: natively, under qemu-user-static with the
   * Debian cross libc as its root (-L) or with an older CPU model (-cpu), or not at all (a musl Bun needs Alpine's libstdc++,
   * which Debian does not have).
   */
  run: { kind: "native" } | { kind: "qemu"; qemu: string; prefix: string; cpu?: string } | { kind: "none"; why: string };
  /** In the default `npm run release` set. */
  default: boolean;
}

const BUN_VERSION: string = (pkg.devDependencies as Record<string, string>).bun!;

const QEMU_ARM64 = { kind: "qemu", qemu: "qemu-aarch64-static", prefix: "/usr/aarch64-linux-gnu" } as const;
// The baseline build is for CPUs without AVX2: run it on an emulated Nehalem (SSE4.2, no AVX).
const QEMU_NEHALEM = { kind: "qemu", qemu: "qemu-x86_64-static", prefix: "/", cpu: "Nehalem" } as const;
const NO_MUSL_RUN = {
  kind: "none",
  why: "a musl Bun needs Alpine's libstdc++.so.6 and libc.musl loader, which no Debian package provides",
} as const;

export const RELEASE_TARGETS: readonly ReleaseTarget[] = [
  { id: "x64", arch: "x64", libc: "glibc", bunTarget: "bun-linux-x64", seccompArch: "x86_64", run: { kind: "native" }, default: true },
  {
    id: "x64-baseline", arch: "x64", libc: "glibc", bunTarget: "bun-linux-x64-baseline", seccompArch: "x86_64", run: QEMU_NEHALEM, default: true,
    runtime: { name: "@oven/bun-linux-x64-baseline", integrity: "sha512-s8yMwYcFnnrA178gji0gZbkE2WVDej/Ti1x770oPfihxyRxSMNhGhiAQNXV53aDeraZxksdvKV/RAdQBCd0qPA==" },
  },
  {
    id: "arm64", arch: "arm64", libc: "glibc", bunTarget: "bun-linux-arm64", seccompArch: "aarch64", run: QEMU_ARM64, default: true,
    runtime: { name: "@oven/bun-linux-aarch64", integrity: "sha512-4BXmsSKnjOrlGWqZV4x/oWa7AVoR+B6lCXddMzOAXBIm3t50eslg9wb66gmtW1AamEQ1l1CDvmmruysEhqOWMg==" },
  },
  {
    id: "x64-musl", arch: "x64", libc: "musl", bunTarget: "bun-linux-x64-musl", seccompArch: "x86_64", run: NO_MUSL_RUN, default: false,
    runtime: { name: "@oven/bun-linux-x64-musl", integrity: "sha512-10QoW/YfTgnURaGEaHpJCiXjLI2e5iTtfVDaA5JKcyUzaa1cq6cVUY9/Uq5XkYzvtRjHLRe9Oj/lTDIQcxy8HQ==" },
  },
  {
    id: "arm64-musl", arch: "arm64", libc: "musl", bunTarget: "bun-linux-arm64-musl", seccompArch: "aarch64", run: NO_MUSL_RUN, default: false,
    runtime: { name: "@oven/bun-linux-aarch64-musl", integrity: "sha512-XCNc+WvvMAdNNb+OWTogpy+N9wm62fkVeEVLb6how0RZhW5LPi6c7BlkeVCuWps7XjEl2saFpHFa20/1E+PAHg==" },
  },
];

/** The files each artifact embeds (src/native/stage.ts, probe.ts, core/seccomp-default.ts), built per target. */
export const EMBEDDED = ["nsbox-stage", "nsbox-probe", "seccomp-default.bpf"] as const;

export const artifactName = (t: ReleaseTarget): string => `nsbox-linux-${t.id}`;

export function runtimeVersion(): string {
  return BUN_VERSION;
}

/** The targets named on the command line (ids, comma-separated), or the default set. */
export function selectTargets(ids: string | undefined): ReleaseTarget[] {
  if (!ids) return RELEASE_TARGETS.filter((t) => t.default);
  return ids.split(",").map((id) => {
    const t = RELEASE_TARGETS.find((r) => r.id === id);
    if (!t) throw new Error(`unknown target '${id}' (one of ${RELEASE_TARGETS.map((r) => r.id).join(", ")})`);
    return t;
  });
}
