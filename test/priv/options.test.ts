// The remaining run options, each observed from inside the sandbox (or, for --die-with-parent,
// from the host): mount steps, environment, ids, cwd, kept fds, profiles.
import { afterAll, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, rmSync, writeFileSync } from "node:fs";
import { commOf, descendantsOf, describeRoot, inSandbox, nsbox, NSBOX, sessionPids, tempDir, waitFor } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describeRoot("run options", () => {
  test("--dir, --symlink, --dev, --tmpfs, --proc and --ro-bind-try build what they say", () => {
    const r = inSandbox(
      "test -d /tmp/a/b && echo dir; readlink /tmp/l; test -c /mnt/null && echo dev; grep -c ' /opt ' /proc/self/mountinfo; test -e /srv/x/self && echo proc; test -e /nope || echo try",
      ["--dir", "/tmp/a/b", "--symlink", "/tmp/a", "/tmp/l", "--dev", "/mnt", "--tmpfs", "/opt", "--tmpfs", "/srv", "--proc", "/srv/x", "--ro-bind-try", "/does/not/exist", "/nope"],
    );
    expect(r.stdout.trim().split("\n")).toEqual(["dir", "/tmp/a", "dev", "1", "proc", "try"]);
  });

  test("--setenv, --unsetenv, --clearenv, --chdir, --uid and --gid", () => {
    const r = nsbox(["run", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "FOO", "bar", "--setenv", "GONE", "x", "--unsetenv", "GONE", "--chdir", "/tmp", "--uid", "1000", "--gid", "1001", "--", "sh", "-c", "env | sort | tr '\\n' ' '; echo; pwd; id -u; id -g"]);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]!.trim().split(" ").filter((kv) => !kv.startsWith("PWD=") && !kv.startsWith("SHLVL=") && !kv.startsWith("_="))).toEqual(["FOO=bar", "PATH=/usr/bin:/bin"]);
    expect(lines.slice(1)).toEqual(["/tmp", "1000", "1001"]);
  });

  test("--keep-fd passes exactly that fd; every other one is closed", () => {
    const d = tempDir();
    dirs.push(d);
    writeFileSync(`${d}/kept`, "kept content\n");
    const kept = openSync(`${d}/kept`, "r");
    const leaked = openSync(`${d}/kept`, "r");
    // The numbers the child gets are fixed here, not whatever this process happened to have
    // free: both above 9, so a kept fd needs more than one digit, as on a busy host.
    const KEPT = 12;
    const LEAKED = 11;
    try {
      const stdio: (number | "ignore" | "pipe")[] = ["ignore", "pipe", "pipe"];
      for (let fd = 3; fd <= KEPT; fd++) stdio[fd] = fd === KEPT ? kept : fd === LEAKED ? leaked : "ignore";
      // Read through /proc: dash's `<&N` takes one digit only.
      const p = Bun.spawnSync([NSBOX, "run", "--keep-fd", String(KEPT), "--", "sh", "-c", `cat /proc/self/fd/${KEPT}; ls /proc/self/fd | sort -n | tr '\\n' ' '`], {
        stdio: stdio as ["ignore", "pipe", "pipe"],
      });
      expect(p.stderr.toString()).toBe("");
      const out = p.stdout.toString().trim().split("\n");
      expect(out[0]).toBe("kept content");
      // 0-2, the kept fd, and ls's own directory fd; not the other open file.
      const fds = out[1]!.trim().split(" ").map(Number);
      expect(fds).toContain(KEPT);
      expect(fds).not.toContain(LEAKED);
      expect(fds.filter((fd) => fd > 2 && fd !== KEPT)).toHaveLength(1);
      expect(nsbox(["run", "--keep-fd", "999", "--", "true"]).code).toBe(2);
    } finally {
      closeSync(kept);
      closeSync(leaked);
    }
  });

  test("--die-with-parent: the sandbox dies with the process that started nsbox", async () => {
    const parent = Bun.spawn(["sh", "-c", `${NSBOX} run --die-with-parent -- sleep 60 & sleep 60`], { stdout: "ignore", stderr: "ignore", detached: true });
    // The stage's processes in the session this test made: the supervisor, then the init.
    const stages = () => sessionPids(parent.pid).filter((p) => commOf(p) !== "sh" && commOf(p) !== "sleep");
    const payloadRuns = () => stages().some((p) => descendantsOf(p).some((d) => commOf(d) === "sleep"));
    await waitFor(payloadRuns, "the sandbox's payload runs");
    // The supervisor is nsbox's pid: its record is named after it.
    const supervisor = stages().find((p) => existsSync(`/run/nsbox/sandboxes/${p}.json`));
    expect(supervisor).toBeDefined();
    parent.kill("SIGKILL");
    await parent.exited;
    await waitFor(() => stages().length === 0, "the sandbox is gone with its parent");
    // It ended the sandbox and cleaned up after it, not died leaving its record to nsbox gc.
    expect(existsSync(`/run/nsbox/sandboxes/${supervisor}.json`)).toBe(false);
    // The parent's own `sleep 60`, orphaned in the same session.
    for (const p of sessionPids(parent.pid)) process.kill(p, "SIGKILL");
  });

  test("a TOML profile, with flags overriding it; a bad profile is one line and exit 2", () => {
    const d = tempDir();
    dirs.push(d);
    writeFileSync(`${d}/p.toml`, 'hostname = "from-profile"\nsetenv = { MODE = "profile" }\ntmpfs = "/opt"\n');
    const r = nsbox(["run", "--profile", `${d}/p.toml`, "--setenv", "MODE", "flag", "--", "sh", "-c", "hostname; echo $MODE; grep -c ' /opt ' /proc/self/mountinfo"]);
    expect(r.stdout.trim().split("\n")).toEqual(["from-profile", "flag", "1"]);
    writeFileSync(`${d}/bad.toml`, "frobnicate = 1\n");
    const bad = nsbox(["run", "--profile", `${d}/bad.toml`, "--", "true"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("frobnicate");
  });
});
