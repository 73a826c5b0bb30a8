// `nsbox stop NAME [--signal S] [--timeout T]`: ask a sandbox to end (TERM by default, sent to
// its supervisor, which forwards it to the payload), then KILL it after T seconds.
import type { CAC } from "cac";
import { constants } from "node:os";
import { EXIT, NsboxError, UsageError } from "../base/errors.ts";
import { findByName, isRunning, recordFiles, removeRecord } from "../core/sandbox-record.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import { pidfdClose, pidfdOpen, pidfdSignal } from "../core/sys/pidfd.ts";
import type { CliIo } from "./io.ts";
import { checkName } from "./names.ts";

const USAGE = "nsbox stop NAME [--signal SIGNAL] [--timeout SECONDS]";

function parseSignal(value: unknown): NodeJS.Signals {
  const raw = String(value ?? "TERM").toUpperCase();
  const name = (raw.startsWith("SIG") ? raw : `SIG${raw}`) as NodeJS.Signals;
  if (!(name in constants.signals)) throw new UsageError(`--signal: unknown signal '${String(value)}'`, "e.g. TERM, INT, HUP, KILL");
  return name;
}

function parseTimeout(value: unknown): number {
  const t = value === undefined ? 10 : Number(value);
  if (!Number.isFinite(t) || t < 0 || t > 86400) throw new UsageError(`--timeout: '${String(value)}' is not a number of seconds from 0 to 86400`);
  return t;
}

export async function stopSandbox(name: string, signal: NodeJS.Signals, timeout: number): Promise<"stopped" | "killed"> {
  const record = findByName(name);
  if (!record) throw new NsboxError(`no running sandbox named ${name}`, EXIT.failed, "see nsbox ps");
  // Signals go through a pidfd opened while the record still matched: never to a reused pid.
  const pidfd = pidfdOpen(record.pid);
  try {
    if (!isRunning(record)) return "stopped";
    pidfdSignal(pidfd, signal);
    const deadline = Date.now() + timeout * 1000;
    while (Date.now() < deadline) {
      if (!isRunning(record)) return "stopped";
      await Bun.sleep(20);
    }
    if (isRunning(record)) pidfdSignal(pidfd, "SIGKILL");
    // A killed supervisor cannot remove its record (and its init dies by its parent-death signal).
    while (isRunning(record)) await Bun.sleep(10);
    removeRecord(recordFiles(record.name, record.pid));
    return "killed";
  } finally {
    pidfdClose(pidfd);
  }
}

export function registerStop(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("stop [name]", "Stop a running sandbox: SIGTERM, then SIGKILL after the timeout")
    .usage(USAGE.replace(/^nsbox /, ""))
    .option("--signal <signal>", "the first signal (default TERM)")
    .option("--timeout <seconds>", "seconds before SIGKILL (default 10)")
    .action(async (name: string | undefined, options: Record<string, unknown>) => {
      applyLogOptions(options);
      if (!name) throw new UsageError("stop needs the NAME of a sandbox", `usage: ${USAGE}`);
      const how = await stopSandbox(checkName(name, "stop"), parseSignal(options.signal), parseTimeout(options.timeout));
      if (how === "killed") io.stdout(`${name}: did not stop in time, killed\n`);
    });
  addLogOptions(cmd);
}
