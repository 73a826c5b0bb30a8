// `npm run release`: builds release/ — one nsbox binary per target (release-targets.ts), each
// embedding a static stage, probe and default seccomp filter built for its own architecture;
// runs each where this host can (natively or under qemu-user-static); then writes SHA256SUMS,
// its minisign signature, install.sh and NOTES.md (the artifact table with each one's libc).
// Usage: bun scripts/release.ts [--targets x64,arm64,...] [--out DIR] [--key FILE] [--pubkey FILE]
//   --key defaults to $NSBOX_SIGNING_KEY; --pubkey to keys/nsbox-release.pub (the pinned key).
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { compileStatic, PROBE_SOURCES, sh, STAGE_DEFINES, STAGE_SOURCES } from "./build.ts";
import { describeArtifact, verifyArtifact } from "./release-verify.ts";
import { artifactName, EMBEDDED, selectTargets, type ReleaseTarget } from "./release-targets.ts";
import { bunRuntime, CACHE, staticCc } from "./release-toolchain.ts";

export const RELEASE_PUBKEY = "keys/nsbox-release.pub";

export interface TargetBuild {
  target: ReleaseTarget;
  /** Holds the target's nsbox-stage, nsbox-probe and seccomp-default.bpf. */
  dir: string;
  artifact: string;
}

function buildEmbedded(t: ReleaseTarget, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cc = staticCc(t.arch);
  compileStatic(cc, STAGE_SOURCES, join(dir, "nsbox-stage"), `the ${t.arch} stage`, STAGE_DEFINES);
  compileStatic(cc, PROBE_SOURCES, join(dir, "nsbox-probe"), `the ${t.arch} selftest probe`);
  sh([process.execPath, "scripts/build-seccomp.ts", "--arch", t.seccompArch, "--out", join(dir, "seccomp-default.bpf")], `the ${t.seccompArch} seccomp filter`);
}

/**
 * The sources import dist/<file> (`with { type: "file" }`); this resolves those imports to the
 * target's own copies instead, so dist/ (the native build the tests use) is never touched.
 */
function embedFrom(dir: string): Bun.BunPlugin {
  const filter = new RegExp(`/dist/(${EMBEDDED.map((f) => f.replaceAll(".", "\\.")).join("|")})$`);
  return {
    name: "nsbox-release-embeds",
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: resolve(dir, basename(args.path)) }));
    },
  };
}

async function compileArtifact(t: ReleaseTarget, dir: string, outfile: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: ["src/main.ts"],
    // The same options as scripts/build.ts's `bun build --compile` of dist/nsbox.
    compile: {
      target: t.bunTarget,
      outfile,
      ...(t.runtime ? { executablePath: bunRuntime(t.runtime) } : {}),
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
    minify: true,
    bytecode: true,
    format: "esm",
    splitting: true,
    plugins: [embedFrom(dir)],
  });
  if (!result.success) throw new Error(`bun build --compile for ${t.bunTarget} failed:\n${result.logs.join("\n")}`);
}

export async function buildTarget(t: ReleaseTarget, out: string): Promise<TargetBuild> {
  const dir = resolve(CACHE, "build", t.id);
  const artifact = resolve(out, artifactName(t));
  buildEmbedded(t, dir);
  await compileArtifact(t, dir, artifact);
  return { target: t, dir, artifact };
}

const sha256 = (file: string): string => new Bun.CryptoHasher("sha256").update(readFileSync(file)).digest("hex");

/** sha256sum(1)'s format: `<hex>  <name>`, sorted by name, for every file given. */
export function writeSums(out: string, files: readonly string[]): void {
  const lines = [...files].sort().map((f) => `${sha256(join(out, f))}  ${f}\n`);
  writeFileSync(join(out, "SHA256SUMS"), lines.join(""));
}

/** SHA256SUMS.minisig, then checked against the public key the installer pins. */
export function signSums(out: string, key: string, pubkey: string): void {
  const sums = join(out, "SHA256SUMS");
  // stdin is inherited so minisign can ask for a password-protected key's password.
  const signed = Bun.spawnSync(["minisign", "-S", "-s", key, "-m", sums, "-t", `nsbox ${pkg.version} SHA256SUMS`], { stdio: ["inherit", "pipe", "pipe"] });
  if (signed.exitCode !== 0) throw new Error(`minisign -S failed: ${signed.stderr.toString().trim()}`);
  sh(["minisign", "-V", "-p", pubkey, "-m", sums], `checking SHA256SUMS.minisig against ${pubkey}`);
}

function notes(builds: readonly TargetBuild[], pubkey: string): string {
  const rows = builds.map((b) => {
    const d = describeArtifact(b);
    const size = `${(statSync(b.artifact).size / 1e6).toFixed(0)} MB`;
    return `| \`${basename(b.artifact)}\` | ${b.target.arch} | ${d.libc} | ${size} | ${d.verified} |`;
  });
  const details = builds.map((b) => `### ${basename(b.artifact)}\n\n\`\`\`\n${describeArtifact(b).ldd.trim()}\n\`\`\`\n`);
  return [
    `# nsbox ${pkg.version}`,
    "",
    "| artifact | arch | needs | size | verified on the build host |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "Each embeds a static (musl) stage and probe built for its architecture; the libc above is",
    "what the Bun runtime and nsbox's own calls need (memfd_create: glibc 2.27). `ldd` (or",
    "`readelf -d` for a foreign binary) of each:",
    "",
    ...details,
    `Files and signature: SHA256SUMS, SHA256SUMS.minisig (public key ${readFileSync(pubkey, "utf8").trim().split("\n").pop()}).`,
    "",
  ].join("\n");
}

export async function release(opts: { targets?: string; out: string; key: string; pubkey: string }): Promise<TargetBuild[]> {
  const targets = selectTargets(opts.targets);
  if (!Bun.which("minisign")) throw new Error("minisign not found: install the Debian package minisign (apt-get install minisign)");
  // A fresh directory: SHA256SUMS must not sit beside artifacts of an earlier run it does not list.
  rmSync(opts.out, { recursive: true, force: true });
  mkdirSync(opts.out, { recursive: true });
  const builds: TargetBuild[] = [];
  for (const t of targets) {
    const b = await buildTarget(t, opts.out);
    const ran = verifyArtifact(b);
    builds.push(b);
    console.log(ran ? `built and ran ${basename(b.artifact)}` : `built ${basename(b.artifact)}, NOT run: ${describeArtifact(b).verified}`);
  }
  copyFileSync("install.sh", join(opts.out, "install.sh"));
  writeSums(opts.out, [...builds.map((b) => basename(b.artifact)), "install.sh"]);
  signSums(opts.out, opts.key, opts.pubkey);
  writeFileSync(join(opts.out, "NOTES.md"), notes(builds, opts.pubkey));
  return builds;
}

if (import.meta.main) {
  try {
    const { values } = parseArgs({
      options: { targets: { type: "string" }, out: { type: "string" }, key: { type: "string" }, pubkey: { type: "string" } },
    });
    const key = values.key ?? process.env.NSBOX_SIGNING_KEY;
    if (!key) throw new Error("no signing key: pass --key FILE or set NSBOX_SIGNING_KEY (docs/releases.md)");
    await release({ targets: values.targets, out: values.out ?? "release", key, pubkey: values.pubkey ?? RELEASE_PUBKEY });
    console.log(`release written to ${values.out ?? "release"}/`);
  } catch (e) {
    console.error(`release: ${(e as Error).message}`);
    process.exit(1);
  }
}
