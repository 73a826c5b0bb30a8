// `nsbox ps [--json]`: the sandboxes running now, from their records (checked against the live
// process: a record whose pid is gone or reused is not listed; `nsbox gc` removes it).
import type { CAC } from "cac";
import { runningRecords, type SandboxRecord } from "../core/sandbox-record.ts";
import { NS_KINDS } from "../model/schema.ts";
import { formatRange, idRangeOf, type IdRangeSummary } from "../model/explain.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./index.ts";
import { alignColumns } from "./columns.ts";

export interface PsEntry {
  name: string;
  pid: number;
  uptimeSeconds: number;
  namespaces: string[];
  /** The host ids its own ids stand for; null without a user namespace of its own. */
  range: IdRangeSummary | null;
  command: string[];
}

export function psEntries(records: readonly SandboxRecord[], now = Date.now()): PsEntry[] {
  return records
    .map((r) => ({
      name: r.name,
      pid: r.pid,
      uptimeSeconds: Math.max(0, Math.round((now - Date.parse(r.createdAt)) / 1000)),
      namespaces: NS_KINDS.filter((k) => r.spec.namespaces[k].mode !== "host"),
      range: idRangeOf(r.spec),
      command: r.spec.process.argv,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function formatUptime(s: number): string {
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

export function formatPs(entries: readonly PsEntry[]): string {
  return alignColumns([
    ["NAME", "PID", "UPTIME", "NAMESPACES", "HOST UIDS", "COMMAND"],
    ...entries.map((e) => [e.name, String(e.pid), formatUptime(e.uptimeSeconds), e.namespaces.join(","), e.range ? formatRange(e.range.uid) : "host", e.command.join(" ")]),
  ]);
}

export function registerPs(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("ps", "List running sandboxes")
    .option("--json", "print an array of objects")
    .action((options: { json?: unknown } & Record<string, unknown>) => {
      applyLogOptions(options);
      const entries = psEntries(runningRecords());
      io.stdout(options.json ? `${JSON.stringify(entries, null, 2)}\n` : formatPs(entries));
    });
  addLogOptions(cmd);
}
