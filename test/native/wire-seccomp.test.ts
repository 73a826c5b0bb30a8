// The compiled seccomp filter on the wire: encodeWire carries what it is given as one `seccomp`
// record of lowercase hex, and the stage's decoder (`--check`) accepts a real libseccomp program.
import { expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compileSeccomp, loadLibseccomp } from "../../src/core/seccomp.ts";
import { encodeWire } from "../../src/native/wire.ts";
import { planSpec } from "../../src/model/plan.ts";
import { rootCtx } from "../helpers.ts";

const STAGE = resolve(import.meta.dir, "../../dist/nsbox-stage");

function defaultSpec() {
  const r = planSpec({ process: { argv: ["true"] } }, rootCtx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
}

const tokensOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes).split("\0");

test("the BPF travels as one seccomp record of lowercase hex; none without it", () => {
  const bpf = Uint8Array.from([0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f]); // RET ALLOW
  const t = tokensOf(encodeWire(defaultSpec(), { seccompBpf: bpf }));
  expect(t[t.indexOf("seccomp") + 1]).toBe("060000000000ff7f");
  expect(tokensOf(encodeWire(defaultSpec()))).not.toContain("seccomp");
});

test.skipIf(!loadLibseccomp())("the stage accepts the default and strict programs", () => {
  const dir = mkdtempSync(join(tmpdir(), "nsbox-wire-"));
  try {
    for (const base of ["default", "strict"] as const) {
      const spec = defaultSpec();
      const seccompBpf = compileSeccomp({ ...spec.security.seccomp, base })!;
      const path = join(dir, `${base}.wire`);
      writeFileSync(path, encodeWire(spec, { seccompBpf }));
      const fd = openSync(path, "r");
      try {
        const r = Bun.spawnSync([STAGE, "--spec-fd", "3", "--check"], { stdio: ["ignore", "pipe", "pipe", fd], timeout: 10_000 });
        expect(r.stderr.toString()).toBe("");
        expect(r.stdout.toString()).toBe("ok\n");
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
