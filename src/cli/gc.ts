// `nsbox gc [--dry-run]`: remove what killed runs left behind (core/gc.ts), one line each.
import type { CAC } from "cac";
import { collectGarbage } from "../core/gc.ts";
import { EXIT, NsboxError } from "../base/errors.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./io.ts";

export function registerGc(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("gc", "Remove what killed runs left behind (records, namespaces, cgroups, veths, nft tables), stamps of state directories that are gone and plan-cache entries that can no longer be used; put back zone firewall tables a flushed ruleset lost; only what nsbox recorded, never data")
    .option("--dry-run", "only list what would be removed")
    .action((options: { dryRun?: unknown } & Record<string, unknown>) => {
      applyLogOptions(options);
      const dry = Boolean(options.dryRun);
      const result = collectGarbage(dry);
      io.stdout(
        [...result.removed.map((w) => `${dry ? "would remove" : "removed"} ${w}\n`), ...result.restored.map((w) => `${dry ? "would restore" : "restored"} ${w}\n`)].join(""),
      );
      if (result.failed.length > 0) {
        throw new NsboxError(`could not remove ${result.failed.map((f) => `${f.what} (${f.error})`).join("; ")}`, EXIT.failed);
      }
    });
  addLogOptions(cmd);
}
