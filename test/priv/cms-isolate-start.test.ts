// cms-isolate's claim on a start in progress, for real: from `up`'s claim on, the instance's
// record names the `run` it spawned (pid and start time) until that run, later the stage's
// supervisor, ends. So a second `up`, a `down` and `ls` see a start the core has no record of
// yet, and a run that died leaves a claim that blocks nothing. The test holds a start at the
// run's own claim by taking the plugin's instances lock (the same flock(2) nsbox takes) itself.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { holdFileLock } from "../../src/core/file-lock.ts";
import type { HeldLock } from "../../src/plugin/services.ts";
import type { InstanceStatus } from "../../plugins/cms-isolate/status.ts";
import { accepting, alive, cmsRoot, freePort, get, removeCmsRoot } from "./cms-fixture.ts";
import { describeRoot, forgetRanges, NSBOX, nsbox, waitFor } from "./harness.ts";

const T = `s${process.pid}`;
const NAMES = ["second", "down", "stale"].map((n) => `${T}-${n}`);
let root = "";
let cfg = "";
let code = "";

const cms = (args: string[]) => nsbox(["cms-isolate", "--config-dir", cfg, ...args]);
const stateDir = () => join(cfg, "cms-isolate");
const recordFile = (n: string) => join(stateDir(), `${n}.json`);
const readIf = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
const upArgs = (n: string, port: number) => ["up", n, "--code", code, "--data", join(root, "data", n), "--listen", `127.0.0.1:${port}`];
const rowOf = (n: string) => (JSON.parse(cms(["ls", "--json"]).stdout) as InstanceStatus[]).find((r) => r.name === n);
/** The files the plugin keeps for instance `n` (record, log). */
const filesOf = (n: string) => (existsSync(stateDir()) ? readdirSync(stateDir()).filter((f) => f.startsWith(`${n}.`)) : []);
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);

interface HeldStart {
  up: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** The run `up` spawned, as its record names it. */
  run: number;
  port: number;
  lock: HeldLock;
}

/**
 * Starts `up NAME` and holds its run before the run's own claim: once the record names the run,
 * the test takes the instances lock, which the run needs to claim. The run must not have claimed
 * yet (its claim rewrites the record, its sandbox comes after); when it has (this process was
 * slower than the run's whole Bun start), that start is undone and tried again.
 */
