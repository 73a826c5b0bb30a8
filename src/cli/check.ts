// `nsbox check [--json]`: can this host run nsbox, and what will it get? One line per item
// (`ok|warn|fail  item: finding — fix: how`). Exits 125 when any item failed, as nsbox itself
// cannot work there (DESIGN.md §4), and 0 when everything is ok or only warned.
import type { CAC } from "cac";
import { EXIT, NsboxError } from "../base/errors.ts";
import { checkHost, type CheckResult } from "../core/host-check.ts";
import { hostFacts, type HostFacts } from "../core/host-facts.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./io.ts";

export const CHECK_USAGE = "nsbox check [--json]";

/** One line per result; the status padded so the items line up. */
export function formatCheckResults(results: readonly CheckResult[]): string {
  return results.map((r) => `${r.status.padEnd(4)}  ${r.item}: ${r.finding}${r.fix ? ` — fix: ${r.fix}` : ""}\n`).join("");
}

/** Prints the results through io, then throws an NsboxError (exit 125) when an item failed. */
export function checkCommand(options: { json?: unknown }, facts: HostFacts, io: CliIo): void {
  const results = checkHost(facts);
  io.stdout(options.json ? `${JSON.stringify(results, null, 2)}\n` : formatCheckResults(results));
  const failed = results.filter((r) => r.status === "fail");
  if (failed.length > 0) throw new NsboxError(`this host cannot run nsbox: ${failed.map((r) => r.item).join(", ")} failed`, EXIT.failed, "see the fix on each failed line");
}

/** Adds `check` to the CLI; `facts` is the real host unless a test passes fakes. */
export function registerCheck(cli: CAC, io: CliIo, deps: { facts?: HostFacts } = {}): void {
  const cmd = cli
    .command("check", "Check whether this host can run nsbox and what it will get (no root needed, changes nothing)")
    .usage(CHECK_USAGE.replace(/^nsbox /, ""))
    .option("--json", "print an array of {item, status, finding, fix?}")
    .example("  nsbox check")
    .example("  nsbox check --json | jq '.[] | select(.status != \"ok\")'")
    .action((options: { json?: unknown } & Record<string, unknown>) => {
      applyLogOptions(options);
      checkCommand(options, deps.facts ?? hostFacts, io);
    });
  addLogOptions(cmd);
}
