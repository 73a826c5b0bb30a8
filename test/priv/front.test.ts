// The front (src/native/FRONT.md): the installed stage, run as `nsbox`, serves a line from the
// entry nsbox left for it, with the same sandbox and the same record as `nsbox run`; anything
// unusual execs nsbox beside it with the very same argv and environment. All of it in a private
// mount namespace (front-layout.ts): the host's /usr/local/lib and /run/nsbox stay untouched.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import type { FrontEntry } from "../../src/core/front-entry.ts";
import { childrenOf, describeRoot, NSBOX, readUntil, tempDir } from "./harness.ts";
import { type Caller, DEP, FrontLayout, LINK, NO_DEP, SIBLING, STAGE } from "./front-layout.ts";

const KINDS = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup", "time"];
const PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
const ROOT: Caller = { uid: 0, gid: 0, root: "/run/nsbox", env: { PATH, NSBOX_TRACE: "1" }, cwd: "/" };
const SHOW = "../show/show-args"; // relative: the test resolves it through /proc/HOLDER/root

// What the payload reports about its sandbox: capabilities, no_new_privs, the filter,
// namespaces and mounts (mount ids and the volatile rest of /proc/self/status dropped).
const PROBE = [
  "grep -E '^(Cap[A-Za-z]+|NoNewPrivs|Seccomp|Seccomp_filters|Uid|Gid|Groups):' /proc/self/status",
  `for k in ${KINDS.join(" ")}; do echo "ns $k $(readlink /proc/self/ns/$k)"; done`,
  "cut -d' ' -f4- /proc/self/mountinfo | sed 's/^/mount /'",
  "hostname; id",
].join("; ");

/** Each namespace link replaced by whether it is the test's own (the host's). */
function normalised(out: string): string {
  const hostNs = Object.fromEntries(KINDS.map((k) => [k, readlinkSync(`/proc/self/ns/${k}`)]));
  return out.replace(/^ns (\w+) (\S+)$/gm, (_, k: string, link: string) => `ns ${k} ${link === hostNs[k] ? "host" : "new"}`);
}

/** The bytes of /proc/PID/FILE with trailing NULs dropped. */
function procBytes(pid: number, file: string): string {
  return readFileSync(`/proc/${pid}/${file}`, "latin1").replace(/\0+$/, "");
}

function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

