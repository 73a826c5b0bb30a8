// A caller whose real and effective ids differ (a set-user-ID or set-group-ID program that starts
// nsbox without settling its ids) is refused by every command before anything is planned or
// made: nsbox plans for the real uid, and would run with the effective one's rights. The
// callers are real: a set-user-ID-root (or set-group-ID) copy of env(1), run as nobody, that
// execs dist/nsbox keeping its real ids.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describeRoot, NSBOX, tempDir } from "./harness.ts";

let dir = "";
let runtime = "";
beforeAll(() => {
  if (process.getuid?.() !== 0) return;
  dir = tempDir("nsbox-caller-ids-");
  chmodSync(dir, 0o755);
  for (const [name, mode, group] of [["env-setuid", 0o4755, 0], ["env-setgid", 0o2755, 0]] as const) {
    copyFileSync("/usr/bin/env", join(dir, name));
    chownSync(join(dir, name), 0, group);
    chmodSync(join(dir, name), mode);
  }
  runtime = join(dir, "run");
  mkdirSync(runtime, { mode: 0o700 });
  chownSync(runtime, 65534, 65534);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** nobody runs the set-id copy of env, which execs nsbox ARGS with the ids it got. */
function mixed(helper: "env-setuid" | "env-setgid", args: string[]) {
  const env = ["-i", `XDG_RUNTIME_DIR=${runtime}`, "PATH=/usr/bin:/bin", "NSBOX_TRACE=1"];
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", join(dir, helper), ...env, NSBOX, ...args], { cwd: "/", stdin: "ignore", timeout: 20_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const HINT = "(start nsbox with one identity: the program that starts it must set real and effective ids alike (setresuid/setresgid, runuser, setpriv --reuid --regid))";

describeRoot("callers with mixed ids", () => {
  test("the helpers are real set-id callers: env reports nobody's real ids and the effective ones of its file", () => {
    const ids = (helper: "env-setuid" | "env-setgid") => {
      const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", join(dir, helper), "grep", "-E", "^(Uid|Gid):", "/proc/self/status"], { stdin: "ignore" });
      return r.stdout.toString().replace(/\t/g, " ");
    };
    // real, effective, saved, file-system
    expect(ids("env-setuid")).toBe("Uid: 65534 0 0 0\nGid: 65534 65534 65534 65534\n");
    expect(ids("env-setgid")).toBe("Uid: 65534 65534 65534 65534\nGid: 65534 0 0 0\n");
  });

  test("nsbox run with a real uid nobody's and an effective uid root's is refused with one line; nothing is planned or made", () => {
    const r = mixed("env-setuid", ["run", "--", "sh", "-c", "head -c 5 /etc/shadow"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`nsbox: started with real uid 65534 gid 65534 but effective uid 0 gid 65534 (a set-user-ID or set-group-ID caller) ${HINT}\n`);
    expect(r.code).toBe(125);
    // Not even the state root: the refusal comes before the plan cache and the context are read.
    expect(readdirSync(runtime)).toEqual([]);
  });

  test("a set-group-ID caller (real gid nobody's, effective gid root's) is refused as well", () => {
    const r = mixed("env-setgid", ["run", "--", "id"]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`nsbox: started with real uid 65534 gid 65534 but effective uid 65534 gid 0 (a set-user-ID or set-group-ID caller) ${HINT}\n`);
    expect(r.code).toBe(125);
    expect(readdirSync(runtime)).toEqual([]);
  });

  test("every other command that works for the caller is refused the same way: exec, plan, selftest, ps, gc, stop", () => {
    for (const args of [["exec", "web", "--", "id"], ["plan", "--", "true"], ["selftest"], ["ps"], ["gc"], ["stop", "web"]]) {
      const r = mixed("env-setuid", args);
      expect(r.stderr, args[0]).toStartWith("nsbox: started with real uid 65534 gid 65534 but effective uid 0 gid 65534 ");
      expect(r.stderr.split("\n").length, args[0]).toBe(2);
      expect(r.code, args[0]).toBe(125);
    }
    expect(readdirSync(runtime)).toEqual([]);
  });

  test("--version, which reads nothing of the caller's, still answers", () => {
    const r = mixed("env-setuid", ["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("nsbox/");
  });
});
