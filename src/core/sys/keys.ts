// Kernel keys (keyrings(7)) for `nsbox selftest`: a key with a secret payload in nsbox's own
// session keyring, which a sandbox must not be able to read. add_key and keyctl have no glibc
// wrapper, so they go through syscall(2) with this architecture's numbers.
import { dlopen, FFIType, ptr } from "bun:ffi";
import { failWithErrno as fail } from "./last-errno.ts";
import { SysError } from "../../base/errors.ts";

/** asm/unistd.h: add_key and keyctl on the architectures nsbox supports. */
const NUMBERS: Record<string, { addKey: number; keyctl: number }> = {
  x64: { addKey: 248, keyctl: 250 },
  arm64: { addKey: 217, keyctl: 219 },
};
const KEY_SPEC_SESSION_KEYRING = -3;
const KEYCTL_INVALIDATE = 21;

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    syscall: { args: [FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64, FFIType.i64], returns: FFIType.i64 },
  }).symbols;
}

function libc() {
  return (lib ??= openLibc());
}

function numbers() {
  const n = NUMBERS[process.arch];
  if (!n) throw new SysError("add_key", 38, "ENOSYS", `no syscall numbers for ${process.arch}`);
  return n;
}


/** add_key(2) of a `user` key into this process's session keyring; returns its serial. */
export function addSessionKey(description: string, payload: string): number {
  const type = Buffer.from("user\0");
  const desc = Buffer.from(`${description}\0`);
  const data = Buffer.from(payload);
  const id = Number(libc().syscall(numbers().addKey, ptr(type), ptr(desc), ptr(data), data.length, KEY_SPEC_SESSION_KEYRING));
  if (id < 0) fail("add_key", description);
  return id;
}

/** keyctl(KEYCTL_INVALIDATE): the key is gone for everyone at once (garbage-collected later). */
export function invalidateKey(id: number): void {
  if (Number(libc().syscall(numbers().keyctl, KEYCTL_INVALIDATE, id, 0, 0, 0)) < 0) fail("keyctl(KEYCTL_INVALIDATE)", `key ${id}`);
}
