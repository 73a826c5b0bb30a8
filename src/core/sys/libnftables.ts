// The libnftables binding (libnftables.so.1 from Debian's libnftables1) over bun:ffi: run one
// batch of nft commands with output and errors captured (libnftables(3)). A batch is atomic: the
// kernel applies all of it or none. Callers validate every value first (core/net/nft.ts).
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import { NsboxError } from "../../base/errors.ts";

const SONAME = "libnftables.so.1";
const NFT_CTX_DEFAULT = 0;
/** libnftables.h: enum nft_ctx_output_flags. */
const NFT_CTX_OUTPUT_JSON = 1 << 4;
/** libnftables.h (1.0.7+): never resolve names to addresses. 1.0.6 lacks it: validate instead. */
const NFT_CTX_INPUT_NO_DNS = 1 << 0;

export interface NftResult {
  ok: boolean;
  /** What the commands printed (a listing; JSON when asked). */
  output: string;
  /** libnftables' error text: `Error: …` lines with the offending command and carets. */
  error: string;
}

/** What core/net/nft.ts needs; unit tests substitute a recording fake. */
export interface Libnftables {
  /** Runs `commands` as one batch in a fresh context (so nothing is cached between batches). */
  run(commands: string, opts?: { json?: boolean }): NftResult;
}

function openLibrary(soname: string) {
  return dlopen(soname, {
    nft_ctx_new: { args: [FFIType.u32], returns: FFIType.ptr },
    nft_ctx_free: { args: [FFIType.ptr], returns: FFIType.void },
    nft_ctx_buffer_output: { args: [FFIType.ptr], returns: FFIType.i32 },
    nft_ctx_buffer_error: { args: [FFIType.ptr], returns: FFIType.i32 },
    nft_ctx_output_get_flags: { args: [FFIType.ptr], returns: FFIType.u32 },
    nft_ctx_output_set_flags: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.void },
    nft_run_cmd_from_buffer: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    nft_ctx_get_output_buffer: { args: [FFIType.ptr], returns: FFIType.cstring },
    nft_ctx_get_error_buffer: { args: [FFIType.ptr], returns: FFIType.cstring },
  }).symbols;
}

/** nft_ctx_input_set_flags exists from 1.0.7 on; where it does, turn name resolution off too. */
function openNoDns(soname: string) {
  try {
    return dlopen(soname, { nft_ctx_input_set_flags: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.u32 } }).symbols;
  } catch {
    return undefined;
  }
}

/**
 * Opens libnftables, or throws an NsboxError naming the Debian package when it is not there.
 * `soname` is for tests only.
 */
export function openLibnftables(soname: string = SONAME): Libnftables {
  let lib: ReturnType<typeof openLibrary>;
  try {
    lib = openLibrary(soname);
  } catch (e) {
    throw new NsboxError(
      `cannot load ${soname}: zone networking (firewall, NAT) needs libnftables`,
      125,
      "install it: apt-get install libnftables1 (Debian/Ubuntu), dnf install nftables (Fedora)",
      { cause: e },
    );
  }
  const noDns = openNoDns(soname);
  return {
    run(commands, opts = {}) {
      const ctx = lib.nft_ctx_new(NFT_CTX_DEFAULT) as Pointer | null;
      if (!ctx) throw new NsboxError("nft_ctx_new failed (out of memory?)");
      try {
        // Buffered: output and errors come back as strings instead of going to our stdout/stderr.
        lib.nft_ctx_buffer_output(ctx);
        lib.nft_ctx_buffer_error(ctx);
        if (noDns) noDns.nft_ctx_input_set_flags(ctx, NFT_CTX_INPUT_NO_DNS);
        if (opts.json) lib.nft_ctx_output_set_flags(ctx, lib.nft_ctx_output_get_flags(ctx) | NFT_CTX_OUTPUT_JSON);
        const buf = Buffer.from(`${commands}\0`, "utf8");
        const rc = lib.nft_run_cmd_from_buffer(ctx, ptr(buf));
        return { ok: rc === 0, output: String(lib.nft_ctx_get_output_buffer(ctx)), error: String(lib.nft_ctx_get_error_buffer(ctx)) };
      } finally {
        lib.nft_ctx_free(ctx);
      }
    },
  };
}
