// Exit status, signals, reaping and errors, through the compiled binary on the real kernel.
import { expect, test } from "bun:test";
import { commOf, descendantsOf, describeRoot, hostMountPoints, inSandbox, leakedMounts, nsbox, NSBOX, sessionPids, waitFor } from "./harness.ts";

describeRoot("exit status", () => {
  test("payload exit N gives N", () => {
    expect(inSandbox("exit 0").code).toBe(0);
    expect(inSandbox("exit 3").code).toBe(3);
    expect(inSandbox("exit 77", ["--no-init"]).code).toBe(77);
  });

  test("killed by signal N gives 128+N", () => {
    expect(inSandbox("kill -KILL $$").code).toBe(137);
    expect(inSandbox("kill -SEGV $$").code).toBe(139);
  });

  test("SIGTERM sent to the nsbox pid reaches the payload promptly", async () => {
    const p = Bun.spawn([NSBOX, "run", "--", "sleep", "60"], { stdout: "ignore", stderr: "pipe" });
    await waitFor(() => descendantsOf(p.pid).some((d) => commOf(d) === "sleep"), "the payload runs");
    p.kill("SIGTERM");
    // 143 (128 + SIGTERM) is the payload killed by the signal; sleep 60 alone would exit 0.
    expect(await p.exited).toBe(143);
  });

  test("orphans inside are reaped: no zombies", () => {
    // Three background children are orphaned when their parent sh exits; init must reap them.
    // Waits (10 s at most) until no `sleep` is left, running or zombie; the loop's own sleep is
    // reaped by this shell before each look.
    const orphans = "grep -ls '^Name:.sleep$' /proc/[0-9]*/status";
    const r = inSandbox(`sh -c 'sleep 0.2 & sleep 0.2 & sleep 0.2 &'; i=0; while [ -n "$(${orphans})" ] && [ $i -lt 500 ]; do i=$((i+1)); sleep 0.02; done; ${orphans} | wc -l`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("0");
  });
});

describeRoot("errors", () => {
  test("a missing command gives 127 and one line", () => {
    const r = nsbox(["run", "--", "/no/such/command"]);
    expect(r.code).toBe(127);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("/no/such/command");
  });

  test("a non-executable command gives 126", () => {
    const r = nsbox(["run", "--", "/etc/hostname"]);
    expect(r.code).toBe(126);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("an unknown option or a bad value: one line naming it, exit 2", () => {
    for (const args of [["run", "--frobnicate", "--", "true"], ["run", "--net", "wifi", "--", "true"], ["run", "--uid", "x", "--", "true"], ["run"], ["nosuchcommand"]]) {
      const r = nsbox(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toContain("    at ");
    }
    expect(nsbox(["run", "--frobnicate", "--", "true"]).stderr).toContain("--frobnicate");
  });

  test("a setup failure names the step, the path and the errno, exits 125 and leaves nothing behind", () => {
    const mounts = hostMountPoints();
    const r = nsbox(["run", "--ro-bind", "/does/not/exist", "/x", "--", "true"]);
    expect(r.code).toBe(125);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("ro-bind");
    expect(lines[0]).toContain("/does/not/exist");
    expect(lines[0]).toContain("ENOENT");
    expect(leakedMounts(mounts, ["/x"])).toEqual([]);
    expect(sessionPids(r.pid)).toEqual([]);
  });

  test("--ro-bind-try skips a missing source", () => {
    expect(nsbox(["run", "--ro-bind-try", "/does/not/exist", "/x", "--", "true"]).code).toBe(0);
  });
});
