// `nsbox export oci` run by a real OCI runtime (crun): the container crun builds from the bundle
// is checked from the host for the same facts `nsbox run` gives (test/priv/namespaces.test.ts):
// namespaces of its own, no capabilities, a seccomp filter, a read-only root, the uid map.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { describeRoot, nsbox, tempDir } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const crun = Bun.which("crun");
if (!crun && process.env.CI) throw new Error("test/priv/export-oci needs crun (apt-get install crun)");

/**
 * Debian 12's crun 1.8.1 implements runtime-spec 1.0 and refuses any other ociVersion ("unknown
 * version specified"), although it runs every field this bundle uses. Only then is the version
 * lowered, so a newer crun runs the bundle exactly as written.
 */
function fitCrunVersion(configPath: string): void {
  const spec = /^spec: (\S+)/m.exec(Bun.spawnSync([crun!, "--version"]).stdout.toString())?.[1] ?? "";
  if (!spec.startsWith("1.0")) return;
  const text = readFileSync(configPath, "utf8");
  expect(text).toContain('"ociVersion": "1.2.0"');
  writeFileSync(configPath, text.replace('"ociVersion": "1.2.0"', '"ociVersion": "1.0.2"'));
}

/**
 * crun in a private mount namespace of its own: crun 1.8 refuses a hybrid host whose cgroup2 mount
 * holds controllers, so that mount is detached there (and only there) and crun uses the v1
 * hierarchies. `disabled` makes no cgroup at all; `cgroupfs` one that `crun delete` removes.
 */
function crunRun(bundle: string, id: string, manager: "disabled" | "cgroupfs") {
  const script = 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$0" --cgroup-manager="$3" run --bundle "$1" "$2"';
  return Bun.spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", script, crun!, bundle, id, manager], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
}

/** The first line on the container's stdout (the reader stays open: the payload is still running). */
async function firstLine(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  return { line: text.split("\n")[0]!, reader };
}

/** Exports a bundle with `options`, runs it under crun until `check(pid)` is done, then lets it exit. */
async function withContainer(options: string[], manager: "disabled" | "cgroupfs", check: (pid: number) => void): Promise<void> {
  const parent = tempDir("nsbox-oci-");
  dirs.push(parent);
  const bundle = `${parent}/bundle`;
  // The payload says it is up, then waits on stdin while the host looks at it.
  const exported = nsbox(["export", "oci", "--bundle", bundle, "--quiet", ...options, "--", "sh", "-c", "touch /probe 2>/dev/null && echo writable || echo ready; read line || true"]);
  expect(exported.stderr).toBe("");
  expect(exported.code).toBe(0);
  fitCrunVersion(`${bundle}/config.json`);
  const id = `nsbox-test-${process.pid}-${dirs.length}`;
  const proc = crunRun(bundle, id, manager);
  try {
    const { line, reader } = await firstLine(proc.stdout);
    if (line !== "ready") throw new Error(`container said '${line}': ${await new Response(proc.stderr).text()}`);
    const state = JSON.parse(Bun.spawnSync([crun!, "state", id]).stdout.toString()) as { pid: number };
    check(state.pid);
    proc.stdin.end();
    reader.releaseLock();
    expect(await proc.exited).toBe(0);
  } finally {
    // The payload is PID 1 of its namespace and ignores SIGTERM: a failed check ends it by KILL.
    Bun.spawnSync([crun!, "kill", id, "KILL"], { stderr: "ignore" });
    await proc.exited;
    Bun.spawnSync([crun!, "delete", "-f", id], { stderr: "ignore" });
  }
}

const describeCrun = crun ? describeRoot : ((name: string, fn: () => void) => describe.skip(`${name} (skipped: no crun)`, fn)) as typeof describe;

describeCrun("export oci under crun", () => {
  test("the container has the isolation nsbox run gives", async () => {
    await withContainer([], "disabled", (pid) => {
      // Every namespace but time is its own (time is the host's, as under nsbox run).
      for (const kind of ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup"]) {
        expect(readlinkSync(`/proc/${pid}/ns/${kind}`)).not.toBe(readlinkSync(`/proc/self/ns/${kind}`));
      }
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      expect(status).toMatch(/^CapEff:\s+0000000000000000$/m);
      expect(status).toMatch(/^CapBnd:\s+0000000000000000$/m);
      expect(status).toMatch(/^Seccomp:\s+2$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      // Root inside is an unprivileged host range, the same one nsbox run maps.
      const planned = JSON.parse(nsbox(["plan", "--json", "--", "true"]).stdout) as { users: { uidMap: { inside: number; outside: number; count: number }[] } };
      const map = readFileSync(`/proc/${pid}/uid_map`, "utf8").trim().split(/\s+/).map(Number);
      const want = planned.users.uidMap[0]!;
      expect(map).toEqual([want.inside, want.outside, want.count]);
      expect(want.outside).toBeGreaterThan(0);
      // The root mount is read-only (field 6 of its mountinfo line), and so is /usr under it.
      const mounts = readFileSync(`/proc/${pid}/mountinfo`, "utf8").trim().split("\n").map((l) => l.split(" "));
      expect(mounts.find((f) => f[4] === "/")?.[5]).toMatch(/^ro\b/);
      expect(mounts.find((f) => f[4] === "/usr")?.[5]).toMatch(/^ro\b/);
      // Its hostname is nsbox's default, in its own uts namespace.
      expect(Bun.spawnSync(["nsenter", "--target", String(pid), "--uts", "hostname"]).stdout.toString().trim()).toBe("nsbox");
    });
  });

  test("cgroup limits reach the container's cgroups, which crun delete removes", async () => {
    const dirsOfContainer: string[] = [];
    await withContainer(["--memory", "64M", "--pids", "32", "--cpu", "0.5"], "cgroupfs", (pid) => {
      // /proc/PID/cgroup from the host: `N:controller:/path` in the v1 hierarchies.
      const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n").map((l) => l.split(":"));
      const pathOf = (controller: string) => lines.find(([, list]) => list!.split(",").includes(controller))?.[2];
      const dir = (controller: string) => `/sys/fs/cgroup/${controller}${pathOf(controller)}`;
      expect(pathOf("memory")).not.toBe("/");
      dirsOfContainer.push(dir("memory"), dir("pids"));
      expect(readFileSync(`${dir("memory")}/memory.limit_in_bytes`, "utf8").trim()).toBe(String(64 * 1024 ** 2));
      expect(readFileSync(`${dir("pids")}/pids.max`, "utf8").trim()).toBe("32");
      expect(readFileSync(`${dir("cpu")}/cpu.cfs_quota_us`, "utf8").trim()).toBe("50000");
    });
    for (const d of dirsOfContainer) expect(existsSync(d)).toBe(false);
  });
});
