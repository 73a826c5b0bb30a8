// `nsbox gc [--dry-run] [--only KINDS] [--pid PID]`: remove what killed runs left behind
// (core/gc.ts), one line each; --only and --pid narrow it to some kinds, or to one run's leftovers.
import type { CAC } from "cac";
import { COLLECTORS, collectGarbage, type GcFilter } from "../core/gc.ts";
import { EXIT, NsboxError, UsageError } from "../base/errors.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./io.ts";

const KINDS = COLLECTORS.map((c) => c.key);

/** --only and --pid as given (cac gives a number, a string, or an array when repeated). */
export function parseGcFilter(options: { only?: unknown; pid?: unknown }): GcFilter {
  const filter: GcFilter = {};
  if (options.only !== undefined) {
    const only = [options.only].flat().flatMap((v) => String(v).split(",")).map((k) => k.trim());
    const unknown = only.filter((k) => !KINDS.includes(k));
    if (unknown.length > 0 || only.length === 0) throw new UsageError(`--only: unknown kind '${unknown[0] ?? ""}'`, `kinds: ${KINDS.join(", ")}`);
    filter.only = only;
  }
  if (options.pid !== undefined) {
    const pid = Number(options.pid);
    if (typeof options.pid === "boolean" || !Number.isInteger(pid) || pid <= 0) throw new UsageError(`--pid: '${String(options.pid)}' is not a pid`, "nsbox gc --dry-run names each leftover's pid");
    filter.pid = pid;
  }
  return filter;
}

export function registerGc(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("gc", "Remove what killed runs left behind (records, namespaces, cgroups, veths, nft tables), stamps of state directories that are gone and plan-cache entries that can no longer be used; put back zone firewall tables a flushed ruleset lost; only what nsbox recorded, never data")
    .option("--dry-run", "only list what would be removed")
    .option("--only <kinds>", `only these kinds, comma-separated: ${KINDS.join(", ")}`)
    .option("--pid <pid>", "only what the run with this pid left (its records, cgroups and network); kinds that name no run are skipped")
    .example("  nsbox gc --dry-run")
    .example("  nsbox gc --only zone-firewall")
    .example("  nsbox gc --pid 4242")
    .action((options: { dryRun?: unknown; only?: unknown; pid?: unknown } & Record<string, unknown>) => {
      applyLogOptions(options);
      const dry = Boolean(options.dryRun);
      const result = collectGarbage(dry, COLLECTORS, parseGcFilter(options));
      io.stdout(
        [...result.removed.map((w) => `${dry ? "would remove" : "removed"} ${w}\n`), ...result.restored.map((w) => `${dry ? "would restore" : "restored"} ${w}\n`)].join(""),
      );
      if (result.failed.length > 0) {
        throw new NsboxError(`could not remove ${result.failed.map((f) => `${f.what} (${f.error})`).join("; ")}`, EXIT.failed);
      }
    });
  addLogOptions(cmd);
}
