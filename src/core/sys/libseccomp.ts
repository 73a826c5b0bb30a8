// The libseccomp binding (libseccomp.so.2 from Debian's libseccomp2, >= 2.5) over bun:ffi: build
// one filter from resolved rules and export it as classic BPF bytes. It loads nothing into this
// process: the stage loads the bytes into the payload (seccomp_export_bpf(3)).
import { dlopen, FFIType, ptr, read, type Pointer } from "bun:ffi";
import { closeSync, fstatSync, readSync } from "node:fs";
import { NsboxError, SysError } from "../errors.ts";
import { errnoName } from "./errno.ts";

/** struct scmp_arg_cmp: which argument, how, and the two data (for MASKED_EQ: mask, value). */
export interface ScmpArgCmp {
  arg: number;
  op: number;
  datumA: bigint;
  datumB: bigint;
}

export interface ScmpRule {
  /** A SCMP_ACT_* value. */
  action: number;
  /** The native syscall number (>= 0). */
  syscall: number;
  /** All must hold (AND); empty: always. */
  args: readonly ScmpArgCmp[];
  /** Names the rule in errors. */
  name: string;
}

export interface ScmpFilter {
  defaultAction: number;
  badArchAction: number;
  rules: readonly ScmpRule[];
}

/** What core/seccomp.ts needs from libseccomp; tests substitute a recording fake. */
export interface SeccompLib {
  /** "2.5.4". */
  version: string;
  /** seccomp_arch_native(): the AUDIT_ARCH_* token of this machine. */
  nativeArch: number;
  /** seccomp_syscall_resolve_name(): the native number; -1 unknown; below -1 a name of another architecture only. */
  resolve(name: string): number;
  /** The filter as BPF bytes (struct sock_filter[]), and libseccomp's pseudo-code when asked. */
  compile(filter: ScmpFilter, opts?: { pfc?: boolean }): { bpf: Uint8Array; pfc?: string };
}

/** enum scmp_compare (seccomp.h). */
export const SCMP_CMP_MASKED_EQ = 7;
/** Actions (seccomp.h). */
export const SCMP_ACT_ALLOW = 0x7fff0000;
export const SCMP_ACT_KILL_PROCESS = 0x80000000;
export const scmpActErrno = (errno: number): number => (0x00050000 | (errno & 0xffff)) >>> 0;

/** enum scmp_filter_attr (seccomp.h). */
const SCMP_FLTATR_ACT_BADARCH = 2;
const SCMP_FLTATR_CTL_NNP = 3;
const SCMP_FLTATR_CTL_OPTIMIZE = 8;
/** SCMP_ARCH_NATIVE (seccomp.h): the architecture seccomp_init adds. */
const SCMP_ARCH_NATIVE = 0;
const MFD_CLOEXEC = 1;
const ARG_CMP_SIZE = 24; // u32 arg, u32 op, u64 datum_a, u64 datum_b

const LIBSECCOMP_SONAME = "libseccomp.so.2";

