// `nsbox ranges` on the real kernel: a named sandbox's range is listed with the state directory
// it owns, cannot be released while it runs or while it still owns data, and --reown-root gives
// that data to root (contents untouched) before the name and its slot are given back.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { stampPath } from "../../src/core/state-directories.ts";
import { describeRoot, forgetRanges, nsbox, NSBOX, tempDir, waitFor } from "./harness.ts";

const names: string[] = [];
const dirs: string[] = [];
const started: Bun.Subprocess[] = [];

afterAll(() => {
  for (const p of started) p.kill("SIGKILL");
  for (const d of dirs) {
    rmSync(stampPath(join(d, "data")), { force: true });
    rmSync(d, { recursive: true, force: true });
  }
  forgetRanges(names);
});

interface Listed {
  name: string;
  slot: number;
  uid: { start: number; count: number };
  runningPid: number | null;
  stateDirs: string[];
}
const listed = (n: string) => (JSON.parse(nsbox(["ranges", "--json"]).stdout) as Listed[]).find((r) => r.name === n);
const oneLine = (stderr: string) => expect(stderr.trim().split("\n")).toHaveLength(1);

describeRoot("nsbox ranges", () => {
  test("list, refuse while running or owning data, release with --reown-root", async () => {
    const d = tempDir();
    dirs.push(d);
    chmodSync(d, 0o755);
    const data = join(d, "data");
    const n = `rg-${process.pid}`;
    names.push(n);

    const p = Bun.spawn([NSBOX, "run", "--name", n, "--state", data, "--", "sh", "-c", `echo kept > ${data}/file; exec sleep 30`], { stdout: "ignore", stderr: "ignore" });
    started.push(p);
    await waitFor(() => existsSync(join(data, "file")) && listed(n)?.runningPid != null, `${n} runs and is listed`);
    const range = listed(n)!;
    expect(range.uid.count).toBe(65536);
    expect(range.stateDirs).toEqual([data]);
    expect(lstatSync(join(data, "file")).uid).toBe(range.uid.start);
    expect(nsbox(["ranges"]).stdout).toContain(`pid ${range.runningPid}`);

    const running = nsbox(["ranges", "rm", n]);
    expect(running.code).toBe(125);
    oneLine(running.stderr);
    expect(running.stderr).toContain(`sandbox ${n} is running`);

    expect(nsbox(["stop", n]).code).toBe(0);
    await p.exited;
    const owning = nsbox(["ranges", "rm", n]);
    expect(owning.code).toBe(125);
    oneLine(owning.stderr);
    expect(owning.stderr).toContain(`still owns ${data}`);
    expect(listed(n)).toBeDefined();

    const released = nsbox(["ranges", "rm", n, "--reown-root"]);
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`${data}: given to root`);
    expect(listed(n)).toBeUndefined();
    expect(lstatSync(data).uid).toBe(0);
    expect(lstatSync(join(data, "file")).uid).toBe(0);
    expect(readFileSync(join(data, "file"), "utf8")).toBe("kept\n");
    expect(existsSync(stampPath(data))).toBe(false);
    // The slot is free again: gone, or (another suite's named run took it at once) not n's.
    const slot = `/var/lib/nsbox/id-ranges/slot-${range.slot}`;
    expect(existsSync(slot) ? readFileSync(slot, "utf8") : "free").not.toBe(n);
    expect(existsSync(`/var/lib/nsbox/id-ranges/name-${n}`)).toBe(false);
  });

  test("a range without data is released at once; unknown names and bad words get one line", () => {
    const n = `rg-${process.pid}-plain`;
    names.push(n);
    expect(nsbox(["run", "--name", n, "--", "true"]).code).toBe(0);
    expect(listed(n)?.stateDirs).toEqual([]);
    expect(nsbox(["ranges", "rm", n]).code).toBe(0);
    expect(listed(n)).toBeUndefined();
    for (const [args, text] of [
      [["ranges", "rm", n], `no id range is recorded for ${n}`],
      [["ranges", "rm"], "needs the NAME"],
      [["ranges", "rm", "../x"], "not a valid name"],
      [["ranges", "drop", n], "unknown ranges action 'drop'"],
    ] as const) {
      const r = nsbox([...args]);
      expect(r.code).not.toBe(0);
      oneLine(r.stderr);
      expect(r.stderr).toContain(text);
    }
  });
});
