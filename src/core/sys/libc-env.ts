// setenv(3) on the C environment. Bun's runtime reads some settings from it with getenv(3) when
// it first needs them; assigning to process.env does not reach it. Used once, by plugin loading.
import { dlopen, FFIType } from "bun:ffi";
import { SysError } from "../../base/errors.ts";
import { errnoName } from "../../base/errno.ts";

export function setLibcEnv(name: string, value: string): void {
  const { symbols } = dlopen("libc.so.6", { setenv: { args: [FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 } });
  if (symbols.setenv(Buffer.from(`${name}\0`), Buffer.from(`${value}\0`), 1) !== 0) {
    // setenv fails only with EINVAL (a bad name) or ENOMEM.
    throw new SysError("setenv", 22, errnoName(22), name);
  }
}
