// Writable host data for mapped sandboxes, on the real kernel: state directories (--state) given
// to a named sandbox's stable range, the symlink and hard-link traps of the ownership walk, the
// refusals, idmapped binds on ext4 and tmpfs, and that stop, gc and failed starts keep the data.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stampPath } from "../../src/core/state-directories.ts";
import { describeRoot, forgetRanges, host, inSandbox, nsbox, NSBOX, tempDir, waitFor } from "./harness.ts";

const names: string[] = [];
const dirs: string[] = [];
const stateDirs: string[] = [];
const started: Bun.Subprocess[] = [];

/** A sandbox name of this test run; its recorded range is removed afterwards. */
const name = (n: string) => {
  const full = `st-${process.pid}-${n}`;
  names.push(full);
  return full;
};

/** A temporary directory and a state directory path inside it (not created). */
function fixture(): { d: string; dir: string } {
  const d = tempDir();
  dirs.push(d);
  chmodSync(d, 0o755); // the sandbox's root reaches DIR through it
  const dir = join(d, "data");
  stateDirs.push(dir);
  return { d, dir };
}

afterAll(() => {
  for (const p of started) p.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const dir of stateDirs) rmSync(stampPath(dir), { force: true });
  forgetRanges(names);
});

/** The host uid of the sandbox's root, as `plan --json` decides it for these options. */
function hostRoot(opts: string[]): number {
  const spec = JSON.parse(nsbox(["plan", ...opts, "--json", "--", "true"]).stdout) as { users: { uidMap: { inside: number; outside: number }[] } };
  return spec.users.uidMap.find((r) => r.inside === 0)!.outside;
}

const psEntries = () => JSON.parse(nsbox(["ps", "--json"]).stdout) as { name: string; range: { uid: { start: number; count: number } } | null }[];

