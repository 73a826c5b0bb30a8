// The front end to end (src/native/FRONT.md): `nsbox` on the PATH is the installed stage; a line
// nsbox planned and kept is started by the stage alone the next time, as the same sandbox and
// with the same record, and anything the entry was made from changing sends the line back to
// nsbox. Each case runs in a private mount namespace with tmpfs on /usr/local (where
// `stage install --front` puts the layout) and on /run/nsbox (plans and records), so nothing of
// the host's is touched. The front's own checks, one by one, are test/priv/front.test.ts.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, chownSync, readlinkSync, rmSync } from "node:fs";
import { describeRoot, forgetRanges, host, NSBOX, tempDir } from "./harness.ts";

const NOBODY = 65534;
/** The names the named cases run: their id ranges are recorded on the host. */
const NAMES = ["front-named", "front-stale", "front-gc"];
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  // A name's id range is recorded on the host (/var/lib/nsbox), outside the test's mounts.
  forgetRanges(["front-test", ...NAMES]);
});

/** `script` after the front is installed, in a private mount namespace, with a clean environment. */
function withFront(script: string): { code: number | null; stdout: string; stderr: string } {
  const prelude = `
    mount -t tmpfs -o mode=0755 nsbox-test /usr/local
    mount -t tmpfs -o mode=0700 nsbox-test /run/nsbox 2>/dev/null || { mkdir -p /run/nsbox && mount -t tmpfs -o mode=0700 nsbox-test /run/nsbox; }
    mkdir /usr/local/bin
    ${NSBOX} stage install --front /usr/local/bin/nsbox >/dev/null
    # The scripts' own scratch files ($S/out, $S/err): not fixed names in the host's /tmp.
    S=$(mktemp -d /tmp/nsbox-front-run-XXXXXX)
    trap 'rm -rf "$S"' EXIT
    cd /
  `;
  const r = Bun.spawnSync(["env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/root", "unshare", "-m", "--propagation", "private", "sh", "-ec", prelude + script], { timeout: 60_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** The trace lines that tell who started a run: the front (hit), or nsbox after a miss. */
const who = (stderr: string) => stderr.split("\n").flatMap((l) => /stage: front: (hit|miss)|(front: entry kept|front: not kept: .*)$/.exec(l)?.slice(1).filter(Boolean) ?? []);

describeRoot("the front", () => {
  test("a repeated line is planned by nsbox once, then started by the front: the same sandbox, the status passed through", () => {
    const probe = `grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status; cut -d" " -f5,6 /proc/self/mountinfo; hostname; id; for n in mnt pid net user ipc uts cgroup; do readlink /proc/self/ns/$n; done; exit 3`;
    const r = withFront(`
      for i in 1 2 3; do
        NSBOX_TRACE=1 nsbox run -- sh -c '${probe}' >$S/out 2>$S/err && s=0 || s=$?
        echo "== run $i status $s"; cat $S/out; echo "== trace $i"; cat $S/err
      done
      echo "== host"; for n in mnt pid net user ipc uts cgroup; do readlink /proc/self/ns/$n; done`);
    expect(r.code).toBe(0);
    const parts = r.stdout.split(/^== /m).slice(1);
    const runs = [0, 2, 4].map((i) => parts[i]!);
    const traces = [1, 3, 5].map((i) => parts[i]!);
    expect(who(traces[0]!)).toEqual(["miss", "front: entry kept"]);
    expect(who(traces[1]!)).toEqual(["hit"]);
    expect(who(traces[2]!)).toEqual(["hit"]);
    // Bun never ran for the hits: none of nsbox's own phases were traced.
    expect(traces[1]).not.toContain("plan cache");
    const body = (run: string) => run.split("\n").slice(1).filter((l) => !l.includes(":[")).join("\n");
    for (const run of runs) expect(run).toStartWith("run ");
    expect(runs.map((r) => r.split("\n")[0]!.replace(/run \d /, ""))).toEqual(["status 3", "status 3", "status 3"]);
    expect(body(runs[1]!)).toBe(body(runs[0]!));
    expect(body(runs[0]!)).toContain("NoNewPrivs:\t1");
    expect(body(runs[0]!)).toMatch(/Seccomp:\t2/);
    expect(body(runs[0]!)).toMatch(/CapEff:\t0{16}/);
    // Namespaces of its own, new for every start.
    const ns = (run: string) => run.split("\n").filter((l) => l.includes(":["));
    const hostNs = ns(parts[6]!);
    expect(hostNs.length).toBe(7);
    for (const run of runs) for (const [i, l] of ns(run).entries()) expect(l).not.toBe(hostNs[i]);
  });

  test("while it runs a front-started sandbox is recorded like any other (ps, exec), and the record goes with it", () => {
    const dir = tempDir("nsbox-front-");
    made.push(dir);
    chmodSync(dir, 0o755);
    const r = withFront(`
      mkfifo ${dir}/go; chmod 0666 ${dir}/go
      export NSBOX_TRACE=1
      { echo first >${dir}/go & } ; nsbox run --ro-bind ${dir} /w -- sh -c 'read x </w/go; echo got $x' >/dev/null 2>&1
      nsbox run --ro-bind ${dir} /w -- sh -c 'read x </w/go; echo got $x' >$S/out 2>$S/err & pid=$!
      # Until the front has recorded it and cloned its init: a condition, polled (bounded).
      for i in $(seq 100000); do
        test -e /run/nsbox/sandboxes/$pid.json && test -n "$(cat /proc/$pid/task/$pid/children 2>/dev/null)" && break
      done
      echo "== ps"; NSBOX_TRACE= nsbox ps
      echo "== exec"; NSBOX_TRACE= nsbox exec pid-$pid -- hostname
      echo second >${dir}/go
      wait $pid; echo "== status $?"; cat $S/out
      echo "== trace"; cat $S/err
      echo "== left"; ls /run/nsbox/sandboxes /run/nsbox/names`);
    expect(r.stderr).toBe("");
    const parts = Object.fromEntries(r.stdout.split(/^== /m).slice(1).map((p) => [p.split(/[\n ]/)[0]!, p]));
    expect(parts.ps).toMatch(/pid-\d+/);
    expect(parts.exec).toBe("exec\nnsbox\n");
    expect(parts.status).toBe("status 0\ngot second\n");
    expect(who(parts.trace!)).toEqual(["hit"]);
    expect(parts.left).toBe("left\n/run/nsbox/names:\n\n/run/nsbox/sandboxes:\n");
  });

  test("when a file the plan was read from, the stage or the environment changes, nsbox plans the line again", () => {
    const r = withFront(`
      t=$(mktemp -d); cp /etc/subuid $t/subuid 2>/dev/null || : >$t/subuid
      run() { NSBOX_TRACE=1 nsbox run -- true 2>&1 | grep -E "front" | sed 's/.*front/front/'; echo "--"; }
      run; run
      mount --bind $t/subuid /etc/subuid; run; run
      nsbox stage install >/dev/null; run; run
      FRONT_TEST=1 run; FRONT_TEST=1 run
      rm -r $t`);
    expect(r.stderr).toBe("");
    const runs = r.stdout.split("--\n").slice(0, 8).map((s) => (s.includes("front: hit") ? "hit" : s.includes("front: entry kept") ? "kept" : s.trim()));
    expect(runs).toEqual(["kept", "hit", "kept", "hit", "kept", "hit", "kept", "hit"]);
  });

  test("a bind whose way is later given to another uid goes back to nsbox, which resolves it without following links", () => {
    // A safe way when the line is kept; then a directory on it is given to nobody, who swaps the
    // bound directory for a link. Served from the entry, the sandbox would bind the link's target.
    const dir = tempDir("nsbox-front-way-");
    made.push(dir);
    chmodSync(dir, 0o755);
    const r = withFront(`
      mkdir -p ${dir}/way/data ${dir}/elsewhere; echo safe >${dir}/way/data/f; echo elsewhere >${dir}/elsewhere/f
      run() { NSBOX_TRACE=1 nsbox run --ro-bind ${dir}/way/data /w -- cat /w/f >${dir}/out 2>${dir}/err && s=0 || s=$?; echo "$s $(cat ${dir}/out) $(grep -oE 'front: (hit|miss|entry kept|not kept.*)' ${dir}/err | tr '\n' ' ')"; grep '^nsbox:' ${dir}/err || :; }
      run; run
      chown ${NOBODY} ${dir}/way
      setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups sh -c 'mv ${dir}/way/data ${dir}/way/old && ln -s ../elsewhere ${dir}/way/data'
      run
      chmod o+w ${dir}; chown 0 ${dir}/way; rm ${dir}/way/data; mv ${dir}/way/old ${dir}/way/data
      run`);
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      "0 safe front: miss front: entry kept ",
      "0 safe front: hit ",
      "125  front: miss front: not kept: a bind on a way others can write ",
      `nsbox: ro-bind: ${dir}/way/data -> /w: a symlink on the way; give the real path: Symbolic link loop (ELOOP)`,
      // Back as it was, but a directory above it is now writable by others.
      "0 safe front: miss front: not kept: a bind on a way others can write ",
      "",
    ]);
  });

  test("a line whose start needs more than a record is never kept: nsbox starts it every time", () => {
    const r = withFront(`
      for opts in "--memory 64M" "--keep-fd 3" "-q"; do
        for i in 1 2; do NSBOX_TRACE=1 nsbox run $opts -- true 2>&1 3</dev/null | grep -E "front: (hit|miss|entry kept|not kept)" | sed 's/.*front/front/'; done
      done`);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => l.includes("front: hit") || l.includes("entry kept"))).toEqual([]);
    // A log flag is not even offered (the level is nsbox's to honour).
    expect(lines.filter((l) => l.includes("not kept")).map((l) => l.replace(/^front: not kept: /, ""))).toEqual(
      ["the start prepares cgroups", "the start prepares cgroups", "--keep-fd", "--keep-fd"],
    );
    expect(lines.filter((l) => l.includes("front: miss")).length).toBe(6);
  });

  /** A directory with a fifo `go` the sandbox reads from (bound at /w), so a test decides when it ends. */
  function fifoDir(): string {
    const dir = tempDir("nsbox-front-");
    made.push(dir);
    chmodSync(dir, 0o755);
    return dir;
  }
  /**
   * Shell: `line` runs `nsbox run --name NAME` of a sandbox that reads one line from the fifo (a
   * script that execs it: `line &` gives nsbox's own pid); `started PID` waits (polling, bounded)
   * until the front recorded it and cloned its init.
   */
  const namedLine = (name: string, dir: string) => `
      mkfifo ${dir}/go; chmod 0666 ${dir}/go
      printf '%s\\n' "exec nsbox run --name ${name} --ro-bind ${dir} /w -- sh -c 'hostname; read x </w/go; echo got \\$x'" >${dir}/line; chmod +x ${dir}/line
      line() { ${dir}/line; }
      started() { for i in $(seq 100000); do test -e /run/nsbox/sandboxes/$1.json && test -n "$(cat /proc/$1/task/$1/children 2>/dev/null)" && return 0; done; return 1; }
      export NSBOX_TRACE=1
      { echo first >${dir}/go & } ; line >${dir}/out 2>${dir}/err; echo "== first $?"; cat ${dir}/out; echo "== first-trace"; cat ${dir}/err`;
  const sections = (stdout: string) => Object.fromEntries(stdout.split(/^== /m).slice(1).map((p) => [p.split(/[\n ]/)[0]!, p.slice(p.indexOf("\n") + 1)]));

  test("a named line is kept on its first start, then the front's: ps, exec and stop find it by its name, a second start of the name is nsbox's one-line error, nothing is left", () => {
    const dir = fifoDir();
    const r = withFront(`${namedLine("front-named", dir)}
      ${dir}/line >${dir}/out 2>${dir}/err & pid=$!
      started $pid
      echo "== names"; cat /run/nsbox/names/front-named; echo; cat /run/nsbox/sandboxes/$pid.json | grep -o '^{"version":1,"name":"[^"]*"'
      echo "== ps"; NSBOX_TRACE= nsbox ps
      echo "== exec"; NSBOX_TRACE= nsbox exec front-named -- hostname
      echo "== again"; line >${dir}/out2 2>${dir}/err2 && echo "status 0" || echo "status $?"; cat ${dir}/out2; grep -v nsbox-trace ${dir}/err2; grep -E "front: (hit|miss)" ${dir}/err2 | sed 's/.*front: //'
      echo "== stop"; NSBOX_TRACE= nsbox stop front-named && echo "stop 0"
      wait $pid && s=0 || s=$?; echo "== status"; echo "exit $s"; cat ${dir}/out
      echo "== trace"; cat ${dir}/err
      echo "== left"; ls /run/nsbox/sandboxes /run/nsbox/names; echo "pid $pid"`);
    expect(r.stderr).toBe("");
    const parts = sections(r.stdout);
    // The first start is nsbox's: it records the name's range, and keeps the entry at once.
    expect(parts.first).toBe("front-named\ngot first\n");
    expect(who(parts["first-trace"]!)).toEqual(["miss", "front: entry kept"]);
    expect(who(parts.trace!)).toEqual(["hit"]);
    const pid = /pid (\d+)/.exec(parts.left!)![1]!;
    expect(parts.names).toBe(`${pid}\n{"version":1,"name":"front-named"\n`);
    expect(parts.ps).toMatch(new RegExp(`\\bfront-named\\b.*\\b${pid}\\b|\\b${pid}\\b.*\\bfront-named\\b`));
    // A named sandbox's hostname is its name: the wire nsbox planned says so.
    expect(parts.exec).toBe("front-named\n");
    // The front leaves a running name to nsbox, which says so in one line.
    expect(parts.again).toBe(`status 125\nnsbox: a sandbox named front-named is running (pid ${pid}) (stop it first: nsbox stop front-named)\nmiss: the name file exists\n`);
    expect(parts.stop).toBe("stop 0\n");
    // SIGTERM, passed on to the payload by the front's supervisor: it ended before `got`.
    expect(parts.status).toBe("exit 143\nfront-named\n");
    expect(parts.left).toBe(`/run/nsbox/names:\n\n/run/nsbox/sandboxes:\npid ${pid}\n`);
  });

  test("a stale name file, or a change to the name's recorded id range, sends the named line back to nsbox, which starts it and keeps it again", () => {
    const ranges = "/var/lib/nsbox/id-ranges";
    const r = withFront(`
      export NSBOX_TRACE=1
      run() { nsbox run --name front-stale -- true 2>&1 | grep -E "front: (hit|miss|entry kept|not kept)" | sed 's/.*front: //'; echo "--"; }
      run; run
      # A killed run's name file: its pid is gone (a record of it never existed here).
      t=$(mktemp); sh -c 'echo $$ >"$0"' $t; cp $t /run/nsbox/names/front-stale; rm $t
      run; run
      touch ${ranges}/name-front-stale; run; run
      touch ${ranges}/slot-$(cat ${ranges}/name-front-stale); run; run
      echo "== left"; ls /run/nsbox/names`);
    expect(r.stderr).toBe("");
    const slot = host(`cat ${ranges}/name-front-stale`).stdout.trim();
    const runs = r.stdout.split("--\n").slice(0, 8).map((s) => s.trim().replace(/\n/g, ", "));
    expect(runs[0]).toMatch(/^miss: [^,]+, entry kept$/);
    expect(runs.slice(1)).toEqual([
      "hit",
      "miss: the name file exists, entry kept",
      "hit",
      `miss: ${ranges}/name-front-stale changed, entry kept`,
      "hit",
      `miss: ${ranges}/slot-${slot} changed, entry kept`,
      "hit",
    ]);
    expect(r.stdout).toEndWith("== left\n");
  });

  test("nsbox gc finds what a killed front-started named sandbox left", () => {
    const dir = fifoDir();
    const r = withFront(`${namedLine("front-gc", dir)}
      ${dir}/line >${dir}/out 2>${dir}/err & pid=$!
      started $pid
      kill -KILL $pid; wait $pid 2>/dev/null || :
      echo "== trace"; cat ${dir}/err
      echo "== killed"; ls /run/nsbox/sandboxes /run/nsbox/names
      echo "== gc"; NSBOX_TRACE= nsbox gc
      echo "== left"; ls /run/nsbox/sandboxes /run/nsbox/names; echo "pid $pid"`);
    expect(r.stderr).toBe("");
    const parts = sections(r.stdout);
    expect(who(parts.trace!)).toEqual(["hit"]);
    const pid = /pid (\d+)/.exec(parts.left!)![1]!;
    expect(parts.killed).toBe(`/run/nsbox/names:\nfront-gc\n\n/run/nsbox/sandboxes:\n${pid}.json\n`);
    expect(parts.gc).toContain("front-gc");
    expect(parts.left).toBe(`/run/nsbox/names:\n\n/run/nsbox/sandboxes:\npid ${pid}\n`);
  });

  test("rootless: the caller's runtime directory holds its entries and records; the second start is the front's, a named line's too", () => {
    const xdg = tempDir("nsbox-front-xdg-");
    made.push(xdg);
    chownSync(xdg, NOBODY, NOBODY);
    chmodSync(xdg, 0o700);
    const r = withFront(`
      for i in 1 2; do
        setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups env XDG_RUNTIME_DIR=${xdg} NSBOX_TRACE=1 nsbox run -- id -u 2>$S/err || echo "status $?"
        grep -E "front" $S/err | sed 's/.*front/front/'
      done
      for i in 1 2; do
        setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups env XDG_RUNTIME_DIR=${xdg} NSBOX_TRACE=1 nsbox run --name front-rootless -- hostname 2>$S/err || echo "status $?"
        grep -E "front" $S/err | sed 's/.*front/front/'
      done
      ls ${xdg}/nsbox/plans | sed 's/-.*//' | sort | uniq -c | awk '{print $2, $1}'
      ls ${xdg}/nsbox/names ${xdg}/nsbox/sandboxes`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^(\d+)\nfront: miss.*\nfront: entry kept\n\1\nfront: hit\n/);
    // A named line too: no id range of its own (rootless maps the caller), its name recorded, then gone.
    expect(r.stdout).toContain("\nfront-rootless\nfront: miss: no entry\nfront: entry kept\nfront-rootless\nfront: hit\n");
    expect(r.stdout).toContain("front 2\n");
    expect(r.stdout).toEndWith(`${xdg}/nsbox/names:\n\n${xdg}/nsbox/sandboxes:\n`);
  });

  test("anything else goes to nsbox unchanged: --version, ps, a usage error", () => {
    const r = withFront(`
      nsbox --version; /usr/local/lib/nsbox/nsbox --version
      nsbox run --no-such-flag -- true 2>&1 || echo "status $?"`);
    const [front, direct, usage, status] = r.stdout.trim().split("\n");
    expect(front).toBe(direct!);
    expect(front).toMatch(/^nsbox\/\S+ linux-/);
    expect(usage).toMatch(/^nsbox: .*no-such-flag/);
    expect(status).toBe("status 2");
    expect(readlinkSync("/proc/self/exe")).not.toBe("/usr/local/lib/nsbox/nsbox-stage");
    expect(host("test -e /usr/local/lib/nsbox/nsbox").code).not.toBe(0);
  });
});
