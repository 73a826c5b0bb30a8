// THE main flow of `nsbox run`: prepare what the host side must prepare, hand the normalised
// spec to the native stage on an fd, and execve() into it. The caller (shell, cron, systemd) keeps
// this pid, gets the payload's exit status, and its signals reach the stage's supervisor directly.
import { encodeWire } from "../native/wire.ts";
import { stageExecutable } from "../native/stage.ts";
import type { NormalSpec } from "../spec/normalize.ts";
import { UsageError } from "./errors.ts";
import { logger } from "./log.ts";
import { ffiSys } from "./sys/ffi.ts";
import type { Sys } from "./sys/sys.ts";

const log = logger("run");

export function execute(spec: NormalSpec, sys: Sys = ffiSys): never {
  // 1. Declared fds must reach the payload: Bun marked them close-on-exec at start-up.
  for (const fd of spec.process.keepFds) {
    if (!sys.isOpen(fd)) throw new UsageError(`--keep-fd ${fd}: fd ${fd} is not open in nsbox`);
    sys.keepAcrossExec(fd);
  }
  // 2. The whole sandbox, as wire bytes in a sealed memfd the stage reads and closes.
  const specFd = sys.sealedMemfd("nsbox-spec", encodeWire(spec), { exec: false, cloexec: false });
  // 3. The stage from a place nobody can write; then Bun is gone (48 KB instead of ~27 MB resident).
  const stage = stageExecutable(sys, process.getuid!(), process.env);
  log.debug(`exec ${stage} with the spec on fd ${specFd}`);
  sys.execve(stage, ["nsbox", "--spec-fd", String(specFd)], []);
}
