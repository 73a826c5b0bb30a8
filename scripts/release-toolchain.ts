// What a release build needs beyond `npm install`, fetched only through the ordinary clients of
// the two registries the project trusts, and cached under node_modules/.cache/nsbox-release:
// - a foreign Bun runtime: `npm pack @oven/bun-linux-<target>@<version>`, checked against the
//   sha512 pinned in release-targets.ts before it is unpacked;
// - the arm64 C toolchain: Debian's cross gcc (gcc-aarch64-linux-gnu) with Debian's own musl for
//   arm64 (`apt-get download musl-dev:arm64`, unpacked as a sysroot, not installed), so the arm64
//   stage is static against musl exactly like the x64 one built by musl-gcc. glibc's headers
//   define the mount API the stage declares itself (kernel.h), and a static glibc is not the
//   libc the stage was written and measured against.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { sh } from "./build.ts";
import { runtimeVersion, type Arch, type BunRuntime } from "./release-targets.ts";

export const CACHE = "node_modules/.cache/nsbox-release";

function requireTool(tool: string, debianPackage: string): void {
  if (!Bun.which(tool)) throw new Error(`${tool} not found: install the Debian package ${debianPackage} (apt-get install ${debianPackage})`);
}

/** bin/bun of a pinned runtime package, fetched from npm on first use. */
export function bunRuntime(rt: BunRuntime): string {
  const version = runtimeVersion();
  const dir = resolve(CACHE, "runtimes", `${rt.name.replace("/", "+")}@${version}`);
  const bin = join(dir, "package", "bin", "bun");
  if (existsSync(bin)) return bin;
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  sh(["npm", "pack", `${rt.name}@${version}`, "--pack-destination", tmp, "--silent"], `fetching ${rt.name}@${version} from npm`);
  const tgz = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error(`npm pack ${rt.name}@${version} wrote no tarball`);
  const integrity = `sha512-${createHash("sha512").update(readFileSync(join(tmp, tgz))).digest("base64")}`;
  if (integrity !== rt.integrity) {
    throw new Error(`${rt.name}@${version}: integrity ${integrity} is not the pinned ${rt.integrity} (scripts/release-targets.ts)`);
  }
  sh(["tar", "-xzf", tgz], `unpacking ${tgz}`, { cwd: tmp });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return bin;
}

const APT_ARM64 = ["-o", "APT::Architectures::=amd64", "-o", "APT::Architectures::=arm64"];

/** A musl sysroot for arm64 and a gcc specs file pointing into it (musl-gcc's, relocated). */
function muslArm64Specs(): string {
  const root = resolve(CACHE, "musl-arm64");
  const specs = join(root, "musl-gcc.specs");
  if (existsSync(specs)) return specs;
  const tmp = `${root}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const download = () =>
    Bun.spawnSync(["apt-get", ...APT_ARM64, "download", "musl-dev:arm64", "musl:arm64"], { cwd: tmp, stdout: "pipe", stderr: "pipe" });
  // The arm64 package lists are fetched once, for this download only: dpkg's own architectures
  // stay as they are, and nothing is installed.
  if (download().exitCode !== 0) {
    sh(["apt-get", ...APT_ARM64, "update", "-qq"], "fetching Debian's arm64 package lists (needs root once)");
    const r = download();
    if (r.exitCode !== 0) throw new Error(`apt-get download musl-dev:arm64 failed:\n${r.stderr.toString()}`);
  }
  const sysroot = join(tmp, "sysroot");
  for (const deb of readdirSync(tmp).filter((f) => f.endsWith(".deb"))) sh(["dpkg-deb", "-x", join(tmp, deb), sysroot], `unpacking ${deb}`);
  const upstream = readFileSync(join(sysroot, "usr/lib/aarch64-linux-musl/musl-gcc.specs"), "utf8");
  const finalSysroot = join(root, "sysroot");
  writeFileSync(
    join(tmp, "musl-gcc.specs"),
    upstream
      .replaceAll("/usr/lib/aarch64-linux-musl", `${finalSysroot}/usr/lib/aarch64-linux-musl`)
      .replaceAll("/usr/include/aarch64-linux-musl", `${finalSysroot}/usr/include/aarch64-linux-musl`),
  );
  rmSync(root, { recursive: true, force: true });
  renameSync(tmp, root);
  return specs;
}

/** The compiler command for a static C program of `arch`, before the flags. */
export function staticCc(arch: Arch): string[] {
  requireTool("musl-gcc", "musl-tools");
  if (arch === "x64") return ["musl-gcc"];
  requireTool("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
  return ["aarch64-linux-gnu-gcc", "-specs", muslArm64Specs()];
}

export function requireQemu(qemu: string, prefix: string): void {
  requireTool(qemu, "qemu-user-static");
  // qemu's -L root: where the foreign binary's dynamic loader and libc.so.6 are found.
  if (!existsSync(join(prefix, "lib"))) throw new Error(`${prefix}/lib not found: install the Debian package libc6-arm64-cross`);
}
