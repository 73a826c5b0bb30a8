// `nsbox export systemd --via plan`: the unit's ExecStart= is a saved plan the installed stage
// starts alone; systemd accepts the unit, and the plan runs the sandbox nsbox run would build.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeRoot, nsbox, tempDir } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const ENV = { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" };

describeRoot("export systemd --via plan", () => {
  test("ExecStart= is the saved plan, which starts the sandbox", () => {
    const dir = tempDir("nsbox-export-plan-");
    dirs.push(dir);
    const stage = join(dir, "lib", "nsbox-stage");
    expect(nsbox(["stage", "install", stage]).code).toBe(0);
    const plan = join(dir, "web-plan");
    const r = nsbox(["export", "systemd", "--via", "plan", "--save", plan, "--stage", stage, "--hostname", "web", "--", "sh", "-c", "hostname; cat /proc/self/uid_map"], { env: ENV });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")).toContain(`ExecStart=${plan}`);
    expect(statSync(plan).mode & 0o111).not.toBe(0);
    // systemd reads the unit and finds its ExecStart= executable.
    const unit = join(dir, "nsbox-export-plan.service");
    writeFileSync(unit, r.stdout);
    const verify = Bun.spawnSync(["systemd-analyze", "verify", unit], { stderr: "pipe", stdout: "pipe", env: ENV });
    expect(verify.stderr.toString().split("\n").filter((l) => l.includes("nsbox-export-plan")).join("\n")).toBe("");
    // What ExecStart= would start: the sandbox, without nsbox.
    const run = Bun.spawnSync([plan], { env: ENV, stdin: "ignore", timeout: 20_000 });
    const [hostname, map] = run.stdout.toString().trim().split("\n");
    expect(run.exitCode).toBe(0);
    expect(hostname).toBe("web");
    const planned = JSON.parse(nsbox(["plan", "--json", "--", "true"]).stdout) as { users: { uidMap: { outside: number }[] } };
    expect(map!.trim().split(/\s+/).map(Number)[1]).toBe(planned.users.uidMap[0]!.outside);
    expect(readFileSync(plan, "latin1")).toStartWith(`#!${stage} --plan\n`);
  });

  test("what a saved plan cannot carry is refused with one line, and nothing is written", () => {
    const dir = tempDir("nsbox-export-plan-");
    dirs.push(dir);
    const r = nsbox(["export", "systemd", "--via", "plan", "--save", join(dir, "p"), "--memory", "64M", "--", "true"], { env: ENV });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(() => statSync(join(dir, "p"))).toThrow();
  });
});
