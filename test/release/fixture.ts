// Release fixtures: a real release built by scripts/release.ts and signed with a minisign key made
// for this test run (the release key's secret is never in the repository), and a local HTTP
// server (python3 -m http.server on 127.0.0.1) to serve it to install.sh.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { removeAtRunEnd } from "../run-temp.ts";

export const REPO = resolve(import.meta.dir, "../..");

export interface TestKey {
  dir: string;
  secret: string;
  public: string;
  /** The base64 key line install.sh takes in NSBOX_PUBKEY. */
  line: string;
}

/** A fresh password-less minisign key pair in a temporary directory. */
export function makeTestKey(): TestKey {
  const dir = mkdtempSync(join(tmpdir(), "nsbox-key-"));
  const secret = join(dir, "test.key");
  const pub = join(dir, "test.pub");
  const r = Bun.spawnSync(["minisign", "-G", "-W", "-p", pub, "-s", secret], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`minisign -G failed: ${r.stderr.toString()}`);
  return { dir, secret, public: pub, line: readFileSync(pub, "utf8").trim().split("\n").pop()! };
}

/** Runs scripts/release.ts for `targets` into a new temporary directory; returns it. */
export function buildRelease(targets: string, key: TestKey): string {
  const out = mkdtempSync(join(tmpdir(), "nsbox-release-"));
  const r = Bun.spawnSync(
    [process.execPath, "scripts/release.ts", "--targets", targets, "--out", out, "--key", key.secret, "--pubkey", key.public],
    { cwd: REPO, stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`release failed:\n${r.stderr.toString()}${r.stdout.toString()}`);
  return out;
}

/** What the cross-built release needs on this host and does not find. */
export const CROSS_MISSING: readonly string[] = [
  ...["aarch64-linux-gnu-gcc", "qemu-aarch64-static", "qemu-x86_64-static", "minisign", "musl-gcc"].filter((t) => !Bun.which(t)),
  ...(existsSync("/usr/aarch64-linux-gnu/lib") ? [] : ["libc6-arm64-cross"]),
];
export const CROSS_TARGETS = "x64,x64-baseline,arm64";

/** The artifact install.sh picks on this machine (its detect_target, for glibc). */
export const HOST_TARGET = process.arch === "arm64" ? "arm64" : /\bavx2\b/.test(readFileSync("/proc/cpuinfo", "utf8")) ? "x64" : "x64-baseline";

let shared: { dir: string; key: TestKey } | undefined;

/**
 * One release for every test file of this run (bun test shares modules between files): the
 * cross-built default set when this host has the toolchain, else the host's own artifact.
 * Removed when the test run ends (run-temp.ts).
 */
export function sharedRelease(): { dir: string; key: TestKey } {
  if (shared) return shared;
  const key = makeTestKey();
  const dir = buildRelease(CROSS_MISSING.length === 0 ? CROSS_TARGETS : HOST_TARGET, key);
  shared = { dir: removeAtRunEnd(dir), key };
  removeAtRunEnd(key.dir);
  return shared;
}

export interface HttpServer {
  url: string;
  stop(): void;
}

/** python3 -m http.server on 127.0.0.1, an ephemeral port; resolves once it says it listens. */
export async function serve(root: string): Promise<HttpServer> {
  const proc = Bun.spawn(["python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", root, "0"], {
    stdout: "pipe",
    stderr: "ignore",
  });
  const reader = proc.stdout.getReader();
  let seen = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`python3 -m http.server exited: ${seen}`);
    seen += new TextDecoder().decode(value);
    const m = /port (\d+)/.exec(seen);
    if (m) {
      reader.releaseLock();
      return { url: `http://127.0.0.1:${m[1]}`, stop: () => proc.kill() };
    }
  }
}