async function upHeldAtClaim(n: string): Promise<HeldStart> {
  for (let attempt = 1; ; attempt++) {
    const port = freePort();
    const up = Bun.spawn([NSBOX, "cms-isolate", "--config-dir", cfg, ...upArgs(n, port)], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    let written = "";
    await waitFor(() => (written = readIf(recordFile(n))).includes('"owner"') || up.exitCode !== null, `up ${n} records its run`);
    if (up.exitCode !== null) throw new Error(`up ${n} ended (${up.exitCode}) before it recorded its run: ${await new Response(up.stderr).text()}`);
    const lock = holdFileLock(join(stateDir(), "instances.lock"), true);
    if ("heldBy" in lock) throw new Error("the instances lock was not taken");
    if (readIf(recordFile(n)) === written) return { up, run: (JSON.parse(written) as { owner: { pid: number } }).owner.pid, port, lock };
    lock.release();
    await up.exited;
    cms(["down", n]);
    if (attempt === 3) throw new Error(`the run of ${n} claimed its instance before the test held it, ${attempt} times`);
  }
}

describeRoot("cms-isolate: a start in progress", () => {
  beforeAll(() => {
    ({ root, cfg, code } = cmsRoot("nsbox-cms-start-"));
    writeFileSync(join(code, "index.php"), '<?php echo getenv("CMS_NAME"), "\\n";', { mode: 0o644 });
  });

  afterAll(() => {
    cms(["down", "--all"]);
    removeCmsRoot(root);
    forgetRanges(NAMES.map((n) => `cms-${n}`));
  });

  test("a second up while the first is starting: one line naming its run, exit 125; the first comes up", async () => {
    const n = NAMES[0]!;
    const held = await upHeldAtClaim(n);
    try {
      expect(rowOf(n)).toMatchObject({ state: "starting", pid: held.run, serverPid: null });
      expect(cms(["status", n]).stdout).toStartWith(`${n}: starting (pid ${held.run})\n`);
      const second = cms(upArgs(n, held.port));
      expect({ code: second.code, stdout: second.stdout, stderr: second.stderr }).toEqual({
        code: 125,
        stdout: "",
        stderr: `nsbox: plugin cms-isolate: instance ${n} is starting (pid ${held.run}) (see nsbox cms-isolate status ${n}; to stop it: nsbox cms-isolate down ${n})\n`,
      });
      const exec = cms(["exec", n, "--", "true"]);
      expect({ code: exec.code, stderr: exec.stderr }).toMatchObject({ code: 125, stderr: expect.stringContaining(`instance ${n} is starting (pid ${held.run})`) });
    } finally {
      held.lock.release();
    }
    // The refused up touched nothing of the first's: its run comes up under the pid it was claimed for.
    expect(await held.up.exited).toBe(0);
    expect(rowOf(n)).toMatchObject({ state: "running", pid: held.run });
    expect(await get(held.port)).toBe(`${n}\n`);
    expect(cms(["down", n]).stdout).toBe(`${n} down (terminated)\n`);
  });

  test("down while an up is starting: its run is stopped, nothing runs and nothing is recorded", async () => {
    const n = NAMES[1]!;
    const held = await upHeldAtClaim(n);
    // down needs the lock only to remove the record, once the run is gone.
    const down = Bun.spawn([NSBOX, "cms-isolate", "--config-dir", cfg, "down", n], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    try {
      await waitFor(() => !alive(held.run), "down ended the starting run");
    } finally {
      held.lock.release();
    }
    expect(await down.exited).toBe(0);
    expect(await new Response(down.stdout).text()).toBe(`${n} down (terminated)\n`);
    expect(await held.up.exited).toBe(128 + 15);
    expect(await new Response(held.up.stderr).text()).toBe(`nsbox: plugin cms-isolate: instance ${n} did not start: its run was ended by SIGTERM\n`);
    expect(rowOf(n)).toBeUndefined();
    expect(filesOf(n)).toEqual([]);
    expect(nsbox(["ps", "--json"]).stdout).not.toContain(`cms-${n}`);
    expect(accepting(held.port)).toBe(false);
  });

  test("a claim whose run is gone (up and run killed with SIGKILL) blocks nothing, nor does a live pid of another start time", async () => {
    const n = NAMES[2]!;
    const held = await upHeldAtClaim(n);
    try {
      expect(parentOf(held.run)).toBe(held.up.pid); // the run is this test's up's child: ours to kill
      held.up.kill("SIGKILL");
      await held.up.exited;
      process.kill(held.run, "SIGKILL");
      await waitFor(() => !alive(held.run), "the run is gone");
    } finally {
      held.lock.release();
    }
    const stale = JSON.parse(readFileSync(recordFile(n), "utf8")) as { owner: { pid: number; startTime: number } };
    expect(stale.owner.pid).toBe(held.run);
    expect(rowOf(n)).toMatchObject({ state: "stopped", pid: null });
    // The pid reused by another process: this one, which did not start at the recorded time.
    writeFileSync(recordFile(n), JSON.stringify({ ...stale, owner: { pid: process.pid, startTime: stale.owner.startTime } }));
    expect(rowOf(n)).toMatchObject({ state: "stopped", pid: null });
    const again = cms(upArgs(n, held.port));
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: "" });
    expect(await get(held.port)).toBe(`${n}\n`);
    expect(cms(["down", n]).stdout).toBe(`${n} down (terminated)\n`);
    expect(filesOf(n)).toEqual([]);
  });
});
