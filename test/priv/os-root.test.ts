// The default root `os`, seen from inside the sandbox and checked from the host, started by
// root and by an unprivileged user: the host's programs and libraries work, its data places and
// unix sockets are out of reach, missing mount points are made in the sandbox's own tmpfs (never
// on the host), and what cannot be built is one line naming the cause.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { describeRoot, host, hostMountPoints, nsbox, NSBOX, tempDir, type Result } from "./harness.ts";

const dirs: string[] = [];
let nobodyNsbox = "";
beforeAll(() => {
  if (process.getuid?.() !== 0) return;
  const d = tempDir();
  dirs.push(d);
  // A copy nobody can read and execute wherever the checkout lives.
  host(`cp ${NSBOX} ${d}/nsbox && chmod 755 ${d} ${d}/nsbox`);
  nobodyNsbox = `${d}/nsbox`;
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Launch = (args: string[]) => Result;
const asRoot: Launch = (args) => nsbox(args);
/** The same command started by nobody (65534) with no groups: a rootless sandbox. */
const asNobody: Launch = (args) => {
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", "PATH=/usr/bin:/bin", nobodyNsbox, ...args], { cwd: "/", timeout: 20_000 });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};
const sh = (launch: Launch, script: string, opts: string[] = []) => launch(["run", ...opts, "--", "sh", "-c", script]);

/** Host data places that hold something on this host: inside, each must be empty or absent. */
const DATA_PLACES = ["/home", "/root", "/srv", "/var/lib", "/opt", "/mnt", "/media", "/boot"];

/** `ls -A` of each place inside, `PLACE: entries...`, or `PLACE: absent`. */
const listing = `for d in ${DATA_PLACES.join(" ")}; do if [ -d $d ]; then echo "$d: $(ls -A $d | tr '\\n' ' ')"; else echo "$d: absent"; fi; done`;

function hostEntries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A host listener on a path socket anyone may connect to; counts the connections it accepts. */
function listenAt(path: string) {
  let accepts = 0;
  let accepted: () => void = () => {};
  const first = new Promise<void>((resolve) => (accepted = resolve));
  const server = Bun.listen({ unix: path, socket: { open() { accepts++; accepted(); }, data() {} } });
  chmodSync(path, 0o777); // so only the sandbox's view decides whether it connects
  return { accepts: () => accepts, first, stop: () => { server.stop(true); rmSync(path, { force: true }); } };
}

const connectProbe = (path: string) =>
  `python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect('${path}'); print('connected')" 2>&1 | tail -1`;

for (const [who, launch] of [["root", asRoot], ["nobody", asNobody]] as const) {
  describeRoot(`--root os (the default), started by ${who}`, () => {
    test("the host's data places hold none of the host's entries", () => {
      const r = sh(launch, listing);
      expect(r.code).toBe(0);
      const inside = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]));
      for (const place of DATA_PLACES) {
        const seen = inside[place] === "absent" ? [] : inside[place]!.split(" ").filter(Boolean);
        expect({ place, seen: seen.filter((e) => hostEntries(place).includes(e)) }).toEqual({ place, seen: [] });
      }
      // /var is a skeleton: its usual directories, empty, and the FHS link into the private /run.
      expect(inside["/var/lib"]).toBe("");
      expect(sh(launch, "ls -A /var; readlink /var/run").stdout.trim().split("\n")).toEqual(["cache", "lib", "log", "run", "tmp", "../run"]);
    });

    test("programs, dynamic libraries, python3 and /etc/passwd work; the root cannot be written", () => {
      const r = sh(launch, "/usr/bin/env sh -c 'echo sh-ok'; python3 -c 'import ssl, json; print(\"py-ok\")'; ls /bin/ls >/dev/null && echo ls-ok; getent passwd root | cut -d: -f1; touch /new-file 2>&1 | grep -o 'Read-only file system'");
      expect(r.stdout.trim().split("\n")).toEqual(["sh-ok", "py-ok", "ls-ok", "root", "Read-only file system"]);
      // /bin, /sbin and /lib* are what they are on the host: a link stays the same link.
      for (const e of ["/bin", "/sbin", "/lib", "/lib64"]) {
        const onHost = host(`readlink ${e} || echo dir`).stdout.trim();
        expect(sh(launch, `readlink ${e} || echo dir`).stdout.trim()).toBe(onHost);
      }
    });

    test("host path sockets under /run and /var/lib get no connection; --root host reaches the /var/lib one", async () => {
      const dir = `/var/lib/nsbox-test-${process.pid}-${who}`;
      mkdirSync(dir, { mode: 0o755 });
      const underVarLib = listenAt(`${dir}/app.sock`);
      const underRun = listenAt(`/run/nsbox-test-${process.pid}-${who}.sock`);
      try {
        for (const path of [`${dir}/app.sock`, `/run/nsbox-test-${process.pid}-${who}.sock`]) {
          expect(sh(launch, connectProbe(path)).stdout).toContain("No such file or directory");
        }
        expect(underVarLib.accepts() + underRun.accepts()).toBe(0);
        // The probe does connect where the socket is in view: the whole host root shows /var/lib.
        expect(sh(launch, connectProbe(`${dir}/app.sock`), ["--root", "host"]).stdout).toContain("connected");
        await underVarLib.first;
        expect(underVarLib.accepts()).toBe(1);
      } finally {
        underVarLib.stop();
        underRun.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test("missing destinations are made in the sandbox's tmpfs root, nothing on the host", () => {
      const d = tempDir();
      dirs.push(d);
      chmodSync(d, 0o755);
      writeFileSync(`${d}/w.py`, "print('from the bind')\n", { mode: 0o644 });
      const r = sh(launch, "cat /new/deep/path/w.py; python3 /srv/w.py; echo x > /srv/cache/f && cat /srv/cache/f; stat -c %a /new /new/deep", [
        "--ro-bind", d, "/new/deep/path", "--ro-bind", `${d}/w.py`, "/srv/w.py", "--tmpfs", "/srv/cache",
      ]);
      expect(r.stderr).toBe("");
      expect(r.stdout.trim().split("\n")).toEqual(["print('from the bind')", "from the bind", "x", "755", "755"]);
      expect(existsSync("/new")).toBe(false);
      expect(existsSync("/srv/cache")).toBe(false);
      expect(existsSync("/srv/w.py")).toBe(false);
      expect(hostMountPoints().filter((p) => p.startsWith(d) || p.startsWith("/new") || p.startsWith("/srv/"))).toEqual([]);
    });
  });
}

describeRoot("explain and plan: the root mode and what of the host is in view", () => {
  test("--root host lists a host path socket in view as a risk; the os root has none", () => {
    const dir = `/var/lib/nsbox-test-explain-${process.pid}`;
    mkdirSync(dir, { mode: 0o755 });
    const listener = listenAt(`${dir}/api.sock`);
    try {
      const host = nsbox(["explain", "--root", "host", "--", "true"]);
      expect(host.code).toBe(0);
      expect(host.stdout).toMatch(/^root: host: /m);
      expect(host.stdout).toMatch(new RegExp(`^warning: \\d+ host unix sockets? (is|are) in view .*${dir}/api\\.sock`, "m"));
      const os = nsbox(["explain", "--", "true"]);
      expect(os.stdout).toMatch(/^root: os: /m);
      expect(os.stdout).toContain("host visible: /usr (read-only), /etc (read-only)");
      expect(os.stdout).not.toContain(`${dir}/api.sock`);
      expect(nsbox(["plan", "--", "true"]).stdout).toMatch(/^root: os: .*; host paths visible: \/usr \/etc$/m);
    } finally {
      listener.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("with the host's network, /etc/resolv.conf reads inside as on the host", () => {
    expect(sh(asRoot, "cat /etc/resolv.conf", ["--net", "host"]).stdout).toBe(host("cat /etc/resolv.conf").stdout);
  });
});

describeRoot("--root host and --root empty stay as they were", () => {
  test("--root host shows the host's data places, as before", () => {
    const r = sh(asRoot, "ls -A /home /var/lib", ["--root", "host"]);
    for (const e of [...hostEntries("/home"), ...hostEntries("/var/lib")]) expect(r.stdout).toContain(e);
  });

  test("--root empty: only what is mounted, on a read-only root", () => {
    const r = nsbox(["run", "--root", "empty", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--", "/bin/sh", "-c", "ls /; touch /x 2>&1 | grep -o 'Read-only'"]);
    expect(r.stdout.trim().split("\n")).toEqual(["bin", "dev", "lib", "lib64", "proc", "run", "tmp", "usr", "var", "Read-only"]);
  });
});

describeRoot("--root: bad input is one line, and nothing is left behind", () => {
  const oneLine = (r: Result, code: number, ...parts: string[]) => {
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    for (const p of parts) expect(r.stderr).toContain(p);
  };

  test("an unknown --root", () => {
    oneLine(nsbox(["run", "--root", "hots", "--", "true"]), 2, "--root: 'hots' is not one of os, host, empty");
  });

  test("a destination under a read-only bind names the bind and the way out", () => {
    const d = tempDir();
    dirs.push(d);
    // ro-bind: a writable bind of a root-owned source would add the unwritable-bind warning line.
    oneLine(nsbox(["run", "--ro-bind", d, "/usr/nsbox-new/dir", "--", "true"]), 125, "/usr/nsbox-new/dir", "read-only bind of /usr (ro-bind /usr)", "--tmpfs");
    oneLine(nsbox(["run", "--root", "host", "--ro-bind", d, `/srv/nsbox-new-${process.pid}/dir`, "--", "true"]), 125, "read-only bind of / (ro-bind /)");
    expect(existsSync(`/srv/nsbox-new-${process.pid}`)).toBe(false);
    expect(existsSync("/usr/nsbox-new")).toBe(false);
    expect(hostMountPoints().filter((p) => p.startsWith(d) || p.includes("nsbox-new"))).toEqual([]);
  });

  test("a destination that is a symlink in the new root", () => {
    const d = tempDir();
    dirs.push(d);
    chmodSync(d, 0o755); // the sandbox's root is an unprivileged host uid: it must reach the source
    writeFileSync(`${d}/f`, "x\n", { mode: 0o644 });
    // Planned links (/bin -> usr/bin) are caught before anything runs: exit 2, with the path to use.
    oneLine(nsbox(["run", "--ro-bind", `${d}/f`, "/bin/nsbox-tool", "--", "true"]), 2, "/bin/nsbox-tool is under the symlink /bin -> usr/bin", "use /usr/bin/nsbox-tool");
    // A link that comes with a host tree (/etc/os-release -> ../usr/lib/os-release) is refused by the stage.
    oneLine(nsbox(["run", "--ro-bind", `${d}/f`, "/etc/os-release", "--", "true"]), 125, "/etc/os-release is a symlink in the new root");
    expect(hostMountPoints().filter((p) => p.startsWith(d) || p.includes("os-release"))).toEqual([]);
  });
});
