// `nsbox export` in-process: units that systemd itself accepts (`systemd-analyze verify`, which
// reads a unit file offline), bundles written whole or not at all, and one-line usage errors.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { runCli, type CliIo } from "../../src/cli/index.ts";
import { rootCtx } from "../helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = join(tmpdir(), `nsbox-export-${process.pid}-${dirs.length}`);
  mkdirSync(d);
  dirs.push(d);
  return d;
};

async function nsbox(...args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const io: CliIo = { stdout: (d) => void (out += String(d)), context: () => rootCtx };
  return { code: await runCli(["bun", "nsbox", ...args], io), out };
}

const analyze = Bun.which("systemd-analyze");
if (!analyze && process.env.CI) throw new Error("test/cli/export needs systemd-analyze (apt-get install systemd)");

/** `systemd-analyze verify` on the unit saved as NAME.service: what it says on stderr (empty: accepted). */
function verify(unit: string, name: string): { code: number | null; stderr: string } {
  const file = join(tempDir(), `${name}.service`);
  writeFileSync(file, unit);
  const r = Bun.spawnSync([analyze!, "verify", file], { stderr: "pipe", stdout: "pipe", env: { PATH: "/usr/bin:/bin", SYSTEMD_LOG_LEVEL: "notice" } });
  // Lines about other units on the machine are not ours to judge.
  const ours = r.stderr.toString().split("\n").filter((l) => l.includes(name)).join("\n");
  return { code: r.exitCode, stderr: ours };
}

const describeAnalyze = analyze ? describe : describe.skip;

describeAnalyze("export systemd: systemd-analyze verify accepts the units", () => {
  test("a broken unit is reported (the check can fail)", () => {
    expect(verify("[Service]\nExecStart=/bin/true\nPrivateTmp=maybe\nNoSuchKey=1\n", "nsbox-export-control").stderr).toContain("NoSuchKey");
  });

  const cases: [string, string[]][] = [
    ["default", []],
    ["options", ["--bind", "/srv", "/data", "--ro-bind-try", "/etc/app", "/etc/app", "--bind-try", "/srv/a b:c", "/d e", "--tmpfs", "/scratch", "--memory", "64M", "--pids", "32", "--cpu", "0.5",
      "--rlimit", "NOFILE=1024:inf", "--cap-add", "net_bind_service", "--setenv", "MODE", "100% \"on\"", "--chdir", "/srv", "--seccomp-deny", "@obsolete"]],
    ["shared", ["--share", "net,ipc", "--root", "empty", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin"]],
  ];
  for (const via of ["native", "nsbox"]) {
    for (const [name, options] of cases) {
      test(`--via ${via}, ${name}`, async () => {
        const r = await nsbox("export", "systemd", "--via", via, ...options, "--", "/bin/sh", "-c", "echo $HOME 50%");
        expect(r.code).toBe(0);
        const v = verify(r.out, `nsbox-export-${via}-${name}`);
        expect(v.stderr).toBe("");
        expect(v.code).toBe(0);
      });
    }
  }
});

describe("export systemd --via nsbox", () => {
  test("repeats the options with the profile made absolute", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "web.toml"), 'hostname = "web"\n');
    const r = await nsbox("export", "systemd", "--profile", relative(process.cwd(), join(dir, "web.toml")), "--ro-bind", "/srv", "/srv", "--quiet", "--", "app");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^ExecStart=\\S+ run --profile ${join(dir, "web.toml")} --ro-bind /srv /srv -- app$`, "m"));
  });
});

describe("export oci", () => {
  test("writes config.json and the rootfs into a new directory", async () => {
    const bundle = join(tempDir(), "bundle");
    const r = await nsbox("export", "oci", "--bundle", bundle, "--quiet", "--", "app");
    expect(r.code).toBe(0);
    const config = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
    expect(config.ociVersion).toBe("1.2.0");
    expect(config.process.args).toEqual(["app"]);
    expect(lstatSync(join(bundle, "rootfs/usr")).isDirectory()).toBe(true);
    if (lstatSync("/bin").isSymbolicLink()) expect(readlinkSync(join(bundle, "rootfs/bin"))).toBe(readlinkSync("/bin"));
  });

  test("an existing directory is refused and left alone", async () => {
    const bundle = tempDir();
    writeFileSync(join(bundle, "keep"), "x");
    expect((await nsbox("export", "oci", "--bundle", bundle, "--", "app")).code).toBe(2);
    expect(readFileSync(join(bundle, "keep"), "utf8")).toBe("x");
    expect(existsSync(join(bundle, "config.json"))).toBe(false);
  });
});

describe("export usage errors exit 2", () => {
  test.each([
    [["export"]],
    [["export", "docker", "--", "app"]],
    [["export", "oci", "--", "app"]],
    [["export", "systemd", "--via", "magic", "--", "app"]],
    [["export", "systemd", "--bundle", "/tmp/x", "--", "app"]],
    [["export", "oci", "--via", "native", "--bundle", "/tmp/nsbox-never", "--", "app"]],
    [["export", "systemd", "--bind", "relative", "/x", "--", "app"]],
    [["export", "systemd"]],
    [["export", "systemd", "--via", "plan", "--", "app"]],
    [["export", "systemd", "--save", "/tmp/nsbox-never", "--", "app"]],
    [["export", "oci", "--bundle", "/tmp/nsbox-never", "--save", "/tmp/nsbox-never-2", "--", "app"]],
  ])("%p", async (args) => {
    expect((await nsbox(...args)).code).toBe(2);
  });
});
