// A classic-BPF interpreter for seccomp programs (the instruction subset libseccomp emits), so unit
// tests can ask what a compiled filter returns for a syscall without loading it into a kernel.
// struct seccomp_data: nr u32 @0, arch u32 @4, instruction_pointer u64 @8, args[6] u64 @16.

export interface SeccompData {
  nr: number;
  arch: number;
  args?: readonly bigint[];
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;

/** The SECCOMP_RET_* value the program returns for `data`. */
export function runSeccompBpf(program: Uint8Array, data: SeccompData): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const input = new DataView(new ArrayBuffer(64));
  input.setUint32(0, data.nr >>> 0, true);
  input.setUint32(4, data.arch >>> 0, true);
  (data.args ?? []).forEach((a, i) => input.setBigUint64(16 + 8 * i, BigInt.asUintN(64, a), true));
  const mem = new Uint32Array(16);
  let A = 0;
  let X = 0;
  for (let pc = 0, steps = 0; pc * 8 < program.length; pc++) {
    if (++steps > 100_000) throw new Error("BPF program does not terminate");
    const code = view.getUint16(pc * 8, true);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, true);
    const src = code & 0x08 ? X : k;
    switch (code & 0x07) {
      case 0x00: // LD
        if ((code & 0xe0) === 0x20 && (code & 0x18) === 0x00) A = input.getUint32(k, true);
        else if ((code & 0xe0) === 0x00) A = k;
        else if ((code & 0xe0) === 0x60) A = mem[k]!;
        else throw new Error(`unsupported LD 0x${code.toString(16)} at ${pc}`);
        break;
      case 0x01: // LDX
        if ((code & 0xe0) === 0x00) X = k;
        else if ((code & 0xe0) === 0x60) X = mem[k]!;
        else throw new Error(`unsupported LDX 0x${code.toString(16)} at ${pc}`);
        break;
      case 0x02: // ST
        mem[k] = A;
        break;
      case 0x03: // STX
        mem[k] = X;
        break;
      case 0x04: { // ALU
        const ops: Record<number, (a: number, b: number) => number> = {
          0x00: (a, b) => a + b, 0x10: (a, b) => a - b, 0x20: (a, b) => Math.imul(a, b), 0x30: (a, b) => Math.floor(a / b),
          0x40: (a, b) => a | b, 0x50: (a, b) => a & b, 0x60: (a, b) => a << b, 0x70: (a, b) => a >>> b,
          0x80: (a) => -a, 0x90: (a, b) => a % b, 0xa0: (a, b) => a ^ b,
        };
        const op = ops[code & 0xf0];
        if (!op) throw new Error(`unsupported ALU 0x${code.toString(16)} at ${pc}`);
        A = op(A, src) >>> 0;
        break;
      }
      case 0x05: { // JMP
        const op = code & 0xf0;
        if (op === 0x00) {
          pc += k;
          break;
        }
        const a = A >>> 0;
        const b = src >>> 0;
        const taken = op === 0x10 ? a === b : op === 0x20 ? a > b : op === 0x30 ? a >= b : op === 0x40 ? (a & b) !== 0 : undefined;
        if (taken === undefined) throw new Error(`unsupported JMP 0x${code.toString(16)} at ${pc}`);
        pc += taken ? jt : jf;
        break;
      }
      case 0x06: // RET
        return ((code & 0x18) === 0x10 ? A : k) >>> 0;
      case 0x07: // MISC
        if ((code & 0xf8) === 0x00) X = A;
        else A = X;
        break;
    }
  }
  throw new Error("BPF program ran off its end");
}