function openLibrary(soname: string) {
  return dlopen(soname, {
    seccomp_version: { args: [], returns: FFIType.ptr },
    seccomp_arch_native: { args: [], returns: FFIType.u32 },
    seccomp_init: { args: [FFIType.u32], returns: FFIType.ptr },
    seccomp_release: { args: [FFIType.ptr], returns: FFIType.void },
    seccomp_attr_set: { args: [FFIType.ptr, FFIType.i32, FFIType.u32], returns: FFIType.i32 },
    seccomp_syscall_resolve_name: { args: [FFIType.cstring], returns: FFIType.i32 },
    seccomp_syscall_resolve_name_arch: { args: [FFIType.u32, FFIType.cstring], returns: FFIType.i32 },
    seccomp_arch_add: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    seccomp_arch_remove: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    seccomp_rule_add_array: { args: [FFIType.ptr, FFIType.u32, FFIType.i32, FFIType.u32, FFIType.ptr], returns: FFIType.i32 },
    seccomp_export_bpf: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    seccomp_export_pfc: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

/** memfd_create alone: seccomp_export_* write to an fd, and a memfd needs no path or cleanup. */
function openMemfd() {
  return dlopen("libc.so.6", { memfd_create: { args: [FFIType.cstring, FFIType.u32], returns: FFIType.i32 } }).symbols;
}

const cstr = (s: string) => Buffer.from(`${s}\0`, "utf8");

/** libseccomp returns -errno (it does not set errno): turn that into a SysError. */
function check(rc: number, call: string, what: string): void {
  if (rc < 0) throw new SysError(call, -rc, errnoName(-rc), what);
}

/** struct scmp_arg_cmp[] in the machine's byte order (typed arrays use it). */
function argArray(args: readonly ScmpArgCmp[]): Uint8Array {
  const buf = new ArrayBuffer(args.length * ARG_CMP_SIZE);
  const u32 = new Uint32Array(buf);
  const u64 = new BigUint64Array(buf);
  args.forEach((a, i) => {
    u32[i * 6] = a.arg;
    u32[i * 6 + 1] = a.op;
    u64[i * 3 + 1] = a.datumA;
    u64[i * 3 + 2] = a.datumB;
  });
  return new Uint8Array(buf);
}

/**
 * Opens libseccomp; undefined when it is not installed (`plan` can do without it, `run` cannot).
 * `soname` is for tests only. `arch` (an AUDIT_ARCH_* token) builds filters for another machine
 * than this one: a release build compiles the arm64 binary's default filter on an x86-64 host.
 */
export function openLibseccomp(soname: string = LIBSECCOMP_SONAME, arch?: number): SeccompLib | undefined {
  let lib: ReturnType<typeof openLibrary>;
  try {
    lib = openLibrary(soname);
  } catch {
    return undefined;
  }
  const v = lib.seccomp_version() as Pointer;
  const version = `${read.u32(v, 0)}.${read.u32(v, 4)}.${read.u32(v, 8)}`;
  const libc = openMemfd();

  /** Runs one seccomp_export_* into a memfd and returns what it wrote. */
  function exportTo(ctx: Pointer, how: "seccomp_export_bpf" | "seccomp_export_pfc"): Uint8Array {
    const fd = libc.memfd_create(cstr(`nsbox-${how}`), MFD_CLOEXEC);
    if (fd < 0) throw new NsboxError(`seccomp: memfd_create failed for ${how}`);
    try {
      check(lib[how](ctx, fd), how, "the filter");
      const out = new Uint8Array(fstatSync(fd).size);
      let off = 0;
      while (off < out.length) {
        const n = readSync(fd, out, off, out.length - off, off);
        if (n <= 0) break;
        off += n;
      }
      return out.subarray(0, off);
    } finally {
      closeSync(fd);
    }
  }

  return {
    version,
    nativeArch: arch ?? lib.seccomp_arch_native(),
    resolve: (name) => {
      const native = lib.seccomp_syscall_resolve_name(cstr(name));
      if (arch === undefined || native === -1) return native;
      // Rules take the host's numbers and libseccomp translates them for the filter's own
      // architecture (arch_syscall_translate), so the answer stays the host's number; it is
      // "none here" (below -1) only when the target has no such syscall.
      const target = lib.seccomp_syscall_resolve_name_arch(arch, cstr(name));
      if (target < 0) return -2;
      if (native < 0) throw new NsboxError(`seccomp: '${name}' exists on the target architecture but not on this host, so its rule cannot be built here`);
      return native;
    },
    compile(filter, opts = {}) {
      // seccomp_init adds the native architecture only (swapped for `arch` below): calls through
      // another ABI (i386 via int 0x80, x32 numbers on x86-64) get badArchAction.
      const ctx = lib.seccomp_init(filter.defaultAction >>> 0) as Pointer | null;
      if (!ctx) throw new NsboxError("seccomp: seccomp_init failed (out of memory?)");
      try {
        if (arch !== undefined && arch !== lib.seccomp_arch_native()) {
          check(lib.seccomp_arch_add(ctx, arch), "seccomp_arch_add", `architecture 0x${arch.toString(16)}`);
          check(lib.seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE), "seccomp_arch_remove", "the native architecture");
        }
        check(lib.seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, filter.badArchAction >>> 0), "seccomp_attr_set", "bad-arch action");
        // The stage sets no_new_privs itself, after the capabilities are dropped.
        check(lib.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0), "seccomp_attr_set", "no_new_privs");
        // A binary tree by syscall number (libseccomp >= 2.5): a few jumps per call instead
        // of one compare per rule, for the calls the kernel's per-syscall cache cannot skip.
        check(lib.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2), "seccomp_attr_set", "optimize");
        for (const rule of filter.rules) {
          const arr = rule.args.length ? argArray(rule.args) : null;
          check(
            lib.seccomp_rule_add_array(ctx, rule.action >>> 0, rule.syscall, rule.args.length, arr ? ptr(arr) : null),
            "seccomp_rule_add_array",
            rule.name,
          );
        }
        const bpf = exportTo(ctx, "seccomp_export_bpf");
        const pfc = opts.pfc ? new TextDecoder().decode(exportTo(ctx, "seccomp_export_pfc")) : undefined;
        return { bpf, pfc };
      } finally {
        lib.seccomp_release(ctx);
      }
    },
  };
}
