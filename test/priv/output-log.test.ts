// --log FILE [--log-max SIZE] on the real kernel: the payload's output reaches FILE through a pipe
// the stage's supervisor reads, and the supervisor keeps FILE and FILE.1 under the cap however
// much the payload writes; a sandbox that can write the log's directory cannot make it write
// anywhere else; `nsbox exec` still prints to its caller; bad input is one line. As root and as
// nobody (no subordinate ids: the supervisor is the caller's own uid).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stampPath } from "../../src/core/state-directories.ts";
import { describeRoot, forgetRanges, host, nsbox, NSBOX, tempDir, waitFor } from "./harness.ts";

const names: string[] = [];
const started: Bun.Subprocess[] = [];
let d = "";

beforeAll(() => {
  if (process.getuid?.() !== 0) return;
  d = tempDir("nsbox-output-log-");
  chmodSync(d, 0o755);
});
afterAll(() => {
  for (const p of started) p.kill("SIGKILL");
  if (d) rmSync(d, { recursive: true, force: true });
  forgetRanges(names);
});

const name = (n: string) => {
  const full = `olog-${process.pid}-${n}`;
  names.push(full);
  return full;
};

/** A shell loop printing `count` numbered lines. */
const writer = (count: number, prefix = "line") => `i=0; while [ $i -lt ${count} ]; do echo ${prefix}-$i; i=$((i+1)); done`;
const expected = (count: number, prefix = "line") => Array.from({ length: count }, (_, i) => `${prefix}-${i}\n`).join("");
const sizeOf = (f: string) => (existsSync(f) ? statSync(f).size : 0);
const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");

/** The cap held, and the two generations read one after the other are the output's newest bytes. */
function expectCapped(file: string, output: string, cap: number): void {
  const both = read(`${file}.1`) + read(file);
  expect(sizeOf(file) + sizeOf(`${file}.1`)).toBeLessThanOrEqual(cap);
  expect(sizeOf(`${file}.1`)).toBe(cap / 2); // a rotation happened: the older generation is full
  expect(both.length).toBeGreaterThan(cap / 2);
  expect(output.endsWith(both)).toBe(true);
  expect(existsSync(`${file}.new`)).toBe(false);
}

