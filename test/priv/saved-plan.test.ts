// Saved plans (`nsbox plan --save`) started with the installed stage alone: the sandbox is the one
// `nsbox run` builds with the same options, seen from inside both; a changed, loosely-owned or
// out-of-date plan, or a stage others could replace, is refused with one line before anything runs.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, chownSync, lchownSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeRoot, nsbox, tempDir, type Result } from "./harness.ts";

const ENV = { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" };
const KINDS = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup", "time"];

/** Starts a plan file directly, as cron or a shell would: the kernel runs its interpreter line. */
function startPlan(file: string, args: string[] = []): Result {
  const r = Bun.spawnSync([file, ...args], { env: ENV, stdin: "ignore", timeout: 20_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** The same file with its header edited and its sha256 line made to match again. */
function reHashed(bytes: Uint8Array, edit: (header: string) => string): Uint8Array {
  const text = Buffer.from(bytes).toString("latin1");
  const sumAt = text.indexOf("\nsha256 ") + 1;
  const wireAt = text.indexOf("\n", sumAt) + 1;
  const head = edit(text.slice(0, sumAt));
  const wire = text.slice(wireAt);
  const sum = new Bun.CryptoHasher("sha256").update(Buffer.from(head + wire, "latin1")).digest("hex");
  return Buffer.from(`${head}sha256 ${sum}\n${wire}`, "latin1");
}

// What the payload reports about its own sandbox. Volatile lines (pids, memory, context
// switches) and mount ids are dropped: everything else must be the same in both.
const PROBE = [
  "grep -vE '^(Name|State|Tgid|Ngid|Pid|PPid|TracerPid|NStgid|NSpid|NSpgid|NSsid|Vm[A-Za-z]+|Rss[A-Za-z]+|HugetlbPages|SigQ|voluntary_ctxt_switches|nonvoluntary_ctxt_switches):' /proc/self/status",
  `for k in ${KINDS.join(" ")}; do echo "ns $k $(readlink /proc/self/ns/$k)"; done`,
  "cut -d' ' -f4- /proc/self/mountinfo | sed 's/^/mount /'",
  "hostname; id; ulimit -a | sed 's/^/limit /'",
  // The filter's verdicts on calls the default policy denies (x86-64 numbers: keyctl, bpf,
  // ptrace, unshare(CLONE_NEWUSER), personality, clone3, mount).
  `python3 -c 'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfor nr, a in ((250, (0, -3 % 2**64, 0)), (321, (1000, 0, 0)), (101, (0, 0, 0, 0)), (272, (0x10000000,)), (135, (0x40000,)), (435, (0, 0)), (165, (1, 1, 1, 0, 0))):\n    ctypes.set_errno(0); r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_ulong(x) for x in a]); print("syscall", nr, r, ctypes.get_errno())'`,
].join("; ");

/** The probe's output with each namespace link replaced by whether it is the host's. */
function normalised(out: string): string {
  const hostNs = Object.fromEntries(KINDS.map((k) => [k, readlinkSync(`/proc/self/ns/${k}`)]));
  return out.replace(/^ns (\w+) (\S+)$/gm, (_, k: string, link: string) => `ns ${k} ${link === hostNs[k] ? "host" : "new"}`);
}

describeRoot("saved plans", () => {
  const dir = tempDir("nsbox-plan-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const stage = join(dir, "lib", "nsbox-stage");
  const save = (file: string, opts: string[], cmd: string[]) => nsbox(["plan", "--save", file, "--stage", stage, ...opts, "--", ...cmd], { env: ENV });

  test("stage install writes a root-owned copy of the embedded stage; plan --save writes an executable file", () => {
    const r = nsbox(["stage", "install", stage]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^installed .*nsbox-stage \(sha256 [0-9a-f]{64}\)\n$/);
    const s = save(join(dir, "hello"), [], ["echo", "hello"]);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
    expect(readFileSync(join(dir, "hello"), "latin1")).toStartWith(`#!${stage} --plan\nnsbox-plan 2\n`);
    expect(startPlan(join(dir, "hello"))).toEqual({ code: 0, stdout: "hello\n", stderr: "" });
  });

  for (const opts of [[], ["--share", "net", "--hostname", "web1", "--tmpfs", "/mnt", "--rlimit", "NOFILE=64"]]) {
    test(`a saved plan builds the sandbox nsbox run builds (${opts.join(" ") || "defaults"}): status, namespaces, mounts, seccomp`, () => {
      const file = join(dir, `same-${opts.length}`);
      expect(save(file, opts, ["sh", "-c", PROBE]).code).toBe(0);
      const viaRun = nsbox(["run", ...opts, "--", "sh", "-c", PROBE], { env: ENV });
      const viaPlan = startPlan(file);
      expect(viaPlan.stderr).toBe(viaRun.stderr);
      expect(viaPlan.code).toBe(0);
      expect(viaRun.code).toBe(0);
      const inside = normalised(viaPlan.stdout);
      expect(inside).toBe(normalised(viaRun.stdout));
      // The probe saw what it was meant to: a filter, new namespaces, a built root.
      expect(inside).toMatch(/^Seccomp:\s+2$/m);
      expect(inside).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(inside).toContain("ns user new");
      expect(inside).toContain("ns time host");
      expect(inside).toMatch(/^mount .* \/proc rw,nosuid,nodev,noexec/m);
      expect(inside).toMatch(/^syscall 250 -1 1$/m);
      // And the wire spec inside the file is byte for byte the one `plan --wire` gives.
      const wire = nsbox(["plan", "--wire", ...opts, "--", "sh", "-c", PROBE], { env: ENV }).stdout;
      const text = readFileSync(file, "latin1");
      expect(text.slice(text.indexOf("\n", text.indexOf("\nsha256 ") + 1) + 1)).toBe(wire);
    });
  }

  test("arguments after the file are appended only where the plan allows it", () => {
    expect(save(join(dir, "fixed"), [], ["echo", "a"]).code).toBe(0);
    expect(save(join(dir, "open"), ["--append-args"], ["echo", "a"]).code).toBe(0);
    expect(startPlan(join(dir, "open"), ["b", "c d"])).toEqual({ code: 0, stdout: "a b c d\n", stderr: "" });
    const refused = startPlan(join(dir, "fixed"), ["b"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe(`nsbox: plan: ${join(dir, "fixed")} takes no arguments (it was saved without --append-args)\n`);
  });

  test("a plan with one byte changed is refused before anything runs", () => {
    expect(save(join(dir, "orig"), [], ["echo", "ran"]).code).toBe(0);
    const bytes = readFileSync(join(dir, "orig"));
    // One byte of the command, then one of the header: both are covered by the checksum.
    for (const at of [bytes.lastIndexOf("ran"), bytes.indexOf("args fixed") + 5]) {
      const tampered = Buffer.from(bytes);
      tampered[at] = tampered[at]! ^ 0x01;
      const file = join(dir, `tampered-${at}`);
      writeFileSync(file, tampered, { mode: 0o700 });
      const r = startPlan(file);
      expect(r.code).toBe(125);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`nsbox: plan: ${file}: checksum mismatch: the file changed after \`nsbox plan --save\` wrote it; save it again\n`);
    }
  });

  test("a plan writable by group or others, or owned by another user, is refused", () => {
    const file = join(dir, "loose");
    expect(save(file, [], ["echo", "ran"]).code).toBe(0);
    for (const mode of [0o722, 0o707]) {
      chmodSync(file, mode);
      const r = startPlan(file);
      expect(r.code).toBe(125);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`nsbox: plan: ${file} is writable by others than its owner (mode 0${mode.toString(8)}); chmod go-w ${file}\n`);
    }
    chmodSync(file, 0o755);
    chownSync(file, 65534, 65534);
    const r = startPlan(file);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`nsbox: plan: ${file} is owned by uid 65534; it must be owned by root\n`);
    // Its directory counts too: whoever can write there can swap the file.
    const sub = join(dir, "open-dir");
    mkdirSync(sub);
    expect(save(join(sub, "p"), [], ["echo", "ran"]).code).toBe(0);
    chmodSync(sub, 0o777);
    const d = startPlan(join(sub, "p"));
    expect(d.code).toBe(125);
    expect(d.stderr).toBe(`nsbox: plan: ${join(sub, "p")}: directory ${sub} is writable by others (mode 0777); chmod go-w ${sub}\n`);
    expect(save(join(sub, "q"), [], ["echo", "ran"]).stderr).toContain(`plan --save: directory ${sub} is writable by others (mode 0777)`);
  });

  test("a plan is opened as named, under the kernel's symlink rules: a link another uid left in a sticky directory is refused", () => {
    const sticky = join(dir, "sticky");
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const plan = join(dir, "hello");
    // A link of root's own leads to the plan: the directory checks are on the file it names.
    const own = join(sticky, "own");
    symlinkSync(plan, own);
    expect(startPlan(own)).toEqual({ code: 0, stdout: "hello\n", stderr: "" });
    const theirs = join(sticky, "theirs");
    symlinkSync(plan, theirs);
    lchownSync(theirs, 65534, 65534);
    if (readFileSync("/proc/sys/fs/protected_symlinks", "utf8").trim() === "0") {
      console.log("skipped: fs.protected_symlinks is 0 on this host; the kernel would follow the other uid's link (not changed by tests)");
      return;
    }
    // The kernel refuses to exec through it; the stage, given it by name, refuses to open it.
    const r = Bun.spawnSync([stage, "--plan", theirs], { env: ENV, stdin: "ignore", timeout: 20_000 });
    expect(r.stdout.toString()).toBe("");
    expect(r.stderr.toString()).toBe(`nsbox: plan: ${theirs}: Permission denied (EACCES)\n`);
    expect(r.exitCode).toBe(125);
  });

  test("a bind through a directory another uid writes is saved without following symlinks (--map-host-root: the stage resolves as root)", () => {
    for (const [owner, sub] of [[0, "roots"], [65534, "theirs"]] as const) {
      mkdirSync(join(dir, sub, "real"), { recursive: true });
      writeFileSync(join(dir, sub, "real", "f"), `${sub}\n`);
      symlinkSync("real", join(dir, sub, "link"));
      chownSync(join(dir, sub), owner, owner);
      expect(save(join(dir, `bind-${sub}`), ["--map-host-root", "--ro-bind", join(dir, sub, "link"), "/x"], ["cat", "/x/f"]).code).toBe(0);
    }
    expect(startPlan(join(dir, "bind-roots"))).toEqual({ code: 0, stdout: "roots\n", stderr: "" });
    const r = startPlan(join(dir, "bind-theirs"));
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`nsbox: ro-bind: ${join(dir, "theirs", "link")} -> /x: a symlink on the way; give the real path: Symbolic link loop (ELOOP)\n`);
    expect(r.code).toBe(125);
  });

  test("a set-user-ID caller (real uid a user's, effective root) is refused: the user's plan would run as root", () => {
    // A plan only root may start (no user namespace), as the user could have written it.
    const file = join(dir, "setuid");
    expect(save(file, ["--share", "user"], ["sh", "-c", "head -c 5 /etc/shadow"]).code).toBe(0);
    chownSync(file, 65534, 65534);
    const r = Bun.spawnSync(["setpriv", "--ruid=65534", "--rgid=65534", "--euid=0", "--egid=0", "--clear-groups", file], { env: ENV, stdin: "ignore", timeout: 20_000 });
    expect(r.stdout.toString()).toBe("");
    expect(r.stderr.toString()).toBe("nsbox: plan: started with real uid 65534 gid 65534 but effective uid 0 gid 0 (a set-user-ID or set-group-ID caller); start it with one identity\n");
    expect(r.exitCode).toBe(125);
  });

  test("the sandbox's init shows `nsbox` and the appended arguments, not the host paths of the stage and the plan", () => {
    const file = join(dir, "cmdline");
    expect(save(file, ["--append-args"], ["sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo", "sh"]).code).toBe(0);
    const r = startPlan(file, ["extra"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nsbox +extra \n$/);
  });

  test("a plan from another nsbox version, stage or kernel fails with one line and never runs", () => {
    const bytes = readFileSync(join(dir, "orig"));
    const cases: [string, (h: string) => string, RegExp][] = [
      ["version", (h) => h.replace(/^nsbox \S+$/m, "nsbox 0.0.1"), /^nsbox: plan: \S+ was saved by nsbox 0\.0\.1, this stage is nsbox \S+; save it again with this nsbox\n$/],
      // Saved for another stage: its sha256, and the file it was read from.
      ["stage", (h) => h.replace(/^stage-sha256 \S+$/m, `stage-sha256 ${"0".repeat(64)}`).replace(/^stage-file \d+ /m, "stage-file 1 "), /^nsbox: plan: \S+ was saved for another stage \(sha256 000000000000, this one is [0-9a-f]{12}\); run `nsbox stage install` and save it again\n$/],
      ["kernel", (h) => h.replace(/^kernel \S+/m, "kernel 4.19.0-old"), /^nsbox: plan: \S+ was saved on kernel 4\.19\.0-old \S+, this host runs \S+ \S+; save it again on this host\n$/],
      ["format", (h) => h.replace(/^nsbox-plan 2$/m, "nsbox-plan 1"), /^nsbox: plan: \S+: plan format 1, this stage reads format 2; save it again\n$/],
    ];
    for (const [name, edit, message] of cases) {
      const file = join(dir, `other-${name}`);
      writeFileSync(file, reHashed(bytes, edit), { mode: 0o700 });
      const r = startPlan(file);
      expect(r.code, name).toBe(125);
      expect(r.stdout, name).toBe("");
      expect(r.stderr, name).toMatch(message);
    }
  });

  test("the stage is refused when it or its directory is writable by others, or it is not this nsbox's", () => {
    const file = join(dir, "orig");
    chmodSync(stage, 0o775);
    let r = startPlan(file);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`nsbox: stage: ${stage} is writable by others than its owner (mode 0775); chmod go-w ${stage}\n`);
    chmodSync(stage, 0o755);
    chmodSync(join(dir, "lib"), 0o1777); // sticky is not enough for the stage's own directory
    r = startPlan(file);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`nsbox: stage: ${stage}: directory ${join(dir, "lib")} is writable by others (mode 1777); chmod go-w ${join(dir, "lib")}\n`);
    expect(nsbox(["stage", "install", stage]).stderr).toContain(`stage install: directory ${join(dir, "lib")} is writable by others`);
    chmodSync(join(dir, "lib"), 0o755);
    // A stage that is not the one the plan was saved with: another build's bytes.
    const bytes = readFileSync(stage);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    writeFileSync(stage, bytes);
    r = startPlan(file);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^nsbox: plan: \S+ was saved for another stage/);
    expect(save(join(dir, "x"), [], ["true"]).stderr).toContain(`stage: ${stage} is not this nsbox's stage`);
    expect(nsbox(["stage", "install", stage]).code).toBe(0);
    expect(startPlan(join(dir, "hello")).stdout).toBe("hello\n");
  });

  test("the stage hashes itself only when it is not the very file the plan was saved with", () => {
    const file = join(dir, "orig");
    const traced = () => Bun.spawnSync([file], { env: { ...ENV, NSBOX_TRACE: "1" }, stdin: "ignore", timeout: 20_000 });
    const steps = (r: ReturnType<typeof traced>) => [...r.stderr.toString().matchAll(/stage: (stage is the file the plan names|stage hashed)$/gm)].map((m) => m[1]);
    expect(nsbox(["stage", "install", stage]).code).toBe(0);
    expect(save(file, [], ["true"]).code).toBe(0);
    let r = traced();
    expect(r.exitCode).toBe(0);
    expect(steps(r)).toEqual(["stage is the file the plan names"]);
    // New times on the same bytes (utimensat sets the change time to now): hashed, and it runs.
    utimesSync(stage, new Date(), new Date());
    r = traced();
    expect(r.exitCode).toBe(0);
    expect(steps(r)).toEqual(["stage hashed"]);
    // The same bytes installed again (a new inode): hashed, and it runs.
    expect(nsbox(["stage", "install", stage]).code).toBe(0);
    r = traced();
    expect(r.exitCode).toBe(0);
    expect(steps(r)).toEqual(["stage hashed"]);
    // Saved again, the plan names the new file.
    expect(save(file, [], ["true"]).code).toBe(0);
    expect(steps(traced())).toEqual(["stage is the file the plan names"]);
  });

  test("what needs host preparation at each start cannot be saved", () => {
    for (const [opts, why] of [[["--memory", "64M"], "a memory limit"], [["--name", "svc"], "--name"], [["--state", join(dir, "state")], "--state"]] as const) {
      const r = save(join(dir, "never"), [...opts], ["true"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`plan --save: a saved plan cannot carry ${why}`);
    }
    expect(nsbox(["plan", "--append-args", "--", "true"]).stderr).toContain("--append-args and --stage go with --save FILE");
  });
});
