// HostFacts: the read-only view of the host that the inspection commands (`check`, `ns ls`) work
// from. The probes take it as a parameter, so unit tests feed fake facts and never need root or
// a particular kernel. Every read answers `undefined` instead of throwing: a file that vanished
// (a process that exited mid-scan) or that this user may not read is a finding, not a crash.
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { machine, release } from "node:os";

export interface HostFacts {
  /** A file's text, or undefined when it is missing or unreadable. */
  readFile(path: string): string | undefined;
  /** A file's bytes (for /proc/config.gz), or undefined when it is missing or unreadable. */
  readBytes(path: string): Uint8Array | undefined;
  /** A symlink's target (`net:[4026531840]` for /proc/PID/ns/net), or undefined. */
  readlink(path: string): string | undefined;
  /** The names in a directory, or undefined when it cannot be listed. */
  listDir(path: string): string[] | undefined;
  /** True when the path exists (symlinks followed). */
  exists(path: string): boolean;
  /** The owning uid of a file or directory, or undefined when it cannot be stat'ed. */
  ownerOf(path: string): number | undefined;
  /** uname(2): the kernel release ("6.18.44-...") and machine ("x86_64"). */
  uname(): { release: string; machine: string };
  /** The real uid nsbox runs as. */
  uid(): number;
}

function quietly<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The real host, read through node:fs; no bun:ffi (that stays in core/sys). */
export const hostFacts: HostFacts = {
  readFile: (path) => quietly(() => readFileSync(path, "utf8")),
  readBytes: (path) => quietly(() => new Uint8Array(readFileSync(path))),
  readlink: (path) => quietly(() => readlinkSync(path)),
  listDir: (path) => quietly(() => readdirSync(path)),
  exists: (path) => existsSync(path),
  ownerOf: (path) => quietly(() => statSync(path).uid),
  uname: () => ({ release: release(), machine: machine() }),
  uid: () => process.getuid!(),
};
