// install.sh against a real release (scripts/release.ts, signed with a key made for this run)
// served by python3 -m http.server on 127.0.0.1: a good install, a tampered artifact, a SHA256SUMS
// that does not match its signature, a truncated artifact and a missing signature, each as root
// and as an unprivileged user; plus the checks that need no server content of their own.
// Root is needed to run as another user (setpriv) and for the default root directory, which is
// checked inside a private mount namespace with a tmpfs on /usr/local so the host's stays as is.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DEFAULT_STAGE_PATH } from "../../src/core/stage-install.ts";
import { describeRoot } from "../priv/harness.ts";
import { HOST_TARGET, REPO, serve, sharedRelease, type HttpServer, type TestKey } from "./fixture.ts";

const NOBODY = 65534;
const PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
const ARTIFACT = `nsbox-linux-${HOST_TARGET}`;
// A release is signed: without minisign there is none to serve (in CI that is a failure).
const NEEDS = ["minisign", "python3", "curl", "setpriv", "unshare", "shellcheck", "busybox"].filter((t) => !Bun.which(t));
if (NEEDS.length > 0 && process.env.CI) throw new Error(`test/release/install.test.ts: missing ${NEEDS.join(", ")} in CI`);
const describeInstall: typeof describe =
  NEEDS.length === 0 ? describeRoot : ((name: string, fn: () => void) => describe.skip(`${name} (skipped: needs ${NEEDS.join(", ")})`, fn)) as typeof describe;

let key: TestKey;
let release: string;
let root: string;
let server: HttpServer;
const made: string[] = [];

function tempDir(prefix: string, owner = 0): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755);
  chownSync(d, owner, owner);
  made.push(d);
  return d;
}

/** root/<scenario>/<tag>/ with the release's files, hard-linked, then changed by `edit`. */
function scenario(name: string, tag: string, edit: (dir: string) => void = () => {}): void {
  const dir = join(root, name, tag);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(release)) linkSync(join(release, f), join(dir, f));
  edit(dir);
}

function replace(dir: string, file: string, bytes: Uint8Array | string): void {
  rmSync(join(dir, file));
  writeFileSync(join(dir, file), bytes);
}

function tampered(): Buffer {
  const b = Buffer.from(readFileSync(join(release, ARTIFACT)));
  const mid = b.length >> 1;
  b[mid] = b[mid]! ^ 0xff;
  return b;
}

// As long as cross.test.ts's: whichever file bun runs first builds the shared release (bun takes
// files in directory order, which differs between filesystems), and on a fresh checkout that
// build also fetches the target runtimes and the arm64 toolchain.
beforeAll(async () => {
  if (NEEDS.length > 0 || process.getuid?.() !== 0) return;
  ({ dir: release, key } = sharedRelease());
  chmodSync(release, 0o755);
  root = tempDir("nsbox-serve-");
  scenario("good", "latest");
  scenario("good", "v0.1.0");
  scenario("tampered", "latest", (d) => replace(d, ARTIFACT, tampered()));
  scenario("badsums", "latest", (d) => {
    const bad = tampered();
    replace(d, ARTIFACT, bad);
    const sum = new Bun.CryptoHasher("sha256").update(bad).digest("hex");
    replace(d, "SHA256SUMS", readFileSync(join(d, "SHA256SUMS"), "utf8").replace(new RegExp(`^[0-9a-f]{64}(?=  ${ARTIFACT}$)`, "m"), sum));
  });
  scenario("truncated", "latest", (d) => replace(d, ARTIFACT, readFileSync(join(release, ARTIFACT)).subarray(0, 1 << 20)));
  scenario("nosig", "latest", (d) => rmSync(join(d, "SHA256SUMS.minisig")));
  server = await serve(root);
}, 600_000);

afterAll(() => {
  server?.stop();
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Files left in the run's own TMPDIR (the installer must leave none). */
  leftovers: string[];
}

/**
 * install.sh as root or as nobody, with its own TMPDIR and HOME; `pre` wraps the command. As root
 * it skips `nsbox stage install` (--no-stage), which would write to the host, except in the
 * sealed namespace of the default-directory test; `pipe` runs the one-liner `curl URL | sh`.
 */
function install(opts: {
  scenario: string; as: "root" | "user"; args?: string[]; dir?: string; env?: Record<string, string>; pre?: string[]; stage?: boolean; pipe?: boolean;
}): Run {
  const uid = opts.as === "root" ? 0 : NOBODY;
  const tmp = tempDir("nsbox-tmp-", uid);
  const home = tempDir("nsbox-home-", uid);
  const env: Record<string, string> = {
    PATH, HOME: home, TMPDIR: tmp, NSBOX_BASE_URL: `${server.url}/${opts.scenario}`, NSBOX_PUBKEY: key.line,
    ...(opts.dir ? { NSBOX_INSTALL_DIR: opts.dir } : {}), ...opts.env,
  };
  const asUser = uid === 0 ? [] : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups"];
  const args = [...(uid === 0 && !opts.stage ? ["--no-stage"] : []), ...(opts.args ?? [])];
  const script = opts.pipe ? ["sh", "-c", 'curl -fsSL "$NSBOX_BASE_URL/latest/install.sh" | sh -s -- "$@"', "sh"] : ["sh", join(release, "install.sh")];
  const r = Bun.spawnSync([...(opts.pre ?? []), ...asUser, ...script, ...args], { env, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString(), leftovers: readdirSync(tmp) };
}

/** A failed install: exit 1, one line naming `what`, nothing in `dir` and nothing left behind. */
function expectRefused(r: Run, what: RegExp, dir: string): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^nsbox-install: [^\n]+\n$/);
  expect(r.stderr).toMatch(what);
  expect(readdirSync(dir)).toEqual([]);
  expect(r.leftovers).toEqual([]);
}

