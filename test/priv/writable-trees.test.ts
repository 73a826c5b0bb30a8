// Trees a sandbox can write, planted from inside a real sandbox: nsbox's host side (root) must
// never be redirected by a symlink there to read, bind, chown or chmod anything outside the
// tree (the project rule; runc CVE-2021-30465 and CVE-2019-5736 are the classic escapes).
import { afterAll, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeRoot, inSandbox, tempDir } from "./harness.ts";

const dirs: string[] = [];

/** A temporary directory the sandboxes' ranges can search. */
function fixture(): string {
  const d = tempDir();
  dirs.push(d);
  chmodSync(d, 0o755);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeRoot("writable trees: planted symlinks", () => {
  test("an idmapped bind's source behind a symlink the sandbox planted is refused, not cloned by root", () => {
    // The operator gives on-disk uid 1000's DATA at /data, and DATA/sub again at /sub. OTHER is
    // also uid 1000's, private (0700) and never given: only root can reach it.
    const d = fixture();
    const data = join(d, "data");
    const other = join(d, "other");
    mkdirSync(join(data, "sub"), { recursive: true });
    mkdirSync(other, { mode: 0o700 });
    writeFileSync(join(other, "secret"), "not for the sandbox\n", { mode: 0o600 });
    for (const p of [data, join(data, "sub"), other, join(other, "secret")]) chownSync(p, 1000, 1000);
    const binds = ["--idmap-bind", data, "/data", "0:1000"];
    // Inside, root is on-disk 1000 on /data: it swaps sub for a symlink to OTHER.
    const plant = inSandbox(`rmdir /data/sub && ln -s ${other} /data/sub`, binds);
    expect(plant.stderr).toBe("");
    expect(plant.code).toBe(0);
    // The next start: the supervisor, still host root, must not follow it to OTHER.
    const r = inSandbox("cat /sub/secret; echo planted > /sub/planted", [...binds, "--idmap-bind", join(data, "sub"), "/sub", "0:1000"]);
    expect(r.stdout).not.toContain("not for the sandbox");
    expect(existsSync(join(other, "planted"))).toBe(false);
    expect(r.code).toBe(125);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`${join(data, "sub")} -> /sub: a symlink on the way`);
    expect(readFileSync(join(other, "secret"), "utf8")).toBe("not for the sandbox\n");
  });
});
