// The core's side of the plugin services: each is a door onto a core module, and what it adds
// (host ids from a planned spec, listen addresses as text) is checked here without root's
// powers beyond a socket file in a temp dir.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { corePluginServices } from "../../src/core/plugin-services.ts";
import { rootCtx } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "nsbox-services-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { sockets } = corePluginServices;

describe("sockets", () => {
  test("open: listeners from text, in order; a bad address is a usage error before any is made", () => {
    const path = join(dir, "a.sock");
    expect(() => sockets.open([`unix:${path}`, "nope"], { mode: 0o600 })).toThrow("listen address 'nope'");
    expect(existsSync(path)).toBe(false);
    const fds = sockets.open([`unix:${path}`], { mode: 0o600 });
    try {
      expect(fds).toHaveLength(1);
      expect(existsSync(path)).toBe(true);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  });

  test("connectProblem: judged as the host ids the planned sandbox maps its uid and gid to", () => {
    const path = join(dir, "db.sock");
    const fds = sockets.open([`unix:${path}`], { mode: 0o660 });
    try {
      chmodSync(path, 0o600); // for its owner (whoever runs the test) alone
      const mapped = planFromArgs(["--", "true"], [], "u", rootCtx).spec;
      expect(sockets.connectProblem(path, "--allow-unix", mapped)).toContain(`host uid ${rootCtx.subuid.start}`);
      // With the host's user namespace the payload keeps its ids: as the owner, nothing to warn about.
      const me = String(process.getuid!());
      const shared = planFromArgs(["--share", "user", "--uid", me, "--gid", String(process.getgid!()), "--", "true"], [], "u", rootCtx).spec;
      expect(sockets.connectProblem(path, "--allow-unix", shared)).toBeUndefined();
      expect(() => sockets.connectProblem(join(dir, "missing.sock"), "--allow-unix", mapped)).toThrow("does not exist");
    } finally {
      for (const fd of fds) closeSync(fd);
    }
  });

  test("groupId: a gid as digits, or a name from /etc/group", () => {
    expect(sockets.groupId("123")).toBe(123);
    expect(sockets.groupId("root")).toBe(0);
    expect(sockets.groupId("no-such-group-here")).toBeUndefined();
  });
});

describe("locks", () => {
  const { locks } = corePluginServices;

  test("hold: flock(2) per open file, so a second hold, even from this process, is told who holds it; release frees it", () => {
    const path = join(dir, "locks", "job.lock");
    const held = locks.hold(path, { wait: false });
    if ("heldBy" in held) throw new Error("the first hold must succeed");
    try {
      const again = locks.hold(path, { wait: false });
      expect(again).toEqual({ heldBy: { pid: process.pid, since: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) } });
      expect(locks.holder(path)).toMatchObject({ pid: process.pid });
    } finally {
      held.release();
    }
    expect(locks.holder(path)).toBe("free");
    const next = locks.hold(path, { wait: true });
    if ("heldBy" in next) throw new Error("a released lock must be free");
    next.release();
    expect(locks.holder(join(dir, "locks", "never.lock"))).toBe("free");
  });

  test("a relative path is refused", () => {
    expect(() => locks.hold("job.lock", { wait: false })).toThrow("lock path 'job.lock' is not absolute");
  });
});
