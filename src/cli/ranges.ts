// `nsbox ranges [--json]` and `nsbox ranges rm NAME [--reown-root]`: the stable id ranges named
// sandboxes were given (core/id-ranges.ts), and giving one back once its name is retired.
import type { CAC } from "cac";
import { UsageError } from "../base/errors.ts";
import { listRanges, releaseRange, type RangeRecord } from "../core/range-records.ts";
import { formatRange } from "../model/explain.ts";
import { alignColumns } from "./columns.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./io.ts";
import { checkName } from "./names.ts";

const USAGE = "nsbox ranges [--json] | nsbox ranges rm NAME [--reown-root]";

export function formatRanges(records: readonly RangeRecord[]): string {
  return alignColumns([
    ["NAME", "HOST UIDS", "HOST GIDS", "RUNNING", "STATE DIRECTORIES"],
    ...records.map((r) => [r.name, formatRange(r.uid), formatRange(r.gid), r.runningPid === null ? "-" : `pid ${r.runningPid}`, r.stateDirs.join(",") || "-"]),
  ]);
}

export function registerRanges(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("ranges [action] [name]", "List the id ranges given to named sandboxes, or give one back (rm NAME)")
    .usage(USAGE.replace(/^nsbox /, ""))
    .option("--json", "print an array of objects")
    .option("--reown-root", "rm: first give the range's state directories to root (their data stays)")
    .example("  nsbox ranges")
    .example("  nsbox ranges rm old-web --reown-root")
    .action((action: string | undefined, name: string | undefined, options: { json?: unknown; reownRoot?: unknown } & Record<string, unknown>) => {
      applyLogOptions(options);
      if (action === undefined || action === "ls") {
        if (name !== undefined) throw new UsageError(`unexpected '${name}'`, `usage: ${USAGE}`);
        const records = listRanges(io.context());
        io.stdout(options.json ? `${JSON.stringify(records, null, 2)}\n` : formatRanges(records));
        return;
      }
      if (action !== "rm") throw new UsageError(`unknown ranges action '${action}'`, `usage: ${USAGE}`);
      if (name === undefined) throw new UsageError("ranges rm needs the NAME whose range to give back", `usage: ${USAGE}`);
      const { reowned } = releaseRange(checkName(name, "ranges rm"), io.context(), Boolean(options.reownRoot));
      for (const d of reowned) io.stdout(`${d}: given to root\n`);
      io.stdout(`${name}: range released\n`);
    });
  addLogOptions(cmd);
}
