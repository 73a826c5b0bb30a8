import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathProblem, treeProblem } from "../../../src/core/plugins/trust.ts";

const uid = process.getuid!();
let dir: string;
const fresh = () => {
  dir = mkdtempSync(join(tmpdir(), "nsbox-trust-"));
  mkdirSync(join(dir, "plugin/lib"), { recursive: true });
  writeFileSync(join(dir, "plugin/index.ts"), "");
  writeFileSync(join(dir, "plugin/lib/x.ts"), "");
  for (const d of [dir, join(dir, "plugin"), join(dir, "plugin/lib")]) chmodSync(d, 0o755);
  for (const f of ["plugin/index.ts", "plugin/lib/x.ts"]) chmodSync(join(dir, f), 0o644);
  return join(dir, "plugin");
};
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("trust", () => {
  test("a tree writable by its owner alone, under a sticky /tmp, passes", () => {
    expect(treeProblem(fresh(), uid)).toBeUndefined();
  });

  test("a file or a directory inside writable by others or the group is refused", () => {
    const root = fresh();
    chmodSync(join(root, "lib/x.ts"), 0o646);
    expect(treeProblem(root, uid)).toBe(`${root}/lib/x.ts is writable by others`);
    chmodSync(join(root, "lib/x.ts"), 0o644);
    chmodSync(join(root, "lib"), 0o775);
    expect(treeProblem(root, uid)).toBe(`${root}/lib is writable by its group`);
  });

  test("a parent writable by others is refused unless sticky", () => {
    const root = fresh();
    chmodSync(dir, 0o757);
    expect(treeProblem(root, uid)).toBe(`${dir} is writable by others`);
    chmodSync(dir, 0o1777);
    expect(pathProblem(root, uid)).toBeUndefined();
    // Sticky protects entries from others, not the directory itself when it is the file's own.
    chmodSync(root, 0o1777);
    expect(treeProblem(root, uid)).toBe(`${root} is writable by others`);
  });

  test("symbolic links inside a plugin are refused; a link on the way is followed and checked", () => {
    const root = fresh();
    symlinkSync("/etc/hostname", join(root, "link"));
    expect(treeProblem(root, uid)).toBe(`${root}/link is not a regular file or directory`);
    rmSync(join(root, "link"));
    symlinkSync(root, join(dir, "alias"));
    expect(pathProblem(join(dir, "alias/index.ts"), uid)).toBeUndefined();
    chmodSync(join(root, "index.ts"), 0o666);
    expect(pathProblem(join(dir, "alias/index.ts"), uid)).toBe(`${dir}/alias/index.ts is writable by others`);
  });

  test("a file owned by another user is refused", () => {
    const root = fresh();
    if (uid === 0) {
      chownSync(join(root, "index.ts"), 12345, 0);
      expect(treeProblem(root, 0)).toBe(`${root}/index.ts belongs to uid 12345`);
    } else {
      // Unprivileged: our own files, judged for someone else, belong to "another user".
      expect(pathProblem(root, uid + 1)).toBe(`${root} belongs to uid ${uid}`);
    }
  });
});
