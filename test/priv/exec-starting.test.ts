// `nsbox exec` into a sandbox that is still being built: it waits until the sandbox's command has
// been exec'd, and never joins earlier, as root and as an unprivileged caller (who joins through
// the command's namespaces). A test build of the stage (test/fixtures/stage-hold) stops the child
// right before it builds the root, when its mount namespace is still a copy of the host's tree;
// the test writes the record nsbox would have written for it (the spec nsbox planned for the same
// line), so `nsbox exec NAME` finds it as it finds any named sandbox.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { chownSync, closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildStage } from "../../scripts/build.ts";
import { startTime } from "../../src/core/proc.ts";
import { describeRoot, host, NSBOX, readUntil, tempDir } from "./harness.ts";
import { PATH, temp } from "./stage-driver.ts";

const ROOT = resolve(import.meta.dir, "../..");
const NAME = `exec-starting-${process.pid}`;
const NOBODY = 65534;

let dir = "";
let holding = "";
let nobodyRun = "";
beforeAll(() => {
  if (process.getuid?.() !== 0) return;
  dir = temp();
  holding = join(dir, "nsbox-stage-hold");
  buildStage(holding, [join(ROOT, "test/fixtures/stage-hold/hold.c"), "-Wl,--wrap=umask"], ROOT);
  // nobody's nsbox (a copy it can reach) and runtime directory, where its records live.
  host(`cp ${NSBOX} ${dir}/nsbox && chmod 755 ${dir}/nsbox`);
  nobodyRun = tempDir("nsbox-exec-starting-run-");
  chownSync(nobodyRun, NOBODY, NOBODY);
});
afterAll(() => {
  if (nobodyRun) rmSync(nobodyRun, { recursive: true, force: true });
});

interface Caller {
  /** argv that runs `argv` as this caller, with a clean environment plus `env`. */
  argv: (argv: string[], env?: string[]) => string[];
  nsbox: string;
  /** Where its nsbox keeps records. */
  state: string;
  uid: number;
}
const root: Caller = { argv: (a, env = []) => ["env", "-i", PATH, ...env, ...a], nsbox: NSBOX, state: "/run/nsbox", uid: 0 };
const nobody: Caller = {
  argv: (a, env = []) => ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "env", "-i", PATH, `XDG_RUNTIME_DIR=${nobodyRun}`, ...env, ...a],
  get nsbox() {
    return `${dir}/nsbox`;
  },
  get state() {
    return join(nobodyRun, "nsbox");
  },
  uid: NOBODY,
};

/** What one case started: ended and removed after it, whatever its outcome. */
let held: Bun.Subprocess<"pipe", "ignore", "pipe"> | undefined;
let recorded: string[] = [];
const execs: Bun.Subprocess[] = [];
afterEach(() => {
  for (const p of execs.splice(0)) p.kill("SIGKILL");
  // SIGKILL to the supervisor ends its init and payload too (PR_SET_PDEATHSIG, run.c).
  held?.kill("SIGKILL");
  held = undefined;
  for (const f of recorded.splice(0)) rmSync(f, { force: true });
});

/** The record files nsbox writes for a named sandbox (core/sandbox-record.ts), owned by the caller. */
function writeRecord(who: Caller, spec: unknown, pid: number): void {
  const names = join(who.state, "names"), sandboxes = join(who.state, "sandboxes");
  // Made as nsbox makes them (core/state-dir.ts) where missing; root's are nsbox's own, left as found.
  for (const d of [who.state, names, sandboxes]) {
    if (existsSync(d)) continue;
    mkdirSync(d, { mode: 0o700 });
    chownSync(d, who.uid, who.uid);
  }
  const record = { version: 1, name: NAME, pid, startTime: startTime(pid), createdAt: new Date().toISOString(), spec };
  for (const [file, text] of [[join(names, NAME), String(pid)], [join(sandboxes, `${pid}.json`), JSON.stringify(record)]] as const) {
    writeFileSync(file, text, { mode: 0o600, flag: "wx" });
    chownSync(file, who.uid, who.uid);
    recorded.push(file);
  }
}

/**
 * Starts `sleep 60` as `nsbox run` would for `who`, on the holding stage, recorded under NAME;
 * resolves once its child is held before building the root.
 */
async function startHeld(who: Caller): Promise<void> {
  const plan = (format: string) => Bun.spawnSync(who.argv([who.nsbox, "plan", format, "--", "sleep", "60"])).stdout;
  const wire = join(dir, "spec.wire");
  writeFileSync(wire, plan("--wire"));
  const fd = openSync(wire, "r");
  try {
    held = Bun.spawn(who.argv([holding, "--spec-fd", "3"], ["NSBOX_TEST_HOLD=1"]), { stdio: ["pipe", "ignore", "pipe", fd] });
  } finally {
    closeSync(fd);
  }
  writeRecord(who, JSON.parse(plan("--json").toString()), held.pid);
  await readUntil(held.stderr, "held\n");
}

/** `nsbox exec --verbose NAME -- sh -c script` as `who`, started; its stderr says when it waits. */
function exec(who: Caller, script: string) {
  const p = Bun.spawn(who.argv([who.nsbox, "exec", "--verbose", NAME, "--", "sh", "-c", script]), { stdout: "pipe", stderr: "pipe" });
  execs.push(p);
  return { exited: p.exited, out: new Response(p.stdout).text(), err: p.stderr.tee() };
}

describeRoot("nsbox exec into a sandbox that is still starting", () => {
  for (const [who, as] of [[root, "root"], [nobody, "an unprivileged caller"]] as const) {
    test(`waits until the sandbox is built, then joins it: the host's root is never seen (${as})`, async () => {
      const marker = join(dir, "only-on-the-host");
      writeFileSync(marker, "");
      await startHeld(who);
      const p = exec(who, `test -e ${marker} && echo host-root || echo sandbox-root`);
      await readUntil(p.err[0], "is still starting");
      // Released: the child builds the root, the payload execs sleep, and exec joins.
      held!.stdin.write("x");
      await held!.stdin.flush();
      const err = await new Response(p.err[1]).text();
      expect(await p.exited, err).toBe(0);
      expect(await p.out).toBe("sandbox-root\n");
    });
  }

  test("a sandbox that ends while exec waits is never joined: one line, 125", async () => {
    await startHeld(root);
    const p = exec(root, "echo joined");
    await readUntil(p.err[0], "is still starting");
    held!.kill("SIGKILL");
    expect(await p.exited).toBe(125);
    expect(await p.out).toBe("");
    const lines = (await new Response(p.err[1]).text()).split("\n").filter((l) => l && !l.includes("debug:"));
    expect(lines).toEqual([`nsbox: the sandbox ${NAME} ended`]);
  });
});
