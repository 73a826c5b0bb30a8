import { describe, expect, test } from "bun:test";
import { cac } from "cac";
import { registerCheck } from "../../src/cli/check.ts";
import type { CliIo } from "../../src/cli/index.ts";
import { NsboxError } from "../../src/base/errors.ts";
import type { HostFacts } from "../../src/core/host-facts.ts";
import { NS_KINDS } from "../../src/model/schema.ts";
import { rootCtx } from "../helpers.ts";
import { fakeFacts } from "../core/fake-host.ts";

/** Runs `nsbox check ...` in-process; returns stdout and the exit code the error carries. */
async function runCheck(args: string[], facts: HostFacts): Promise<{ out: string; code: number }> {
  let out = "";
  const io: CliIo = { stdout: (d) => void (out += String(d)), context: () => rootCtx };
  const cli = cac("nsbox");
  registerCheck(cli, io, { facts });
  try {
    cli.parse(["bun", "nsbox", "check", ...args], { run: false });
    await cli.runMatchedCommand();
    return { out, code: 0 };
  } catch (e) {
    if (e instanceof NsboxError) return { out, code: e.exitCode };
    if (e instanceof Error && e.name === "CACError") return { out, code: 2 };
    throw e;
  }
}

// Namespaces present, nothing else: the kernel config, cgroups and libraries only warn.
const bare = (release: string) => fakeFacts({ release, paths: NS_KINDS.map((k) => `/proc/self/ns/${k}`) });

describe("nsbox check", () => {
  test("prints one aligned line per item and exits 0 when nothing failed", async () => {
    const { out, code } = await runCheck([], bare("6.1.0"));
    expect(code).toBe(0);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toBe("ok    kernel: 6.1.0 (5.12 or newer: mount_setattr, openat2, clone3, CLONE_INTO_CGROUP, new mount API)");
    expect(lines.every((l) => /^(ok  |warn|fail)  [a-z0-9 ]+: /.test(l))).toBe(true);
    expect(out).toContain("warn  libseccomp: libseccomp.so.2 not found in ");
    expect(out).toContain(" — fix: apt-get install libseccomp2 (Debian/Ubuntu)");
  });

  test("a failed item still prints the report, then exits 125", async () => {
    const { out, code } = await runCheck(["--json"], bare("5.10.0"));
    expect(code).toBe(125);
    const results = JSON.parse(out) as { item: string; status: string; finding: string; fix?: string }[];
    expect(results.find((r) => r.item === "kernel")).toMatchObject({ status: "fail", fix: "boot a 5.12 or newer kernel" });
    expect(results.find((r) => r.item === "namespace net")).toEqual({ item: "namespace net", status: "ok", finding: "available" });
  });

  test("unknown options and arguments are usage errors", async () => {
    expect((await runCheck(["--bogus"], bare("6.1.0"))).code).toBe(2);
    expect((await runCheck(["extra"], bare("6.1.0"))).code).toBe(2);
  });
});
