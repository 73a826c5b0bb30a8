// The ownership walk without root: giving a tree to the caller's own ids (which chown allows an
// owner) exercises the walk, its counts, and what it refuses to touch.
import { afterAll, expect, test } from "bun:test";
import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync, constants } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chownTree, MAX_DEPTH } from "../../src/core/owned-tree.ts";

const d = mkdtempSync(join(tmpdir(), "nsbox-walk-"));
afterAll(() => rmSync(d, { recursive: true, force: true }));

test("walks every directory, follows no symlink, and leaves multiply-linked files alone", () => {
  const top = join(d, "top");
  mkdirSync(join(top, "a", "b"), { recursive: true });
  writeFileSync(join(top, "a", "b", "f"), "x");
  writeFileSync(join(d, "outside"), "host");
  symlinkSync(join(d, "outside"), join(top, "link"));
  symlinkSync(d, join(top, "a", "up"));
  linkSync(join(d, "outside"), join(top, "hard"));
  const fd = openSync(top, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const r = chownTree(fd, process.getuid!(), process.getgid!(), top);
    // top, a, a/b, a/b/f, link, a/up, and hard: all ours already. A hard link is reported only
    // when it is not owned as asked (test/priv/state.test.ts gives one away as root).
    expect(r.kept + r.changed).toBe(7);
    expect(r.hardLinks).toEqual([]);
    expect(r.mounts).toEqual([]);
  } finally {
    closeSync(fd);
  }
});

test("directories MAX_DEPTH levels down are left with all they hold: the sandbox decides how deep its tree is", () => {
  const top = join(d, "deep");
  const levels = Array.from({ length: MAX_DEPTH + 8 }, () => "a");
  mkdirSync(join(top, ...levels), { recursive: true });
  const fd = openSync(top, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const r = chownTree(fd, process.getuid!(), process.getgid!(), top);
    expect(r.tooDeep).toEqual([join(top, ...levels.slice(0, MAX_DEPTH))]);
    expect(r.kept + r.changed).toBe(MAX_DEPTH); // top and the MAX_DEPTH - 1 levels above the cut
  } finally {
    closeSync(fd);
  }
});
