// `nsbox exec NAME|--pid PID [--ns LIST] -- COMMAND [ARG...]`: run a command inside a running
// sandbox under all of its restrictions (core/exec-into.ts); the exit status is the command's.
import type { CAC } from "cac";
import { execute } from "../core/execute.ts";
import { EXIT, NsboxError, UsageError } from "../base/errors.ts";
import { planExec } from "../core/exec-into.ts";
import { findByName, findByPid } from "../core/sandbox-record.ts";
import { NS_KINDS, type NsKind } from "../model/schema.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./io.ts";
import { checkName } from "./names.ts";

const USAGE = "nsbox exec NAME|--pid PID [--ns LIST] -- COMMAND [ARG...]";

function parseNs(value: unknown): NsKind[] | undefined {
  if (value === undefined) return undefined;
  const kinds = String(value).split(",").map((k) => k.trim());
  for (const k of kinds) {
    if (!(NS_KINDS as readonly string[]).includes(k)) throw new UsageError(`--ns: unknown namespace kind '${k}'`, `use some of ${NS_KINDS.join(",")}`);
  }
  return kinds as NsKind[];
}

function findTarget(name: string | undefined, pid: unknown) {
  if ((name === undefined) === (pid === undefined)) throw new UsageError("exec needs either a NAME or --pid PID", `usage: ${USAGE}`);
  if (name !== undefined) {
    const r = findByName(checkName(name, "exec"));
    if (!r) throw new NsboxError(`no running sandbox named ${name}`, EXIT.failed, "see nsbox ps");
    return r;
  }
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--pid: '${String(pid)}' is not a pid`);
  const r = findByPid(n);
  if (!r) throw new NsboxError(`pid ${n} is not a running nsbox sandbox`, EXIT.failed, "give the pid nsbox ps shows");
  return r;
}

export function registerExec(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("exec [name]", "Run a command inside a running sandbox, under all of its restrictions (one still starting is waited for, a few seconds at most)")
    .usage(USAGE.replace(/^nsbox /, ""))
    .option("--pid <pid>", "the sandbox's pid (as nsbox ps shows) instead of its name")
    .option("--ns <list>", "join only these of its namespaces (user and mnt are always needed)")
    .example("  nsbox exec web -- ps -ef")
    .example("  nsbox exec --pid 4242 -- sh")
    .action((name: string | undefined, options: Record<string, unknown> & { "--"?: string[] }) => {
      applyLogOptions(options);
      const argv = options["--"] ?? [];
      if (argv.length === 0) throw new UsageError("exec needs a command after --", `usage: ${USAGE}`);
      const record = findTarget(name, options.pid);
      const plan = planExec(record, argv, parseNs(options.ns), io.context());
      return execute(plan.spec, { host: { nsFds: plan.nsFds, cgroups: plan.cgroups }, record: false });
    });
  addLogOptions(cmd);
}
