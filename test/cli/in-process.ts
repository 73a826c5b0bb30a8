// Runs nsbox in-process through its entry (src/cli/entry.ts), as root in `cwd`, capturing stdout
// and stderr: for tests of whole command lines that need no real sandbox.
import { spyOn } from "bun:test";
import { main } from "../../src/cli/entry.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { rootCtx } from "../helpers.ts";

export async function nsboxInProcess(cwd: string, args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliIo = { stdout: (d) => void (out += String(d)), context: () => ({ ...rootCtx, cwd }) };
  const spy = spyOn(process.stderr, "write").mockImplementation((d: string | Uint8Array) => ((err += String(d)), true));
  try {
    const code = await main(["bun", "nsbox", ...args], io);
    return { code, out, err };
  } finally {
    spy.mockRestore();
  }
}
