// Trees a sandbox can write, planted from inside a real sandbox: nsbox's host side (root) must
// never be redirected by a symlink there to read, bind, chown or chmod anything outside the
// tree (runc CVE-2021-30465 is the classic swap), nor be stopped by what the sandbox made.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stampPath } from "../../src/core/state-directories.ts";
import { describeRoot, forgetRanges, host, inSandbox, nsbox, NSBOX, tempDir, waitFor } from "./harness.ts";

const dirs: string[] = [];
const stateDirs: string[] = [];
const started: Bun.Subprocess[] = [];
const names: string[] = [];

/** A temporary directory the sandboxes' ranges can search. */
function fixture(): string {
  const d = tempDir();
  dirs.push(d);
  chmodSync(d, 0o755);
  return d;
}

afterAll(async () => {
  // SIGTERM: the supervisor forwards it to the payload and, once the sandbox ends, removes its
  // record (a SIGKILL would leave the record to nsbox gc).
  for (const p of started) p.kill("SIGTERM");
  await Promise.all(started.map((p) => p.exited));
  for (const dir of stateDirs) rmSync(stampPath(dir), { force: true });
  forgetRanges(names);
  // rm(1): it removes a tree tens of thousands of levels deep in seconds (fts), where rmSync did not finish.
  if (dirs.length) host(`rm -rf ${dirs.join(" ")}`);
});

/**
 * A sandbox owning A (--state) that swaps A/b with a symlink A/b2 to HIDDEN (host data the os
 * root hides, readable by any uid) as fast as renameat2(RENAME_EXCHANGE) goes; resolves once it
 * runs. Paths are under a fresh fixture.
 */
async function startSwapper(): Promise<{ a: string; b: string; hidden: string }> {
  const d = fixture();
  const a = join(d, "a");
  const b = join(a, "b");
  const hidden = join(d, "hidden");
  stateDirs.push(a, b);
  mkdirSync(hidden, { mode: 0o755 });
  writeFileSync(join(hidden, "secret"), "host data\n", { mode: 0o644 });
  const renameat2 = process.arch === "arm64" ? 276 : 316;
  const swap =
    `mkdir -m 755 ${b} && ln -s ${hidden} ${b}2 && ` +
    `exec perl -e 'open(my $f, ">", "$ARGV[0]/ready") or die; close $f; syscall(${renameat2}, -100, "$ARGV[0]/b", -100, "$ARGV[0]/b2", 2) while 1' ${a}`;
  const swapper = Bun.spawn([NSBOX, "run", "--state", a, "--", "sh", "-c", swap], { stdout: "ignore", stderr: "ignore" });
  started.push(swapper);
  await waitFor(() => existsSync(join(a, "ready")), "the swapper runs");
  return { a, b, hidden };
}