describeRoot("the front", () => {
  const tmp = tempDir("nsbox-front-");
  let L: FrontLayout;
  beforeAll(async () => {
    L = await FrontLayout.open(tmp);
    L.makeRoot(ROOT);
  });
  afterAll(() => {
    L?.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  /** The state root's files of one run: what the front made and must have removed. */
  const stateFiles = (c: Caller, pid: number) =>
    [`${c.root}/names/pid-${pid}`, `${c.root}/sandboxes/${pid}.json`, `${c.root}/sandboxes/${pid}.json.tmp`].filter((f) => existsSync(L.inside(f)));
  /** nobody, with `xdg` (in the layout) as its runtime directory and its state root made there. */
  const nobodyWithRuntimeDir = (xdg: string): Caller => {
    L.sh(`mkdir -m 0700 ${xdg}; chown 65534:65534 ${xdg}`);
    const user: Caller = { uid: 65534, gid: 65534, root: `${xdg}/nsbox`, env: { PATH, XDG_RUNTIME_DIR: xdg, NSBOX_TRACE: "1" }, cwd: "/" };
    L.makeRoot(user);
    return user;
  };

  test("a hit builds the sandbox nsbox run builds: status, namespaces, mounts", () => {
    const args = ["run", "--", "sh", "-c", PROBE];
    L.writeEntry(ROOT, args);
    const hit = L.run(ROOT, [LINK, ...args]);
    const viaRun = L.run(ROOT, [NSBOX, ...args]);
    expect(hit.stderr).toContain("stage: front: hit\n");
    expect(hit.stderr).not.toContain("bun started");
    expect(hit.code).toBe(0);
    expect(viaRun.code).toBe(0);
    const inside = normalised(hit.stdout);
    expect(inside).toBe(normalised(viaRun.stdout));
    expect(inside).toMatch(/^Seccomp:\s+2$/m);
    expect(inside).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(inside).toMatch(/^CapEff:\s+0000000000000000$/m);
    for (const k of ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"]) expect(inside).toContain(`ns ${k} new`);
    expect(inside).toMatch(/^mount .* \/proc rw,nosuid,nodev,noexec/m);
    expect(stateFiles(ROOT, hit.pid)).toEqual([]);
  });

  test("while it runs the record is there, as createRecord writes it, and ps and exec find it; the stage removes it at the end", async () => {
    const args = ["run", "--", "sh", "-c", "echo up; read x; echo bye"];
    const { json } = L.plan(ROOT, args);
    L.writeEntry(ROOT, args);
    const p = L.spawn(ROOT, [LINK, ...args]);
    await readUntil(p.stdout, "up");
    const pid = p.pid;
    const name = `pid-${pid}`;
    const text = readFileSync(L.inside(`${ROOT.root}/sandboxes/${pid}.json`), "utf8");
    const record = JSON.parse(text) as { createdAt: string };
    expect(new Date(record.createdAt).toISOString()).toBe(record.createdAt);
    expect(text).toBe(JSON.stringify({ version: 1, name, pid, startTime: startTimeOf(pid), createdAt: record.createdAt, spec: JSON.parse(json) }));
    expect(readFileSync(L.inside(`${ROOT.root}/names/${name}`), "utf8")).toBe(String(pid));
    expect(stateFiles(ROOT, pid)).toEqual([`${ROOT.root}/names/${name}`, `${ROOT.root}/sandboxes/${pid}.json`]);
    // The supervisor and the init show `nsbox` and no environment, as when nsbox execs the stage.
    const init = childrenOf(pid)[0]!;
    for (const proc of [pid, init]) {
      expect(procBytes(proc, "cmdline")).toBe("nsbox");
      expect(procBytes(proc, "environ")).toBe("");
      expect(readlinkSync(`/proc/${proc}/exe`)).toBe(STAGE);
    }
    const ps = L.run(ROOT, [NSBOX, "ps"]);
    expect(ps.stdout).toContain(name);
    const exec = L.run(ROOT, [NSBOX, "exec", name, "--", "readlink", "/proc/self/ns/net"]);
    expect(exec.code).toBe(0);
    expect(exec.stdout.trim()).toBe(readlinkSync(`/proc/${init}/ns/net`));
    p.stdin.write("\n");
    await p.stdin.end();
    await readUntil(p.stdout, "bye");
    expect(await p.exited).toBe(0);
    expect(stateFiles(ROOT, pid)).toEqual([]);
  });

  test("a named entry: ROOT/names/NAME and a record named NAME, which ps, exec and stop go by; both gone at the end", async () => {
    const name = "front-c-named";
    const args = ["run", "--name", name, "--", "sh", "-c", "echo up; hostname; read x; echo bye"];
    const { json } = L.plan(ROOT, args);
    L.writeEntry(ROOT, args);
    const p = L.spawn(ROOT, [LINK, ...args]);
    await readUntil(p.stdout, `up\n${name}\n`);
    const pid = p.pid;
    const files = [`${ROOT.root}/names/${name}`, `${ROOT.root}/sandboxes/${pid}.json`];
    const text = readFileSync(L.inside(files[1]!), "utf8");
    const { createdAt } = JSON.parse(text) as { createdAt: string };
    expect(text).toBe(JSON.stringify({ version: 1, name, pid, startTime: startTimeOf(pid), createdAt, spec: JSON.parse(json) }));
    expect(readFileSync(L.inside(files[0]!), "utf8")).toBe(String(pid));
    expect(stateFiles(ROOT, pid)).toEqual([`${ROOT.root}/sandboxes/${pid}.json`]);
    expect(L.run(ROOT, [NSBOX, "ps"]).stdout).toMatch(new RegExp(`^${name} +${pid} `, "m"));
    const exec = L.run(ROOT, [NSBOX, "exec", name, "--", "hostname"]);
    expect(exec).toMatchObject({ code: 0, stdout: `${name}\n` });
    p.stdin.write("\n");
    await p.stdin.end();
    await readUntil(p.stdout, "bye");
    expect(await p.exited).toBe(0);
    expect(files.filter((f) => existsSync(L.inside(f)))).toEqual([]);
  });

  test("a miss execs nsbox beside the stage with the very same argv and environment, and no fd of its own", () => {
    const env = { ...ROOT.env, LANG: "C.UTF-8", EMPTY: "", "WITH=EQUALS": "x" };
    const r = L.run({ ...ROOT, env }, [LINK, "run", "--", "echo", "a b", ""]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain("stage: front: miss: no entry\n");
    const [head, ...rest] = r.stdout.trimEnd().split("\n");
    expect(head).toBe("sibling");
    expect(rest.filter((l) => l.startsWith("argv "))).toEqual([`argv ${LINK}`, "argv run", "argv --", "argv echo", "argv a b", "argv "]);
    expect(rest.filter((l) => l.startsWith("env "))).toEqual(Object.entries(env).map(([k, v]) => `env ${k}=${v}`));
    expect(rest.filter((l) => l.startsWith("fd "))).toEqual([]);
  });

  test("a line with an entry that every check passes is served (the control of the cases below)", () => {
    const args = ["run", "--", "echo", "served"];
    L.writeEntry(ROOT, args);
    const r = L.run(ROOT, [LINK, ...args]);
    expect(r.stdout).toBe("served\n");
    expect(r.stderr).toContain("front: hit\n");
  });

  /** Writes the entry, breaks one thing, runs: a miss with `why`, nothing of the front left in the state root (what the test `planted` aside). */
  function expectMiss(why: string, opts: { break?: (file: string) => void; change?: (e: FrontEntry) => FrontEntry; restore?: () => void; argv?: (args: string[]) => string[]; planted?: (pid: number) => string } = {}) {
    const args = ["run", "--", "echo", "served"];
    const file = L.writeEntry(ROOT, args, { change: opts.change });
    opts.break?.(file);
    try {
      const r = L.run(ROOT, opts.argv ? opts.argv(args) : [LINK, ...args]);
      expect(r.stderr).toContain(`stage: front: miss: ${why}\n`);
      expect(r.stdout).toStartWith(`sibling\nargv ${LINK}\nargv run\n`);
      expect(r.code).toBe(7);
      expect(stateFiles(ROOT, r.pid).filter((f) => f !== opts.planted?.(r.pid))).toEqual([]);
      return r;
    } finally {
      opts.restore?.();
      rmSync(L.inside(file), { force: true });
    }
  }

  test("one byte changed anywhere after the sum is a miss", () => {
    expectMiss("checksum mismatch", {
      break: (f) => {
        const b = readFileSync(L.inside(f));
        const at = b.lastIndexOf("served");
        b[at] = b[at]! ^ 1;
        writeFileSync(L.inside(f), b);
      },
    });
  });

  test("an entry others may read or write, or another user's, is a miss", () => {
    expectMiss("the entry is not the caller's alone, or too large", { break: (f) => chmodSync(L.inside(f), 0o644) });
    expectMiss("the entry is not the caller's alone, or too large", { break: (f) => chownSync(L.inside(f), 65534, 65534) });
    // A symlink in its place, even to a good entry, is not followed (O_NOFOLLOW).
    expectMiss("the entry cannot be opened", {
      break: (f) => {
        L.sh(`mv ${f} ${f}.real && ln -s ${f}.real ${f}`);
      },
      restore: () => L.sh(`rm -f ${ROOT.root}/plans/*.real`),
    });
  });

  test("a plans directory others may enter is a miss", () => {
    const plans = L.inside(`${ROOT.root}/plans`);
    expectMiss("the plans directory is not the caller's alone", { break: () => chmodSync(plans, 0o755), restore: () => chmodSync(plans, 0o700) });
  });

  test("a reinstalled stage, or another nsbox, is a miss", () => {
    const stage = L.inside(STAGE);
    expectMiss("the stage is not the file the entry was written for", { break: () => utimesSync(stage, new Date(), new Date(1_000_000_000)) });
    // A stage others could replace is not trusted, whatever the entry says.
    const dir = L.inside("/usr/local/lib/nsbox");
    expectMiss(`${STAGE}: directory /usr/local/lib/nsbox is writable by others (mode 0777); chmod go-w /usr/local/lib/nsbox`, {
      break: () => chmodSync(dir, 0o777),
      restore: () => chmodSync(dir, 0o755),
    });
    const { dev, ino, size, mtimeNs, ctimeNs } = statSync(L.inside(SIBLING), { bigint: true });
    expectMiss("nsbox is not the file that wrote the entry", { change: (e) => ({ ...e, nsbox: { dev, ino: ino + 1n, size, mtimeNs, ctimeNs } }) });
  });

  test("a dependency that changed, or a missing one that appeared, is a miss", () => {
    expectMiss(`${DEP} changed`, { break: () => writeFileSync(L.inside(DEP), "two\n") });
    expectMiss(`${NO_DEP} changed`, { break: () => writeFileSync(L.inside(NO_DEP), ""), restore: () => rmSync(L.inside(NO_DEP)) });
  });

  test("another kernel, or another state root, is a miss", () => {
    expectMiss("another kernel", { change: (e) => ({ ...e, kernel: [e.kernel[0], "#1 SMP another build"] }) });
    expectMiss("another state root", { change: (e) => ({ ...e, state: "/run/elsewhere" }) });
  });

  test("an environment with one KEY twice is a miss (both reach nsbox)", () => {
    const env = ["PATH=" + PATH, "NSBOX_TRACE=1", "A=1", "A=2"];
    // The front refuses before it looks for an entry: the one written for the caller serves.
    const r = expectMiss("an environment KEY given twice", {
      // A raw execve: env(1) and spawn() would keep only one of them.
      argv: (args) => ["/usr/bin/python3", "-c", `import os, ctypes\nlibc = ctypes.CDLL(None)\nb = lambda l: (ctypes.c_char_p * (len(l) + 1))(*[s.encode() for s in l], None)\nlibc.execve(b"${LINK}", b(${JSON.stringify([LINK, ...args])}), b(${JSON.stringify(env)}))`],
    });
    expect(r.stdout).toContain("env A=1\nenv A=2\n");
  });

  test("a name file that exists is a miss, and stays as it was", () => {
    const names = L.inside(`${ROOT.root}/names`);
    expectMiss("the name file exists", {
      planted: (pid) => `${ROOT.root}/names/pid-${pid}`,
      // The front's pid is the shell's: it names the file, then execs the front.
      argv: (args) => ["sh", "-c", `echo other > ${ROOT.root}/names/pid-$$; exec env -i ${Object.entries(ROOT.env).map(([k, v]) => `${k}=${v}`).join(" ")} "$@"`, "sh", LINK, ...args],
      restore: () => {
        const left = readdirSync(names);
        expect(left).toHaveLength(1);
        expect(readFileSync(`${names}/${left[0]}`, "utf8")).toBe("other\n");
        rmSync(`${names}/${left[0]}`);
      },
    });
  });

  test("an entry whose name is not one nsbox takes is a miss: it would be a path and JSON", () => {
    for (const name of ["../x", "a/b", ".hidden", "with space", "q\"uote", "x".repeat(64)]) {
      expectMiss("a name nsbox does not take", { change: (e) => ({ ...e, spec: { ...e.spec, name } }) });
    }
  });

  test("a named entry whose name file exists is a miss, and the file stays as it was", () => {
    const name = "front-c-taken";
    const args = ["run", "--name", name, "--", "echo", "served"];
    const file = L.writeEntry(ROOT, args);
    const names = L.inside(`${ROOT.root}/names`);
    writeFileSync(`${names}/${name}`, "12345");
    try {
      const r = L.run(ROOT, [LINK, ...args]);
      expect(r.stderr).toContain("stage: front: miss: the name file exists\n");
      expect(r.stdout).toStartWith(`sibling\nargv ${LINK}\nargv run\nargv --name\n`);
      expect(readdirSync(names)).toEqual([name]);
      expect(readFileSync(`${names}/${name}`, "utf8")).toBe("12345");
      expect(stateFiles(ROOT, r.pid)).toEqual([]);
    } finally {
      rmSync(`${names}/${name}`, { force: true });
      rmSync(L.inside(file), { force: true });
    }
  });

  test("a record that cannot be written is a miss that takes its name file back", () => {
    const sandboxes = L.inside(`${ROOT.root}/sandboxes`);
    const names = L.inside(`${ROOT.root}/names`);
    expectMiss("the record cannot be made", {
      planted: (pid) => `${ROOT.root}/sandboxes/${pid}.json.tmp`,
      // Someone else's PID.json.tmp: the front made the name file first, and must remove it.
      argv: (args) => ["sh", "-c", `echo other > ${ROOT.root}/sandboxes/$$.json.tmp; exec env -i ${Object.entries(ROOT.env).map(([k, v]) => `${k}=${v}`).join(" ")} "$@"`, "sh", LINK, ...args],
      restore: () => {
        expect(readdirSync(names)).toEqual([]);
        const left = readdirSync(sandboxes);
        expect(left).toHaveLength(1);
        expect(readFileSync(`${sandboxes}/${left[0]}`, "utf8")).toBe("other\n");
        rmSync(`${sandboxes}/${left[0]}`);
      },
    });
    expectMiss("ROOT/names or ROOT/sandboxes is missing or not the caller's", { break: () => chmodSync(sandboxes, 0o777), restore: () => chmodSync(sandboxes, 0o700) });
  });

  test("a hit whose sandbox fails to start still removes its record", () => {
    const args = ["run", "--", "/no/such/command"];
    L.writeEntry(ROOT, args);
    const r = L.run(ROOT, [LINK, ...args]);
    expect(r.stderr).toContain("front: hit\n");
    expect(r.stderr).toContain("/no/such/command");
    expect(r.code).toBe(127);
    expect(stateFiles(ROOT, r.pid)).toEqual([]);
  });

  test("without nsbox beside the stage: one line, exit 125; with it, a miss runs nsbox itself", () => {
    rmSync(L.inside(SIBLING));
    try {
      const r = L.run(ROOT, [LINK, "--version"]);
      expect(r).toMatchObject({ code: 125, stdout: "", stderr: expect.stringContaining(`\nnsbox: front: ${SIBLING} is missing; reinstall nsbox\n`) });
      expect(L.run({ ...ROOT, env: { PATH } }, [LINK, "--version"]).stderr).toBe(`nsbox: front: ${SIBLING} is missing; reinstall nsbox\n`);
      L.sh(`ln -s ${NSBOX} ${SIBLING}`);
      const v = L.run({ ...ROOT, env: { PATH } }, [LINK, "--version"]);
      expect(v.code).toBe(0);
      expect(v.stdout).toStartWith("nsbox/");
    } finally {
      L.sh(`rm -f ${SIBLING}; ln -s ${SHOW} ${SIBLING}`);
    }
  });

  test("as nsbox-stage, or as nsbox with one of its own flags, the stage is the stage", () => {
    const usage = L.run({ ...ROOT, env: { PATH } }, [STAGE]);
    expect(usage).toMatchObject({ code: 2, stdout: "", stderr: expect.stringContaining("nsbox-stage: usage:") });
    const flag = L.run({ ...ROOT, env: { PATH } }, ["bash", "-c", `exec -a nsbox ${STAGE} --check`]);
    expect(flag).toMatchObject({ code: 2, stderr: expect.stringContaining("nsbox-stage: usage:") });
  });

  test("as a user: a hit in XDG_RUNTIME_DIR/nsbox, and a miss", () => {
    const xdg = "/usr/local/lib/xdg-nobody";
    const user = nobodyWithRuntimeDir(xdg);
    const args = ["run", "--", "sh", "-c", "id -u; grep -E '^(CapEff|Seccomp):' /proc/self/status"];
    L.writeEntry(user, args);
    const hit = L.run(user, [LINK, ...args]);
    expect(hit.stderr).toContain("front: hit\n");
    expect(hit.code).toBe(0);
    expect(hit.stdout).toBe(L.run(user, [NSBOX, ...args]).stdout);
    expect(hit.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(stateFiles(user, hit.pid)).toEqual([]);
    const miss = L.run(user, [LINK, "run", "--", "true"]);
    expect(miss.stderr).toContain("front: miss: no entry\n");
    expect(miss.stdout).toStartWith(`sibling\nargv ${LINK}\nargv run\n`);
    expect(miss.stdout).toContain(`env XDG_RUNTIME_DIR=${xdg}\n`);
  });

  test("a set-user-ID caller (real uid a user's, effective root) is never served the user's entry", () => {
    // The user's entry, in the user's own state root, holding what only root may run (no user
    // namespace): served with root's effective ids, it would read /etc/shadow.
    const user = nobodyWithRuntimeDir("/usr/local/lib/xdg-setuid");
    const args = ["run", "--", "sh", "-c", "head -c 5 /etc/shadow"];
    const { wire } = L.plan(ROOT, ["run", "--share", "user", "--", "sh", "-c", "head -c 5 /etc/shadow"]);
    L.writeEntry(user, args, { change: (e) => ({ ...e, wire }) });
    const r = L.run({ ...user, euid: 0 }, [LINK, ...args]);
    expect(r.stderr).toContain("front: miss: real and effective ids differ\n");
    expect(r.stdout).toStartWith(`sibling\nargv ${LINK}\nargv run\n`);
    expect(r.stdout).not.toContain("root:");
  });

  test("a hit with fds 0 and 1 closed: the payload finds /dev/null there, no fd of the stage's", () => {
    // dash adds PWD to what it execs: the entry is for that environment.
    const c: Caller = { ...ROOT, env: { ...ROOT.env, PWD: "/" } };
    const args = ["run", "--", "sh", "-c", "for f in 0 1; do echo \"fd $f $(readlink /proc/$$/fd/$f)\" >&2; done"];
    L.writeEntry(c, args);
    const r = L.run(c, ["sh", "-c", 'exec "$@" <&- >&-', "sh", LINK, ...args]);
    expect(r.stderr).toContain("front: hit\n");
    expect(r.stderr).toContain("\nfd 0 /dev/null\nfd 1 /dev/null\n");
    expect(r.code).toBe(0);
  });
});