describeRoot("state directories", () => {
  test("a named sandbox writes its --state directory, again after a restart; another name cannot", () => {
    const { dir } = fixture();
    const a = name("a");
    const b = name("b");
    const first = inSandbox(`echo one > ${dir}/f && mkdir ${dir}/sub && echo x > ${dir}/sub/g`, ["--name", a, "--state", dir]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const root = hostRoot(["--name", a]);
    expect(root).not.toBe(hostRoot([])); // a range of its own, not the default one
    for (const p of [dir, `${dir}/f`, `${dir}/sub`, `${dir}/sub/g`]) expect([statSync(p).uid, statSync(p).gid]).toEqual([root, root]);
    // Missing parents were made root's, 0755.
    expect(statSync(join(dir, "..")).uid).toBe(0);

    const again = inSandbox(`echo two >> ${dir}/f && echo y > ${dir}/sub/g`, ["--name", a, "--state", dir]);
    expect(again.code).toBe(0);
    expect(readFileSync(`${dir}/f`, "utf8")).toBe("one\ntwo\n");
    expect(hostRoot(["--name", a])).toBe(root);
    // plan looks a new name's range up without recording it.
    const unseen = name("unseen");
    hostRoot(["--name", unseen]);
    expect(existsSync(`/var/lib/nsbox/id-ranges/name-${unseen}`)).toBe(false);

    const other = inSandbox(`echo three >> ${dir}/f`, ["--name", b, "--bind", dir, dir]);
    expect(other.code).not.toBe(0);
    expect(hostRoot(["--name", b])).not.toBe(root);
    expect(other.stderr).toContain(`writes to ${dir} will fail: owned by host uid ${root}`);
    expect(readFileSync(`${dir}/f`, "utf8")).toBe("one\ntwo\n");
  });

  test("the walk follows no symlink and leaves hard links to host files alone", () => {
    const { d, dir } = fixture();
    const secret = join(d, "host-secret");
    writeFileSync(secret, "host\n", { mode: 0o600 });
    mkdirSync(join(d, "host-dir"));
    mkdirSync(join(dir, "deep"), { recursive: true });
    symlinkSync(secret, join(dir, "to-file"));
    symlinkSync(join(d, "host-dir"), join(dir, "deep", "to-dir"));
    linkSync(secret, join(dir, "hard"));
    const r = nsbox(["run", "--state", dir, "--", "true"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("several hard links kept their owner");
    const root = hostRoot([]);
    expect(statSync(secret).uid).toBe(0);
    expect(statSync(join(d, "host-dir")).uid).toBe(0);
    // The links themselves are the sandbox's; what they point at is not.
    expect(lstatSync(join(dir, "to-file")).uid).toBe(root);
    expect(lstatSync(join(dir, "deep", "to-dir")).uid).toBe(root);
    expect(statSync(join(dir, "deep")).uid).toBe(root);
  });

  test("refusals: system trees, /, a symlink, and a directory in use by another range", async () => {
    for (const bad of ["/", "/usr/local/nsbox-test", "/etc/nsbox-test", "/lib64/nsbox-test", "/boot/x", "/proc/x", "/sys/x", "/dev/x", "/bin/x", "/sbin/x"]) {
      const r = nsbox(["run", "--state", bad, "--", "true"]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(bad === "/" ? "/ cannot be a state directory" : "belongs to the system");
    }
    expect(existsSync("/etc/nsbox-test")).toBe(false);

    const { d, dir } = fixture();
    mkdirSync(join(d, "real"));
    symlinkSync(join(d, "real"), dir);
    const link = nsbox(["run", "--state", dir, "--", "true"]);
    expect(link.code).toBe(125);
    expect(link.stderr.trim().split("\n")).toHaveLength(1);
    expect(link.stderr).toContain(`--state ${dir}: is a symlink`);
    expect(statSync(join(d, "real")).uid).toBe(0);

    const hidden = tempDir();
    dirs.push(hidden); // mode 0700: the sandbox's root could not reach anything below
    const unreachable = nsbox(["run", "--state", join(hidden, "data"), "--", "true"]);
    expect(unreachable.code).toBe(125);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
    expect(unreachable.stderr).toContain(`${hidden} is mode 0700`);

    const busy = fixture().dir;
    const a = name("busy-a");
    const p = Bun.spawn([NSBOX, "run", "--name", a, "--state", busy, "--", "sleep", "30"], { stdout: "ignore", stderr: "ignore" });
    started.push(p);
    await waitFor(() => psEntries().some((e) => e.name === a), `${a} is listed`);
    // ps shows the range the sandbox runs with.
    expect(psEntries().find((e) => e.name === a)!.range!.uid).toEqual({ start: hostRoot(["--name", a]), count: 65536 });
    const taken = nsbox(["run", "--name", name("busy-b"), "--state", busy, "--", "true"]);
    expect(taken.code).toBe(125);
    expect(taken.stderr.trim().split("\n")).toHaveLength(1);
    expect(taken.stderr).toContain(`in use by the running sandbox ${a}`);
    // The same range may share it: a second sandbox of the default range is not refused by a.
    expect(nsbox(["stop", a]).code).toBe(0);
    await p.exited;
  });

  test("stop, gc and failed starts keep the state directory and its contents", async () => {
    const { dir } = fixture();
    mkdirSync(dir);
    writeFileSync(join(dir, "keep"), "data\n");
    expect(nsbox(["run", "--state", dir, "--", "/nonexistent-command"]).code).toBe(127);
    expect(nsbox(["run", "--state", dir, "--bind", "/nonexistent-source", "/mnt", "--", "true"]).code).toBe(125);
    const n = name("kept");
    const p = Bun.spawn([NSBOX, "run", "--name", n, "--state", dir, "--", "sh", "-c", `echo live > ${dir}/live; sleep 30`], { stdout: "ignore", stderr: "ignore" });
    started.push(p);
    await waitFor(() => existsSync(join(dir, "live")) && psEntries().some((e) => e.name === n), `${n} runs`);
    expect(nsbox(["stop", n]).code).toBe(0);
    await p.exited;
    // The run's own leftovers and the stamps: a plain gc would also act on other runs on this host.
    expect(nsbox(["gc", "--pid", String(p.pid)]).code).toBe(0);
    expect(nsbox(["gc", "--only", "stamps"]).code).toBe(0);
    expect(readFileSync(join(dir, "keep"), "utf8")).toBe("data\n");
    expect(readFileSync(join(dir, "live"), "utf8")).toBe("live\n");
    // Once the directory itself is gone, gc takes its stamp (and only then).
    expect(existsSync(stampPath(dir))).toBe(true);
    rmSync(dir, { recursive: true });
    expect(nsbox(["gc", "--only", "stamps"]).stdout).toContain(`stamp of state directory ${dir}`);
    expect(existsSync(stampPath(dir))).toBe(false);
  });

  test("rootless: the caller's own directory works and nothing changes hands; another's is refused", () => {
    const d = tempDir();
    dirs.push(d);
    chmodSync(d, 0o755);
    host(`cp ${NSBOX} ${d}/nsbox && chmod 755 ${d}/nsbox`);
    mkdirSync(join(d, "mine"));
    chownSync(join(d, "mine"), 65534, 65534);
    mkdirSync(join(d, "roots"));
    const asNobody = (args: string) => host(`cd / && setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin ${d}/nsbox ${args}`);
    const ok = asNobody(`run --state ${d}/mine/sub -- sh -c 'echo hi > ${d}/mine/sub/f'`);
    expect(ok.code).toBe(0);
    expect(statSync(join(d, "mine", "sub", "f")).uid).toBe(65534);
    const refused = asNobody(`run --state ${d}/roots -- true`);
    expect(refused.code).toBe(125);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain("not by you");
  });
});

describeRoot("idmapped binds", () => {
  // Root inside writes as on-disk 1000; a file of on-disk root shows as nobody and stays closed;
  // ids outside the map cannot be given to anything.
  const script = (mnt: string) =>
    `stat -c %u ${mnt}/old; stat -c %u ${mnt}/rootfile; echo new > ${mnt}/new && mkdir ${mnt}/newdir && echo wrote; ` +
    `(echo more >> ${mnt}/rootfile) 2>/dev/null && echo wrote-root || echo denied-root; ` +
    `chown 5 ${mnt}/new 2>/dev/null && echo chowned || echo no-chown`;
  const setup = (src: string) =>
    `mkdir -p ${src} && echo old > ${src}/old && echo root > ${src}/rootfile && chown 1000:1000 ${src} ${src}/old && chmod 644 ${src}/rootfile`;
  const expectMapped = (out: string, src: string) => {
    expect(out.trim().split("\n")).toEqual(["0", "65534", "wrote", "denied-root", "no-chown"]);
    expect([statSync(`${src}/new`).uid, statSync(`${src}/new`).gid]).toEqual([1000, 1000]);
    expect(statSync(`${src}/newdir`).uid).toBe(1000);
    expect(readFileSync(`${src}/rootfile`, "utf8")).toBe("root\n");
  };

  test("on ext4: files written inside land with the mapped owner, never as uid 0", () => {
    const d = tempDir();
    dirs.push(d);
    const src = join(d, "src");
    expect(host(setup(src)).code).toBe(0);
    const r = inSandbox(script("/mnt"), ["--idmap-bind", src, "/mnt", "0:1000"]);
    expect(r.stderr).toBe("");
    expectMapped(r.stdout, src);
  });

  test("on tmpfs, in a private mount namespace of the test", () => {
    const d = tempDir();
    dirs.push(d);
    const src = join(d, "t", "src");
    const r = host(
      `mkdir ${d}/t && unshare --mount --propagation private sh -c 'mount -t tmpfs nsbox-idmap-test ${d}/t && ${setup(src)} && ` +
        `${NSBOX} run --idmap-bind ${src} /mnt 0:1000 -- sh -c "${script("/mnt")}" && stat -c "%u %g" ${src}/new ${src}/newdir'`,
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim().split("\n")).toEqual(["0", "65534", "wrote", "denied-root", "no-chown", "1000 1000", "1000 1000"]);
  });

  test("mapping on-disk 0 needs --idmap-host-root; a file system without idmap support is one line", () => {
    const d = tempDir();
    dirs.push(d);
    const r = nsbox(["run", "--idmap-bind", d, "/mnt", "0:0", "--", "true"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("add --idmap-host-root");
    expect(existsSync(join(d, "as-root"))).toBe(false);
    // Confirmed, it does what it says, and says so at the start.
    const yes = nsbox(["run", "--idmap-bind", d, "/mnt", "0:0", "--idmap-host-root", "--", "touch", "/mnt/as-root"]);
    expect(yes.code).toBe(0);
    expect(yes.stderr).toContain("files the sandbox writes there are host root's");
    expect(statSync(join(d, "as-root")).uid).toBe(0);
    const proc = nsbox(["run", "--idmap-bind", "/proc/sys", "/mnt", "0:1000", "--", "true"]);
    expect(proc.code).toBe(125);
    expect(proc.stderr.trim().split("\n")).toHaveLength(1);
    expect(proc.stderr).toContain("proc (or a file system mounted below it) does not support idmapped mounts; use --state");
  });
});
