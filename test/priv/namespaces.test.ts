// Each namespace proven from inside and from the host, as the default `nsbox run` builds it.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, chownSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { describeRoot, host, hostMountPoints, inSandbox, inSandbox as runInSandbox, leakedMounts, NSBOX, readUntil, sessionPids, tempDir } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// The same checks with the default root and with `--root host`: both roots must isolate alike.
const ROOTS = [["os", []], ["host", ["--root", "host"]]] as const;

for (const [root, rootOpts] of ROOTS) describeRoot(`default sandbox, --root ${root}`, () => {
  const inSandbox = (script: string, opts: string[] = []) => runInSandbox(script, [...rootOpts, ...opts]);
  test("hostname differs from the host's", () => {
    const r = inSandbox("hostname");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("nsbox");
    expect(r.stdout.trim()).not.toBe(host("hostname").stdout.trim());
    expect(inSandbox("hostname", ["--hostname", "web1"]).stdout.trim()).toBe("web1");
  });

  test("the payload is PID 2 under the init, or PID 1 with --no-init, and sees only the sandbox", () => {
    expect(inSandbox("echo $$").stdout.trim()).toBe("2");
    expect(inSandbox("echo $$", ["--no-init"]).stdout.trim()).toBe("1");
    // A shell glob, so no other process exists while /proc is listed: only the init and sh.
    expect(inSandbox("echo /proc/[0-9]*").stdout.trim()).toBe("/proc/1 /proc/2");
    const ps = inSandbox("ps -e -o pid= -o comm=").stdout.trim().split("\n");
    expect(ps.length).toBeLessThanOrEqual(3); // init, sh, ps
    expect(ps.join("\n")).toContain("ps");
  });

  test("the network has only lo, and it is up", () => {
    const r = inSandbox("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
    expect(r.stdout.trim()).toBe("lo");
    const flags = inSandbox("cat /proc/net/if_inet6 2>/dev/null; ip -o link show lo 2>/dev/null || true");
    expect(flags.code).toBe(0);
    expect(inSandbox("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '", ["--net", "none"]).stdout.trim()).toBe("lo");
  });

  test("an IPC object made on the host is invisible", () => {
    const made = host("ipcmk -M 4096").stdout;
    const id = /(\d+)/.exec(made)?.[1];
    expect(id).toBeDefined();
    try {
      expect(host(`ipcs -m | grep -w ${id}`).code).toBe(0);
      expect(inSandbox(`ipcs -m | grep -w ${id}`).code).toBe(1);
    } finally {
      host(`ipcrm -m ${id}`);
    }
  });

  test("/tmp, /var/tmp and /run are empty and private", () => {
    const marker = `/tmp/nsbox-marker-${process.pid}`;
    writeFileSync(marker, "x");
    try {
      expect(inSandbox("ls -A /tmp /var/tmp /run | grep -v ':$' | grep -v '^$' | wc -l").stdout.trim()).toBe("0");
      expect(inSandbox("echo y > /tmp/inside && cat /tmp/inside").stdout.trim()).toBe("y");
    } finally {
      rmSync(marker);
    }
    expect(host("test -e /tmp/inside").code).toBe(1);
  });

  test("a read-only bind gives EROFS; a --bind is writable and visible on the host", () => {
    const d = tempDir();
    dirs.push(d);
    const ro = inSandbox("touch /usr/nsbox-should-fail 2>&1; echo rc=$?");
    expect(ro.stdout).toContain("Read-only file system");
    // Root inside is uid 1879048192 on the host: give the directory to it, as an operator would.
    chownSync(d, 1879048192, 1879048192);
    // /mnt: the host's under --root host; under os its mount point is made in the sandbox's own tmpfs.
    const rw = inSandbox("echo hello > /mnt/out && echo ok", ["--bind", d, "/mnt"]);
    expect(rw.stdout.trim()).toBe("ok");
    expect(readFileSync(`${d}/out`, "utf8")).toBe("hello\n");
    const rob = inSandbox("(echo no > /mnt/out2) 2>&1; echo rc=$?", ["--ro-bind", d, "/mnt"]);
    expect(rob.stdout).toContain("Read-only file system");
  });

  test("/proc/self/ns inodes differ from the host's for exactly the unshared kinds", () => {
    const kinds = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup", "time"];
    const hostNs = Object.fromEntries(kinds.map((k) => [k, readlinkSync(`/proc/self/ns/${k}`)]));
    const check = (opts: string[], unshared: string[]) => {
      const out = inSandbox(`for k in ${kinds.join(" ")}; do echo $k $(readlink /proc/self/ns/$k); done`, opts).stdout;
      const inside = Object.fromEntries(out.trim().split("\n").map((l) => l.split(" ") as [string, string]));
      for (const k of kinds) {
        if (unshared.includes(k)) expect(inside[k]).not.toBe(hostNs[k]);
        else expect(inside[k]).toBe(hostNs[k]);
      }
    };
    check([], ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"]);
    check(["--share", "net,ipc", "--unshare", "time"], ["user", "mnt", "pid", "uts", "cgroup", "time"]);
  });

  test("the payload has no capabilities, no_new_privs, and a new session", () => {
    const status = inSandbox("grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status").stdout;
    for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) expect(status).toMatch(new RegExp(`${set}:\\s+0+\\n`));
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    // setsid: the payload leads its own session (sid == pid).
    expect(inSandbox("cut -d' ' -f6 /proc/self/stat; echo $$").stdout.trim().split("\n")).toHaveLength(2);
    const sid = inSandbox("ps -o sid= -p $$; echo $$").stdout.trim().split(/\s+/);
    expect(sid[0]).toBe(sid[1]);
  });

  test("no mount made for the sandbox appears on the host", async () => {
    const before = hostMountPoints();
    // Looked at while the sandbox runs: it says `up`, then waits for its stdin to close.
    const p = Bun.spawn([NSBOX, "run", "--tmpfs", "/mnt", "--", "sh", "-c", "echo up; read x; echo done"], { stdin: "pipe", stdout: "pipe", stderr: "ignore" });
    await readUntil(p.stdout, "up");
    expect(leakedMounts(before, ["/mnt", "/proc", "/dev", "/var/tmp"])).toEqual([]);
    p.stdin.end();
    expect(await p.exited).toBe(0);
  });
});

describeRoot("users", () => {
  test("root inside is an unprivileged host uid; a 0600 root file is unreadable; created files belong to the mapped uid", () => {
    const d = tempDir();
    dirs.push(d);
    chmodSync(d, 0o777);
    const secret = `${d}/secret`;
    writeFileSync(secret, "top secret\n", { mode: 0o600 });
    // The secret is seen through the bind (/tmp inside is a fresh tmpfs); /etc/shadow through the os root's /etc.
    const r = inSandbox("id -u; cat /proc/self/uid_map; cat /mnt/secret 2>&1; cat /etc/shadow 2>&1; touch /mnt/created", ["--bind", d, "/mnt"]);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("0");
    expect(lines[1]!.trim().split(/\s+/)).toEqual(["0", "1879048192", "65536"]);
    expect(r.stdout).toContain("cat: /mnt/secret: Permission denied");
    expect(r.stdout).toContain("cat: /etc/shadow: Permission denied");
    expect(r.stdout).not.toContain("top secret");
    expect(statSync(`${d}/created`).uid).toBe(1879048192);
  });

  test("a host unix socket under /run cannot be reached", async () => {
    const path = `/run/nsbox-test-${process.pid}.sock`;
    const server = Bun.listen({ unix: path, socket: { data() {} } });
    chmodSync(path, 0o777); // so that only the mount decides whether the sandbox reaches it
    try {
      const probe = `python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('${path}'); print('connected')" 2>&1 | tail -1`;
      expect(inSandbox(probe).stdout).not.toContain("connected");
      // The probe does detect a reachable socket: bind /run in and it connects (nothing else changed).
      expect(inSandbox(probe, ["--ro-bind", "/run", "/run"]).stdout).toContain("connected");
    } finally {
      server.stop(true);
      rmSync(path, { force: true });
    }
  });

  test("rootless: as nobody, the default sandbox runs in a user namespace with the mapping asked for", () => {
    const d = tempDir();
    dirs.push(d);
    // A copy nobody can read and execute wherever the checkout lives.
    host(`cp ${NSBOX} ${d}/nsbox && chmod 755 ${d} ${d}/nsbox`);
    const asNobody = (args: string) => host(`cd / && setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin ${d}/nsbox ${args}`);
    const plain = asNobody("run -- sh -c 'id -u; cat /proc/self/uid_map; hostname'");
    expect(plain.code).toBe(0);
    const lines = plain.stdout.trim().split("\n");
    expect(lines[0]).toBe("65534");
    expect(lines[1]!.trim().split(/\s+/)).toEqual(["65534", "65534", "1"]);
    expect(lines[2]).toBe("nsbox");
    const root = asNobody("run --map-root -- sh -c 'id -u; cat /proc/self/uid_map'");
    expect(root.stdout.trim().split("\n")[1]!.trim().split(/\s+/)).toEqual(["0", "65534", "1"]);
    const denied = asNobody("run --map-users 0:100000:65536 -- true");
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain("only your own ids");
  });
});

describeRoot("nsbox leaves nothing behind", () => {
  test("no leftover processes after a run", () => {
    const r = inSandbox("sleep 0.1 & sleep 0.1 & wait");
    expect(r.code).toBe(0);
    expect(sessionPids(r.pid)).toEqual([]);
  });
});
