// `nsbox ns ls` and `nsbox check` against the real host: what they report must match what the
// kernel says through other tools (stat, ip netns, /proc/self/mountinfo). Run from source
// (`bun src/main.ts`): these commands read the host only, and dist/nsbox may lag behind.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CheckResult } from "../../src/core/host-check.ts";
import type { NsEntry } from "../../src/core/ns-list.ts";
import { NS_KINDS } from "../../src/model/schema.ts";
import { childrenOf, commOf, describeRoot, host, waitFor, type Result } from "./harness.ts";

const REPO = resolve(import.meta.dir, "../..");

function nsboxFromSource(args: string[]): Result {
  const r = Bun.spawnSync([process.execPath, "src/main.ts", ...args], {
    cwd: REPO,
    env: { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" },
    timeout: 20_000,
  });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const inodeOf = (path: string) => Number(host(`stat -L -c %i ${path}`).stdout.trim());

/** The child `unshare --fork` started, once it has exec'ed sleep. */
async function sleepChildOf(pid: number): Promise<number> {
  const child = () => childrenOf(pid).find((c) => commOf(c) === "sleep");
  await waitFor(() => child() !== undefined, `unshare (pid ${pid}) started sleep`);
  return child()!;
}

describeRoot("inspection commands on the real host", () => {
  test("ns ls lists a process's new net, uts, ipc and pid namespaces with their inodes", async () => {
    const unshare = Bun.spawn(["unshare", "--fork", "--pid", "--uts", "--ipc", "--net", "--mount", "sleep", "30"]);
    let child = 0;
    try {
      child = await sleepChildOf(unshare.pid);
      const r = nsboxFromSource(["ns", "ls", "--json"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const entries = JSON.parse(r.stdout) as NsEntry[];
      for (const kind of ["net", "uts", "ipc", "pid"] as const) {
        const inode = inodeOf(`/proc/${child}/ns/${kind}`);
        expect(inode).not.toBe(inodeOf(`/proc/self/ns/${kind}`)); // really a new one
        const entry = entries.find((e) => e.kind === kind && e.inode === inode);
        expect(entry, `${kind}:[${inode}] listed`).toBeDefined();
        expect(entry!.nprocs).toBeGreaterThanOrEqual(1);
      }
      // The new PID namespace holds only the sleep (unshare itself stays in the host's).
      const pidns = entries.find((e) => e.kind === "pid" && e.inode === inodeOf(`/proc/${child}/ns/pid`))!;
      expect(pidns).toMatchObject({ nprocs: 1, pid: child, uid: 0, command: "sleep 30" });
    } finally {
      if (child > 0) process.kill(child, "SIGKILL"); // PID 1 of its namespace: only SIGKILL is sure
      unshare.kill("SIGKILL");
      await unshare.exited;
    }
  });

  test("ns ls lists a persistent netns with its path and no process", () => {
    const name = `nsbox-test-${process.pid}`;
    expect(host(`ip netns add ${name}`).code).toBe(0);
    try {
      const path = `/run/netns/${name}`;
      const inode = inodeOf(path);
      const r = nsboxFromSource(["ns", "ls", "--type", "net", "--json"]);
      expect(r.code).toBe(0);
      const entries = JSON.parse(r.stdout) as NsEntry[];
      expect(entries.every((e) => e.kind === "net")).toBe(true);
      expect(entries.find((e) => e.inode === inode)).toMatchObject({ kind: "net", nprocs: 0, pid: null, command: null, path });
      const text = nsboxFromSource(["ns", "ls", "--type", "net"]);
      expect(text.stdout.split("\n").find((l) => l.startsWith(`${inode} `))).toContain(path);
    } finally {
      host(`ip netns del ${name}`);
    }
  });

  test("ns ls --type with an unknown kind is a usage error", () => {
    const r = nsboxFromSource(["ns", "ls", "--type", "bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'bogus'");
  });

  test("check --json: every namespace kind ok, and the cgroup2 mount from mountinfo", () => {
    const r = nsboxFromSource(["check", "--json"]);
    const results = JSON.parse(r.stdout) as CheckResult[];
    expect(r.code).toBe(results.some((x) => x.status === "fail") ? 125 : 0);
    for (const kind of NS_KINDS) expect(results.find((x) => x.item === `namespace ${kind}`)?.status, kind).toBe("ok");
    // Independently of the code under test: field 5 of the first line whose fstype is cgroup2.
    const line = readFileSync("/proc/self/mountinfo", "utf8").split("\n").find((l) => l.split(" - ")[1]?.startsWith("cgroup2 "));
    expect(line, "this host has cgroup v2 mounted").toBeDefined();
    const cgroup = results.find((x) => x.item === "cgroup v2")!;
    expect(cgroup.status).toBe("ok");
    expect(/^mounted at (\S+)/.exec(cgroup.finding)?.[1]).toBe(line!.split(" ")[4]);
  });
});
