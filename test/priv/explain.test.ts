// `nsbox explain NAME|--pid PID` against real running sandboxes: a sandbox as the stage built it
// shows no drift; a mount its payload makes afterwards is reported by its path, with exit 1.
import { afterEach, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { describeRoot, forgetRanges, NSBOX, nsbox, readUntil, waitFor } from "./harness.ts";

interface Report {
  sandbox: { name: string; pid: number; payloadPid: number };
  checks: { area: string; ok: boolean; summary: string }[];
  drift: { area: string; subject: string; message: string }[];
}

const running: { name: string; proc: Subprocess<"pipe", "pipe", "pipe"> }[] = [];

/** Starts `nsbox run --name NAME OPTS -- sh -c SCRIPT` in the background; resolves once it is listed. */
async function start(name: string, opts: string[], script: string) {
  const proc = Bun.spawn([NSBOX, "run", "--name", name, ...opts, "--", "sh", "-c", script], {
    env: { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.push({ name, proc });
  const listed = () => (JSON.parse(nsbox(["ps", "--json"]).stdout) as { name: string }[]).some((e) => e.name === name);
  await waitFor(listed, `sandbox ${name} is listed`);
  return proc;
}

const explain = (...args: string[]) => {
  const r = nsbox(["explain", ...args]);
  return { ...r, report: r.stdout.startsWith("{") ? (JSON.parse(r.stdout) as Report) : undefined };
};

afterEach(async () => {
  for (const { name, proc } of running.splice(0)) {
    nsbox(["stop", name]);
    proc.kill("SIGKILL");
    await proc.exited;
    forgetRanges([name]);
  }
});

describeRoot("nsbox explain on running sandboxes", () => {
  test("a default sandbox as the stage built it: no drift, exit 0, by name and by pid", async () => {
    const name = `explain-ok-${process.pid}`;
    await start(name, [], "sleep 30");
    const r = explain(name, "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.report!.drift).toEqual([]);
    expect(r.report!.checks.map((c) => [c.area, c.ok])).toEqual([["namespaces", true], ["capabilities", true], ["no_new_privs", true], ["seccomp", true], ["mounts", true]]);
    expect(r.report!.checks[0]!.summary).toBe("new user,mnt,pid,net,uts,ipc,cgroup; host time");
    const byPid = explain("--pid", String(r.report!.sandbox.pid));
    expect(byPid.code).toBe(0);
    expect(byPid.stdout).toContain(`sandbox ${name} (pid ${r.report!.sandbox.pid}, command pid ${r.report!.sandbox.payloadPid})`);
    expect(byPid.stdout.trim().split("\n").at(-1)).toBe("no drift");
  });

  test("shared namespaces and kept capabilities match their spec too", async () => {
    const name = `explain-shared-${process.pid}`;
    await start(name, ["--share", "net,ipc", "--cap-add", "NET_BIND_SERVICE", "--seccomp", "none"], "sleep 30");
    const r = explain(name, "--json");
    expect(r.report!.drift).toEqual([]);
    expect(r.code).toBe(0);
  });

  test("a tmpfs the payload mounts on /mnt afterwards is drift named /mnt, exit 1", async () => {
    const name = `explain-drift-${process.pid}`;
    // --dir: the os root has no /mnt of its own; the payload cannot make one in the read-only root.
    const proc = await start(name, ["--cap-add", "CAP_SYS_ADMIN", "--seccomp", "none", "--dir", "/mnt"], "read go; mount -t tmpfs x /mnt && echo mounted; sleep 30");
    const before = explain(name, "--json");
    expect(before.code).toBe(0);
    expect(before.report!.drift).toEqual([]);
    proc.stdin.write("go\n");
    await proc.stdin.flush();
    await readUntil(proc.stdout, "mounted");
    const after = explain(name, "--json");
    expect(after.code).toBe(1);
    expect(after.report!.drift).toEqual([{ area: "mounts", subject: "/mnt", message: "/mnt: a mount the spec does not make (tmpfs from x)" }]);
    expect(after.stderr).toContain(`sandbox ${name} drifted from its spec (1 item)`);
    const text = explain(name);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("  DRIFT  mounts:");
    expect(text.stdout).toContain("drift: /mnt: a mount the spec does not make (tmpfs from x)\n1 drift item\n");
  });

  test("an unknown name or pid is an nsbox error (125), not a verdict", () => {
    expect(explain(`no-such-${process.pid}`).code).toBe(125);
    expect(explain("--pid", "1").code).toBe(125);
  });
});