describeRoot("--log: the payload's output, capped by the supervisor", () => {
  test("800 KB through --log-max 64K: FILE and FILE.1 hold the newest 64K at most; nothing reaches the caller; the status passes through", () => {
    const file = join(d, "root", "out.log"); // its directory is made (0755, root's)
    const r = nsbox(["run", "--log", file, "--log-max", "64K", "--", "sh", "-c", `${writer(80_000)}; exit 7`]);
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 7, stdout: "", stderr: "" });
    expectCapped(file, expected(80_000), 64 * 1024);
    expect(read(file).endsWith("line-79999\n")).toBe(true);
    expect(lstatSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(d, "root")).mode & 0o777).toBe(0o755);
    // A second run appends to what is there, and rotates on from it.
    const again = nsbox(["run", "--log", file, "--log-max", "64K", "--", "sh", "-c", "echo second run"]);
    expect(again.code).toBe(0);
    expect(read(file).endsWith("line-79999\nsecond run\n")).toBe(true);
  });

  test("a supervisor whose stderr is the log (as cms-isolate's up sets it) writes its own last words to the newest generation", () => {
    const file = join(d, "last-words", "out.log");
    mkdirSync(join(d, "last-words"));
    // 45 KB (a rotation at 32K), then a process that grows past the memory limit.
    const payload = `${writer(6000)}; head -c 200M /dev/zero | tail`;
    const r = host(`exec "${NSBOX}" run --memory 32M --log ${file} --log-max 64K -- sh -c '${payload}' 2>> ${file}`);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 137, stderr: "" });
    expect(read(file)).toEndWith("nsbox: a process was killed at the memory limit (--memory 33554432 bytes) (oom_kill +1)\n");
    expect(read(`${file}.1`)).not.toContain("nsbox:");
  });

  test("a sandbox that writes the log's directory plants symlinks at FILE.1, FILE.new and FILE: the supervisor never writes through them", () => {
    const n = name("planted");
    const top = join(d, "planted");
    mkdirSync(top, { mode: 0o755 });
    const victim = join(top, "victim");
    writeFileSync(victim, "precious\n", { mode: 0o644 });
    const state = join(top, "state");
    const file = join(state, "out.log");
    // The state directory is the sandbox's own: it may put anything there, between and during runs.
    const script = [
      `ln -s ${victim} ${file}.1`, `ln -s ${victim} ${file}.new`,
      writer(5000, "a"), // 33 KB: one rotation at 32K, through the planted names
      `rm ${file} && ln -s ${victim} ${file}`,
      writer(5000, "b"), // then FILE itself, and 33 KB more
      "exit 7",
    ].join("\n");
    const r = nsbox(["run", "--name", n, "--state", state, "--log", file, "--log-max", "64K", "--", "sh", "-c", script]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 7, stderr: "" });
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(lstatSync(`${file}.1`).isFile()).toBe(true);
    expect(read(`${file}.1`).startsWith("a-0\n")).toBe(true); // the first generation, whole
    expect(existsSync(`${file}.new`)).toBe(false);
    // FILE is the sandbox's symlink, left as it made it: the supervisor emptied its own file instead.
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    // The next start finds the symlink at FILE and replaces it with a file of its own.
    const next = nsbox(["run", "--name", n, "--state", state, "--log", file, "--", "sh", "-c", "echo next"]);
    expect(next.code).toBe(0);
    expect(lstatSync(file).isFile()).toBe(true);
    expect(read(file)).toBe("next\n");
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    rmSync(stampPath(state), { force: true });
  });

  test("nsbox exec into a --log sandbox prints to its caller; the payload's output stays in the log", async () => {
    const n = name("exec");
    const file = join(d, "exec", "out.log");
    const p = Bun.spawn([NSBOX, "run", "--name", n, "--log", file, "--", "sh", "-c", "echo started; exec sleep 1000"], { stdout: "pipe", stderr: "pipe" });
    started.push(p);
    await waitFor(() => read(file) === "started\n", "the payload's first line is in the log");
    const r = nsbox(["exec", n, "--", "sh", "-c", "echo joined; echo to-stderr >&2"]);
    expect(r).toMatchObject({ code: 0, stdout: "joined\n", stderr: "to-stderr\n" });
    expect(read(file)).toBe("started\n");
    expect(nsbox(["stop", n]).code).toBe(0);
    await p.exited;
  });

  test("bad input: one line each, nothing made", () => {
    const linked = join(d, "linked");
    symlinkSync(join(d, "root"), linked);
    const cases: [string[], number, string][] = [
      [["--log-max", "64K"], 2, "nsbox: --log-max: there is no --log FILE to cap"],
      [["--log", join(d, "x", "out.log"), "--log-max", "1K"], 2, "nsbox: --log-max: '1K' is not a size of at least 64K (e.g. 512K, 8M)"],
      [["--log", join(d, "x", "bad name")], 2, `nsbox: --log: '${join(d, "x", "bad name")}': its file name 'bad name' may hold only letters, digits, '_', '.' and '-'`],
      [["--log", "out.log"], 2, "nsbox: --log: FILE 'out.log' must be an absolute path"],
      [["--log", join(linked, "out.log")], 125, `nsbox: --log ${linked}: is a symlink; give the directory itself`],
    ];
    for (const [opts, code, line] of cases) {
      const r = nsbox(["run", ...opts, "--", "true"]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: `${line}\n` });
    }
    expect(existsSync(join(d, "x"))).toBe(false);
    const save = nsbox(["plan", "--save", join(d, "plan"), "--log", join(d, "root", "out.log"), "--", "true"]);
    expect(save.code).toBe(2);
    expect(save.stderr).toContain("--log (its directory is opened at each start)");
  });

  test("rootless (nobody): its own supervisor keeps the cap", () => {
    const home = join(d, "nobody");
    mkdirSync(home, { mode: 0o755 });
    host(`cp ${NSBOX} ${home}/nsbox && chmod 755 ${home}/nsbox`);
    for (const sub of ["run", "logs"]) {
      mkdirSync(join(home, sub), { mode: 0o700 });
      chownSync(join(home, sub), 65534, 65534);
    }
    const file = join(home, "logs", "out.log");
    const argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", `XDG_RUNTIME_DIR=${join(home, "run")}`, "PATH=/usr/bin:/bin", `${home}/nsbox`];
    const r = Bun.spawnSync([...argv, "run", "--log", file, "--log-max", "64K", "--", "sh", "-c", `${writer(80_000)}; exit 7`], { timeout: 60_000 });
    expect({ code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() }).toEqual({ code: 7, stdout: "", stderr: "" });
    expectCapped(file, expected(80_000), 64 * 1024);
    expect([statSync(file).uid, statSync(`${file}.1`).uid]).toEqual([65534, 65534]);
  });
});
