// The saved-plan file `nsbox plan --save` writes (PLAN.md beside this file): an interpreter line
// that runs the installed stage, a text header binding the plan to the nsbox version, the stage
// (its sha256, and the file it was read from) and the kernel it was made for, a sha256 over every
// other byte, then the wire spec. The stage checks all of it before it runs anything
// (src/native/stage/saved-plan.c). Pure.

export const PLAN_FORMAT = 2;

/** The kernel's limit on an interpreter line, `#!` and newline included (BINPRM_BUF_SIZE). */
const MAX_INTERPRETER_LINE = 256;

export interface SavedPlanHeader {
  /** The installed stage, run by the kernel as the file's interpreter. */
  stagePath: string;
  nsboxVersion: string;
  stageSha256: string;
  /** DEV INO SIZE MTIME_NS CTIME_NS of the stage file stageSha256 was read from: while the stage
   * is still that file, it need not hash itself again. */
  stageFile: readonly string[];
  /** `uname -r` and `uname -m` of the host the plan was made for, separated by one space. */
  kernel: string;
  /** Whether arguments after the plan file are appended to its command. */
  appendArgs: boolean;
}

/** The whole file: header, checksum line, wire bytes. */
export function encodeSavedPlan(h: SavedPlanHeader, wire: Uint8Array): Uint8Array {
  const shebang = `#!${h.stagePath} --plan\n`;
  if (!/^\/[^\s\0]*$/.test(h.stagePath) || shebang.length > MAX_INTERPRETER_LINE) {
    throw new RangeError(`stage path ${JSON.stringify(h.stagePath)} cannot be an interpreter line (absolute, no spaces, under ${MAX_INTERPRETER_LINE} bytes)`);
  }
  for (const v of [h.nsboxVersion, h.stageSha256, h.kernel]) if (/[\n\0]/.test(v)) throw new RangeError(`header value ${JSON.stringify(v)} has a newline`);
  if (h.stageFile.length !== 5 || !h.stageFile.every((v) => /^(0|[1-9][0-9]*)$/.test(v))) throw new RangeError(`stage file ${JSON.stringify(h.stageFile)} is not five decimal numbers`);
  const head = new TextEncoder().encode(
    `${shebang}nsbox-plan ${PLAN_FORMAT}\nnsbox ${h.nsboxVersion}\nstage-sha256 ${h.stageSha256}\nstage-file ${h.stageFile.join(" ")}\nkernel ${h.kernel}\nargs ${h.appendArgs ? "append" : "fixed"}\n`,
  );
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(head);
  hasher.update(wire);
  const sum = new TextEncoder().encode(`sha256 ${hasher.digest("hex")}\n`);
  const out = new Uint8Array(head.length + sum.length + wire.length);
  out.set(head, 0);
  out.set(sum, head.length);
  out.set(wire, head.length + sum.length);
  return out;
}
