import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readHostLayout, resolvConfTarget } from "../../src/core/host-layout.ts";

const dir = mkdtempSync(join(tmpdir(), "nsbox-layout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolvConfTarget", () => {
  test("a plain file needs nothing; a link leads to its real path, a dangling one one step", () => {
    writeFileSync(join(dir, "plain"), "nameserver 192.0.2.1\n");
    expect(resolvConfTarget(join(dir, "plain"))).toBeUndefined();
    writeFileSync(join(dir, "stub"), "nameserver 127.0.0.53\n");
    symlinkSync("stub", join(dir, "linked"));
    expect(resolvConfTarget(join(dir, "linked"))).toBe(join(dir, "stub"));
    symlinkSync("../run/systemd/resolve/stub-resolv.conf", join(dir, "dangling"));
    expect(resolvConfTarget(join(dir, "dangling"))).toBe(join(dir, "../run/systemd/resolve/stub-resolv.conf"));
    expect(resolvConfTarget(join(dir, "missing"))).toBeUndefined();
  });
});

describe("readHostLayout", () => {
  test("this host's /bin, /sbin and /lib* as they are", () => {
    const layout = readHostLayout();
    expect(layout.os.map((e) => e.path)).toContain("/bin");
    for (const e of layout.os) expect(e.symlink !== undefined).toBe(lstatSync(e.path).isSymbolicLink());
    expect(layout.os.every((e) => /^\/(s?bin|lib(32|64|x32|o32)?)$/.test(e.path))).toBe(true);
  });
});
