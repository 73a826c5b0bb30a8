// `nsbox exec` into a sandbox that is still being built: it waits until the sandbox's command has
// been exec'd, and never joins earlier. A test build of the stage (test/fixtures/stage-hold) stops
// the child right before it builds the root, when its mount namespace is still a copy of the
// host's tree; the test writes the record nsbox would have written for it (the same spec, planned
// by nsbox), so `nsbox exec NAME` finds it as it finds any named sandbox.
import { afterEach, beforeAll, expect, test } from "bun:test";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildStage } from "../../scripts/build.ts";
import { createRecord, removeRecord, type RecordFiles } from "../../src/core/sandbox-record.ts";
import { describeRoot, host, NSBOX, readUntil } from "./harness.ts";
import { PATH, temp } from "./stage-driver.ts";

const ROOT = resolve(import.meta.dir, "../..");
const NAME = `exec-starting-${process.pid}`;

let dir = "";
let holding = "";
beforeAll(() => {
  if (process.getuid?.() !== 0) return;
  dir = temp();
  holding = join(dir, "nsbox-stage-hold");
  buildStage(holding, [join(ROOT, "test/fixtures/stage-hold/hold.c"), "-Wl,--wrap=umask"], ROOT);
});

/** What one case started: ended and removed after it, whatever its outcome. */
let held: Bun.Subprocess<"pipe", "ignore", "pipe"> | undefined;
let record: RecordFiles | undefined;
const execs: Bun.Subprocess[] = [];
afterEach(() => {
  for (const p of execs.splice(0)) p.kill("SIGKILL");
  // SIGKILL to the supervisor ends its init and payload too (PR_SET_PDEATHSIG, run.c).
  held?.kill("SIGKILL");
  held = undefined;
  if (record) removeRecord(record);
  record = undefined;
});

/**
 * Starts `sleep 60` as `nsbox run` would, on the holding stage, recorded under NAME; resolves once
 * its child is held before building the root.
 */
async function startHeld(): Promise<void> {
  const wire = join(dir, "spec.wire");
  const spec = JSON.parse(host(`${NSBOX} plan --json -- sleep 60`).stdout);
  expect(host(`${NSBOX} plan --wire -- sleep 60 >${wire}`).code).toBe(0);
  const fd = openSync(wire, "r");
  try {
    held = Bun.spawn([holding, "--spec-fd", "3"], { stdio: ["pipe", "ignore", "pipe", fd], env: { PATH: PATH.slice(5), NSBOX_TEST_HOLD: "1" } });
  } finally {
    closeSync(fd);
  }
  record = createRecord(spec, NAME, held.pid);
  await readUntil(held.stderr, "held\n");
}

/** `nsbox exec --verbose NAME -- sh -c script`, started; its stderr says when it waits. */
const exec = (script: string) => {
  const p = Bun.spawn([NSBOX, "exec", "--verbose", NAME, "--", "sh", "-c", script], { stdout: "pipe", stderr: "pipe", env: { PATH: PATH.slice(5) } });
  execs.push(p);
  return p;
};

describeRoot("nsbox exec into a sandbox that is still starting", () => {
  test("waits until the sandbox is built, then joins it: the host's root is never seen", async () => {
    const marker = join(dir, "only-on-the-host");
    writeFileSync(marker, "");
    await startHeld();
    const p = exec(`test -e ${marker} && echo host-root || echo sandbox-root`);
    const [out, err] = [new Response(p.stdout).text(), p.stderr.tee()];
    await readUntil(err[0], "is still starting");
    // Released: the child builds the root, the payload execs sleep, and exec joins.
    held!.stdin.write("x");
    await held!.stdin.flush();
    expect(await p.exited).toBe(0);
    expect(await out).toBe("sandbox-root\n");
    expect(await new Response(err[1]).text()).not.toContain("error");
  });

  test("a sandbox that ends while exec waits is never joined: one line, 125", async () => {
    await startHeld();
    const p = exec("echo joined");
    const [out, err] = [new Response(p.stdout).text(), p.stderr.tee()];
    await readUntil(err[0], "is still starting");
    held!.kill("SIGKILL");
    expect(await p.exited).toBe(125);
    expect(await out).toBe("");
    const lines = (await new Response(err[1]).text()).split("\n").filter((l) => l && !l.includes("debug:"));
    expect(lines).toEqual([`nsbox: the sandbox ${NAME} ended`]);
  });
});