describeRoot("writable trees: what a sandbox plants there", () => {
  test("an idmapped bind's source behind a symlink the sandbox planted is refused, not cloned by root", () => {
    // The operator gives on-disk uid 1000's DATA at /data, and DATA/sub again at /sub. OTHER is
    // also uid 1000's, private (0700) and never given: only root can reach it.
    const d = fixture();
    const data = join(d, "data");
    const other = join(d, "other");
    mkdirSync(join(data, "sub"), { recursive: true });
    mkdirSync(other, { mode: 0o700 });
    writeFileSync(join(other, "secret"), "not for the sandbox\n", { mode: 0o600 });
    for (const p of [data, join(data, "sub"), other, join(other, "secret")]) chownSync(p, 1000, 1000);
    const binds = ["--idmap-bind", data, "/data", "0:1000"];
    // Inside, root is on-disk 1000 on /data: it swaps sub for a symlink to OTHER.
    const plant = inSandbox(`rmdir /data/sub && ln -s ${other} /data/sub`, binds);
    expect(plant.stderr).toBe("");
    expect(plant.code).toBe(0);
    // The next start: the supervisor, still host root, must not follow it to OTHER.
    const r = inSandbox("cat /sub/secret; echo planted > /sub/planted", [...binds, "--idmap-bind", join(data, "sub"), "/sub", "0:1000"]);
    expect(r.stdout).not.toContain("not for the sandbox");
    expect(existsSync(join(other, "planted"))).toBe(false);
    expect(r.code).toBe(125);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`${join(data, "sub")} -> /sub: a symlink on the way`);
    expect(readFileSync(join(other, "secret"), "utf8")).toBe("not for the sandbox\n");
  });

  test("a state directory swapped for a symlink after nsbox checked it is refused by the stage, not bound", async () => {
    // An unnamed sandbox owns A (--state) and swaps A/B; another of the same (default) range is
    // given A/B, so nsbox's check and the stage's bind each see one of the two at random.
    const { b, hidden } = await startSwapper();
    // Start until the stage has met the symlink once (a start whose check met it is refused
    // before the stage runs, one that met the directory twice is a plain start).
    let redirected = 0;
    let refusedByStage = 0;
    for (let i = 0; i < 150 && refusedByStage + redirected === 0; i++) {
      const r = nsbox(["run", "--state", b, "--", "cat", join(b, "secret")]);
      if (r.stdout.includes("host data")) redirected++;
      if (r.stderr.includes(`bind: ${b} -> ${b}: a symlink on the way`)) {
        refusedByStage++;
        expect(r.code).toBe(125);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
      }
    }
    expect(redirected).toBe(0);
    expect(refusedByStage).toBe(1);
    expect(readFileSync(join(hidden, "secret"), "utf8")).toBe("host data\n");
  });

  test("a plain bind below another sandbox's state directory, swapped for a symlink, is refused by the stage, not followed", async () => {
    // A sandbox owns A (--state) and swaps A/B. Another sandbox is given A/B with a plain
    // --ro-bind: the stage must never bind what the link names.
    const { b } = await startSwapper();
    // Start until the stage has met the symlink once; before flag 16, the first such start bound HIDDEN.
    let redirected = 0;
    let refusedByStage = 0;
    for (let i = 0; i < 150 && refusedByStage + redirected === 0; i++) {
      const r = nsbox(["run", "--ro-bind", b, "/b", "--", "cat", "/b/secret"]);
      if (r.stdout.includes("host data")) redirected++;
      if (r.stderr.includes(`bind: ${b} -> /b: a symlink on the way`)) {
        refusedByStage++;
        expect(r.code).toBe(125);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
      }
    }
    expect(redirected).toBe(0);
    expect(refusedByStage).toBe(1);
  });

  test("a bind's source through a link: followed on a way only root writes, refused on one another uid writes", () => {
    const d = fixture();
    for (const [owner, sub] of [[0, "roots"], [65534, "theirs"]] as const) {
      mkdirSync(join(d, sub, "real"), { recursive: true, mode: 0o755 });
      writeFileSync(join(d, sub, "real", "f"), `${sub}\n`, { mode: 0o644 });
      symlinkSync("real", join(d, sub, "link"));
      chownSync(join(d, sub), owner, owner);
    }
    const ok = nsbox(["run", "--ro-bind", join(d, "roots", "link"), "/x", "--", "cat", "/x/f"]);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe("roots\n");
    const r = nsbox(["run", "--ro-bind", join(d, "theirs", "link"), "/x", "--", "cat", "/x/f"]);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`nsbox: ro-bind: ${join(d, "theirs", "link")} -> /x: a symlink on the way; give the real path: Symbolic link loop (ELOOP)\n`);
    // The real path is bound as before.
    expect(nsbox(["run", "--ro-bind", join(d, "theirs", "real"), "/x", "--", "cat", "/x/f"]).stdout).toBe("theirs\n");
  });

  test("a listening unix socket swapped for a symlink right after bind: root changes no host file's mode or group", async () => {
    // A sandbox owns S (--state); the operator puts a worker's listening socket there. The sandbox
    // swaps the socket, as soon as it appears, with a symlink to a host file of root's.
    const d = fixture();
    const s = join(d, "s");
    stateDirs.push(s);
    const victim = join(d, "victim");
    writeFileSync(victim, "root's\n", { mode: 0o600 });
    const socket = join(s, "app.sock");
    const renameat2 = process.arch === "arm64" ? 276 : 316;
    const swap =
      `exec perl -e 'my ($d, $v) = @ARGV; open(my $f, ">", "$d/ready") or die; close $f; ` +
      `while (1) { symlink $v, "$d/link"; next unless -S "$d/app.sock"; ` +
      `syscall(${renameat2}, -100, "$d/app.sock", -100, "$d/link", 2) == 0 and unlink "$d/link" }' ${s} ${victim}`;
    const swapper = Bun.spawn([NSBOX, "run", "--state", s, "--", "sh", "-c", swap], { stdout: "ignore", stderr: "ignore" });
    started.push(swapper);
    await waitFor(() => existsSync(join(s, "ready")), "the swapper runs");
    const changed = () => (statSync(victim).mode & 0o7777) !== 0o600 || statSync(victim).gid !== 0;
    // Start until nsbox has met the swapped socket once after its bind.
    let metLink = 0;
    for (let i = 0; i < 150 && metLink === 0 && !changed(); i++) {
      rmSync(socket, { force: true }); // the link a swap left (else the start refuses it at once)
      const r = nsbox(["httpd-worker", "run", "--listen", `unix:${socket}`, "--socket-mode", "0666", "--socket-group", "1234", "--", "true"]);
      if (r.stderr.includes(`unix:${socket}: replaced while nsbox made it`)) {
        metLink++;
        expect(r.code).toBe(125);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
      }
    }
    expect([statSync(victim).mode & 0o7777, statSync(victim).gid]).toEqual([0o600, 0]);
    expect(metLink).toBe(1);
  });

  test("a state directory nested tens of thousands deep: the next start still works, the deep part keeps its owners", () => {
    const d = fixture();
    const s = join(d, "s");
    stateDirs.push(s);
    // From inside: 30000 nested directories, and DIR given to another of its own ids (CAP_CHOWN,
    // which the updater keeps), so the stamp no longer matches and the next start walks again.
    const plant = inSandbox(`cd ${s} && perl -e 'for (1..30000) { mkdir "a" or die "$!"; chdir "a" or die "$!" }' && chown 1 ${s}`, ["--state", s, "--cap-add", "CAP_CHOWN"]);
    expect(plant.stderr).toBe("");
    expect(plant.code).toBe(0);
    const again = nsbox(["run", "--state", s, "--", "stat", "-c", "%u", s]);
    expect(again.stdout).toBe("0\n");
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`--state ${s}: directories 512 levels below it and deeper kept their owners, with all they hold, e.g. ${s}/a/a/.../a\n`);
    expect(again.stderr).not.toContain("internal error");
  });

  test("ranges rm --reown-root keeps the range while the walk left files of the sandbox's (hard links)", () => {
    const d = fixture();
    const s = join(d, "s");
    stateDirs.push(s);
    const name = `wt-${process.pid}`;
    names.push(name);
    const plant = inSandbox(`echo data > ${s}/f && ln ${s}/f ${s}/g`, ["--name", name, "--state", s]);
    expect(plant.stderr).toBe("");
    expect(plant.code).toBe(0);
    const range = lstatSync(join(s, "f")).uid;
    expect(range).not.toBe(0);
    // Released with f still the range's, the slot's next name would own it.
    const refused = nsbox(["ranges", "rm", name, "--reown-root"]);
    expect(refused.code).toBe(125);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain(`${s}: 2 entries the walk leaves alone`);
    expect(nsbox(["ranges"]).stdout).toContain(name);
    // The operator decides about the link; then the release goes through.
    rmSync(join(s, "g"));
    const released = nsbox(["ranges", "rm", name, "--reown-root"]);
    expect(released.code).toBe(0);
    expect([lstatSync(join(s, "f")).uid, readFileSync(join(s, "f"), "utf8")]).toEqual([0, "data\n"]);
  });
});
