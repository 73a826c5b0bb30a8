// The host's half of --log: the log's directory, opened before the stage runs from / one
// component at a time without following any symlink (created if missing, like a state
// directory's parents). The stage's supervisor then makes and rotates the file in it through that
// fd alone (src/native/stage/log-file.c), never by a path the sandbox could redirect.
import { basename, dirname } from "node:path";
import type { HostWire } from "../native/wire.ts";
import type { OutputLog } from "../model/schema.ts";
import { generationBytes } from "../model/output-log.ts";
import { openStateDir } from "./state-directories.ts";
import { closeFd } from "./sys/fs-at.ts";

export interface OpenedLog {
  /** The wire's `log DIR NAME MAX` record. */
  wire: NonNullable<HostWire["log"]>;
  close(): void;
}

export function openOutputLog(log: OutputLog): OpenedLog {
  const dir = openStateDir(dirname(log.path), undefined, "--log");
  return {
    wire: { dir, name: basename(log.path), max: generationBytes(log.maxBytes) },
    close: () => closeFd(dir),
  };
}