function installedVersion(bin: string): string {
  return Bun.spawnSync([bin, "--version"]).stdout.toString();
}

describeInstall("install.sh against a local release server", () => {
  for (const as of ["root", "user"] as const) {
    const owner = as === "root" ? 0 : NOBODY;

    test(`${as}: curl URL | sh installs a good release, prints the version and the next command`, () => {
      const dir = join(tempDir("nsbox-bin-", owner), "bin");
      const r = install({ scenario: "good", as, dir, pipe: true });
      expect(r.code).toBe(0);
      expect(installedVersion(join(dir, "nsbox"))).toContain("nsbox/0.1.0");
      expect(readdirSync(dir)).toEqual(["nsbox"]);
      expect(r.stderr).toContain(`installed nsbox/0.1.0`);
      expect(r.stderr).toContain("next: ");
      expect(r.leftovers).toEqual([]);
      expect(r.stderr).not.toMatch(/stage/);
    });

    test(`${as}: a tampered artifact is refused`, () => {
      const dir = tempDir("nsbox-bin-", owner);
      expectRefused(install({ scenario: "tampered", as, dir }), /checksum mismatch for nsbox-linux-/, dir);
    });

    test(`${as}: a SHA256SUMS that does not match its signature is refused`, () => {
      const dir = tempDir("nsbox-bin-", owner);
      expectRefused(install({ scenario: "badsums", as, dir }), /not signed by the nsbox release key/, dir);
    });

    test(`${as}: a truncated artifact is refused`, () => {
      const dir = tempDir("nsbox-bin-", owner);
      expectRefused(install({ scenario: "truncated", as, dir }), /checksum mismatch/, dir);
    });

    test(`${as}: a release without its signature is refused`, () => {
      const dir = tempDir("nsbox-bin-", owner);
      expectRefused(install({ scenario: "nosig", as, dir }), /no signature at .*SHA256SUMS\.minisig/, dir);
    });
  }

  test("user: the default directory is ~/.local/bin", () => {
    const r = install({ scenario: "good", as: "user" });
    expect(r.code).toBe(0);
    const line = /installed \S+ .* at (\S+)\n/.exec(r.stderr);
    expect(line?.[1]).toMatch(/^\/\S+\/nsbox-home-\w+\/\.local\/bin\/nsbox$/);
    expect(r.stderr).toContain("is not on your PATH");
  });

  test("root: the default directory is /usr/local/bin, made the front (the installed stage; nsbox beside it); --uninstall removes all three", () => {
    // A private mount namespace: a tmpfs on /usr/local and the root mount read-only, so neither
    // the installer nor `nsbox stage install` can write anywhere on the host.
    const lib = dirname(DEFAULT_STAGE_PATH);
    const sealed = [
      "mount -t tmpfs nsbox-test /usr/local && mount -o remount,bind,ro / && mkdir /usr/local/tmp && export TMPDIR=/usr/local/tmp HOME=/usr/local/tmp",
      '"$@" && /usr/local/bin/nsbox --version >&2',
      `readlink /usr/local/bin/nsbox >&2 && test -x ${lib}/nsbox && ${lib}/nsbox --version >&2`,
      `test -x ${DEFAULT_STAGE_PATH} && "$@" --uninstall && ! test -e /usr/local/bin/nsbox && ! test -e ${DEFAULT_STAGE_PATH} && ! test -e ${lib}/nsbox && echo uninstalled >&2`,
    ].join(" && ");
    const r = install({ scenario: "good", as: "root", stage: true, pre: ["unshare", "--mount", "--propagation", "private", "sh", "-c", sealed, "sh"] });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("at /usr/local/bin/nsbox\n");
    // Its default path is under /usr/local: on the tmpfs, so the host's stays as it was.
    expect(r.stdout).toMatch(/^installed \/usr\/local\/\S+ \(sha256 [0-9a-f]{64}\)\nfront: \/usr\/local\/bin\/nsbox -> \/usr\/local\/\S+ \(.*\)\n$/);
    // The installer's line, then --version through the front (a miss: it runs nsbox beside the
    // stage), then from nsbox itself.
    expect(r.stderr).toContain(`${DEFAULT_STAGE_PATH}\n`);
    expect(r.stderr.match(/nsbox\/0\.1\.0 /g)?.length).toBe(3);
    expect(r.stderr).toContain(`removed /usr/local/bin/nsbox\nnsbox-install: removed ${lib}/nsbox\nnsbox-install: removed ${DEFAULT_STAGE_PATH}\nuninstalled\n`);
  });

  test("--version pins a release; a version that does not exist installs nothing", () => {
    const dir = tempDir("nsbox-bin-", 0);
    expect(install({ scenario: "good", as: "root", dir, args: ["--version", "0.1.0"] }).code).toBe(0);
    expect(installedVersion(join(dir, "nsbox"))).toContain("nsbox/0.1.0");
    const empty = tempDir("nsbox-bin-", 0);
    expectRefused(install({ scenario: "good", as: "root", dir: empty, args: ["--version", "9.9.9"] }), /cannot download .*\/v9\.9\.9\/SHA256SUMS/, empty);
  });

  test("a failed update leaves the installed binary as it was; --uninstall removes it", () => {
    const dir = tempDir("nsbox-bin-", 0);
    expect(install({ scenario: "good", as: "root", dir }).code).toBe(0);
    const before = readFileSync(join(dir, "nsbox"));
    const r = install({ scenario: "tampered", as: "root", dir });
    expect(r.code).toBe(1);
    expect(readdirSync(dir)).toEqual(["nsbox"]);
    expect(readFileSync(join(dir, "nsbox")).equals(before)).toBe(true);
    expect(install({ scenario: "good", as: "root", dir, args: ["--uninstall"] }).code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("without minisign: SHA-256 only, with a one-line warning; a tampered artifact is still refused", () => {
    // A PATH with every tool of /usr/bin and /bin but minisign.
    const bin = tempDir("nsbox-path-", 0);
    for (const d of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
      for (const f of readdirSync(d)) {
        if (f === "minisign") continue;
        try {
          symlinkSync(join(d, f), join(bin, f));
        } catch {
          // The same name in an earlier directory wins, as on a PATH.
        }
      }
    }
    const dir = tempDir("nsbox-bin-", 0);
    const good = install({ scenario: "good", as: "root", dir, env: { PATH: bin } });
    expect(good.code).toBe(0);
    expect(good.stderr.split("\n").filter((l) => l.includes("warning"))).toEqual([
      "nsbox-install: warning: minisign is not installed, so only the SHA-256 sum is checked, not the release signature (apt-get install minisign, then run this again)",
    ]);
    const other = tempDir("nsbox-bin-", 0);
    const bad = install({ scenario: "tampered", as: "root", dir: other, env: { PATH: bin } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/checksum mismatch/);
    expect(readdirSync(other)).toEqual([]);
  });

  test("POSIX: shellcheck -s sh finds nothing; busybox sh with only busybox's tools (wget, no curl) installs", () => {
    const lint = Bun.spawnSync(["shellcheck", "-s", "sh", join(release, "install.sh")]);
    expect(lint.stdout.toString()).toBe("");
    expect(lint.exitCode).toBe(0);
    const bin = tempDir("nsbox-busybox-", 0);
    expect(Bun.spawnSync(["busybox", "--install", "-s", bin]).exitCode).toBe(0);
    symlinkSync(Bun.which("minisign")!, join(bin, "minisign"));
    const dir = tempDir("nsbox-bin-", 0);
    const r = install({ scenario: "good", as: "root", dir, env: { PATH: bin }, pre: [Bun.which("busybox")!] });
    expect(r.stderr).toContain("installed nsbox/0.1.0");
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["nsbox"]);
  });

  test("a musl system asks for the -musl artifact, which this release does not have: one line, nothing installed", () => {
    const bin = tempDir("nsbox-ldd-", 0);
    writeFileSync(join(bin, "ldd"), "#!/bin/sh\necho 'musl libc (x86_64)'\necho 'Version 1.2.4'\n", { mode: 0o755 });
    const dir = tempDir("nsbox-bin-", 0);
    expectRefused(install({ scenario: "good", as: "root", dir, env: { PATH: `${bin}:${PATH}` } }), /this release has no nsbox-linux-(x64|arm64)-musl /, dir);
  });

  test("an unknown architecture: one line, nothing installed", () => {
    const bin = tempDir("nsbox-uname-", 0);
    writeFileSync(join(bin, "uname"), "#!/bin/sh\necho riscv64\n", { mode: 0o755 });
    const dir = tempDir("nsbox-bin-", 0);
    expectRefused(install({ scenario: "good", as: "root", dir, env: { PATH: `${bin}:${PATH}` } }), /unsupported architecture 'riscv64'/, dir);
  });

  test("the release's install.sh is the repository's, and SHA256SUMS lists it", () => {
    expect(readFileSync(join(release, "install.sh"), "utf8")).toBe(readFileSync(join(REPO, "install.sh"), "utf8"));
    expect(readFileSync(join(release, "SHA256SUMS"), "utf8")).toMatch(/^[0-9a-f]{64} {2}install\.sh$/m);
    expect(readFileSync(join(release, "NOTES.md"), "utf8")).toContain(`| \`${ARTIFACT}\` |`);
  });
});
