import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLibseccomp } from "../../src/core/seccomp.ts";
import { parseProfile } from "../../src/cli/profile.ts";
import { parseSeccompFile } from "../../src/cli/seccomp-file.ts";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { newDraft } from "../../src/cli/sandbox-options.ts";
import { rootCtx, usageError } from "../helpers.ts";

const seccomp = (...args: string[]) => planFromArgs([...args, "--", "true"], [], "nsbox run", rootCtx).spec.security.seccomp;

const dir = mkdtempSync(join(tmpdir(), "nsbox-seccomp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("flags", () => {
  test("every run gets the default policy", () => {
    expect(seccomp()).toEqual({ base: "default", allow: [], deny: [], allowUserns: false, errno: "EPERM" });
  });
  test("levels, lists (comma-separated, repeatable, in any order) and --allow-userns", () => {
    expect(seccomp("--seccomp-deny", "mkdir, @chown", "--seccomp", "strict", "--seccomp-allow", "@keyring", "--seccomp-allow", "ptrace", "--allow-userns")).toEqual({
      base: "strict", allow: ["@keyring", "ptrace"], deny: ["mkdir", "@chown"], allowUserns: true, errno: "EPERM",
    });
    expect(seccomp("--seccomp", "none").base).toBe("none");
  });
  test("bad entries are usage errors naming the flag and the entry", () => {
    expect(usageError(() => seccomp("--seccomp-allow", "@nosuchgroup"))).toStartWith("--seccomp-allow: unknown seccomp group '@nosuchgroup'");
    expect(usageError(() => seccomp("--seccomp-deny", "mkdir,,rmdir"))).toBe("--seccomp-deny: 'mkdir,,rmdir' has an empty entry (use NAME,@group,...)");
    expect(usageError(() => seccomp("--seccomp-deny", "../x"))).toBe("--seccomp-deny: '../x' is not a system call name or @group");
    expect(usageError(() => seccomp("--seccomp", "paranoid"))).toBe("--seccomp: 'paranoid' is not default, strict, none or a readable policy file (ENOENT)");
    expect(usageError(() => seccomp("--seccomp-allow", "@keyring", "--seccomp-deny", "keyctl"))).toContain("keyctl is both allowed (@keyring) and denied (keyctl)");
  });
  test.skipIf(!loadLibseccomp())("syscall names are checked against libseccomp's table", () => {
    expect(usageError(() => seccomp("--seccomp-deny", "nosuchcall"))).toBe("--seccomp-deny: 'nosuchcall' is not a system call (libseccomp 2.5.4 does not know it)");
    expect(seccomp("--seccomp-deny", "vm86").deny).toEqual(["vm86"]); // another architecture's call is a name, not an error
  });
  test("profiles use the same options", () => {
    const d = newDraft(rootCtx);
    for (const e of parseProfile('seccomp = "strict"\nseccomp-allow = ["@keyring", "ptrace"]\nallow-userns = true\n', "p.toml")) e.option.apply(d, e.values, e.where);
    expect(d.spec.security.seccomp).toEqual({ base: "strict", allow: ["@keyring", "ptrace"], allowUserns: true });
  });
});

describe("policy files", () => {
  test("TOML and JSON, merged with the flags", () => {
    const toml = file("p.toml", 'base = "strict"\nallow = ["@keyring"]\ndeny = ["mkdir"]\nerrno = "EACCES"\n');
    expect(seccomp("--seccomp-deny", "rmdir", "--seccomp", toml)).toEqual({
      base: "strict", allow: ["@keyring"], deny: ["rmdir", "mkdir"], allowUserns: false, errno: "EACCES",
    });
    const json = file("p.json", JSON.stringify({ deny: ["@mount"], "allow-userns": true }));
    expect(seccomp("--seccomp", json)).toMatchObject({ base: "default", deny: ["@mount"], allowUserns: true });
  });
  test("a malformed file is one clear line", () => {
    const bad = (text: string, name = "f.toml") => usageError(() => parseSeccompFile(text, name));
    expect(bad("base = \n")).toStartWith("--seccomp f.toml: not valid TOML:");
    expect(bad("{", "f.json")).toStartWith("--seccomp f.json: not valid JSON:");
    expect(bad("[1]", "f.json")).toBe("--seccomp f.json: must be a table of policy keys (base, allow, deny, errno, allow-userns)");
    expect(bad('bsae = "strict"')).toBe("--seccomp f.toml: 'bsae' is not a policy key (use base, allow, deny, errno, allow-userns)");
    expect(bad('base = "paranoid"')).toBe("--seccomp f.toml: base must be one of default, strict, none");
    expect(bad('errno = "EIO"')).toBe("--seccomp f.toml: errno must be one of EPERM, EACCES, ENOSYS");
    expect(bad('allow = "ptrace"')).toBe("--seccomp f.toml: allow must be a list of system call names and @groups");
    expect(bad('deny = ["@nosuch"]')).toStartWith("--seccomp f.toml: deny: unknown seccomp group '@nosuch'");
    expect(bad("allow-userns = 1")).toBe("--seccomp f.toml: allow-userns must be true or false");
    for (const text of ["base = \n", 'bsae = "x"', 'deny = ["@nosuch"]']) expect(bad(text)).not.toContain("\n");
  });
});
