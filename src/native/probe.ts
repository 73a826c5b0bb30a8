// The driver of the selftest probe program: the static binary embedded in this one (built from
// probe/ by scripts/build.ts, like the stage), made executable from a sealed memfd so that the
// sandbox can run it without anything of it on disk and can never change it.
import { readFileSync } from "node:fs";
import probePath from "../../dist/nsbox-probe" with { type: "file" };
import { NsboxError, SysError } from "../base/errors.ts";
import type { Sys } from "../core/sys/sys.ts";

export function probeBytes(): Uint8Array {
  return readFileSync(probePath);
}

/**
 * A sealed, executable memfd holding the probe; close-on-exec, so only the processes it is
 * handed to (mapped into their fd table) get it. Refused where memfds cannot be executed.
 */
export function probeMemfd(sys: Sys): number {
  try {
    return sys.sealedMemfd("nsbox-probe", probeBytes(), { exec: true, cloexec: true });
  } catch (e) {
    if (e instanceof SysError && (e.errnoName === "EACCES" || e.errnoName === "EPERM")) {
      throw new NsboxError("selftest needs an executable memfd for its probe, and this host refuses them", 125, "vm.memfd_noexec is 2 here; set it to 0 or 1 to run nsbox selftest");
    }
    throw e;
  }
}
