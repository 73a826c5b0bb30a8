// The command table (crun's commands[]): cac routes, prints help and the version; each command
// lives in its own file and ends in one call into spec/ or core/. runCli returns the exit code.
import { cac, type CAC } from "cac";
import { EXIT, UsageError } from "../base/errors.ts";
import { isHelpRequest } from "../base/argv.ts";
import type { CliIo } from "./io.ts";

export type { CliIo };
import { VERSION } from "./version.ts";
import { readPlanContext } from "./context.ts";
import { PLAN_FLAGS, PLAN_USAGE, planCommand } from "./plan.ts";
import { RUN_USAGE, runCommand } from "./run.ts";
import { PROFILE_FLAG } from "./sandbox-command.ts";
import { SANDBOX_OPTIONS } from "./sandbox-options.ts";
import { LOG_FLAGS } from "./log-flags.ts";
import { registerCheck } from "./check.ts";
import { registerNs } from "./ns.ts";
import { registerPs } from "./ps.ts";
import { registerStop } from "./stop.ts";
import { registerRanges } from "./ranges.ts";
import { registerExec } from "./exec.ts";
import { registerGc } from "./gc.ts";
import { SELFTEST_FLAGS, SELFTEST_USAGE, selftestCommand } from "./selftest.ts";
import { EXPLAIN_FLAGS, EXPLAIN_USAGE, explainCommand } from "./explain.ts";
import { registerPlugin } from "./plugin.ts";
import { registerStage } from "./stage.ts";
import { runPluginCommand } from "./plugin-command.ts";
import { PLUGIN_FLAGS } from "./plugin-args.ts";
import type { ExtraFlag } from "./parse-args.ts";
import { EXPORT_FLAGS, EXPORT_USAGE, exportCommand } from "./export.ts";
import { registerCompletion } from "./completion.ts";

export { VERSION };

const defaultIo: CliIo = {
  stdout: (data) => void process.stdout.write(data),
  context: readPlanContext,
};

function optionName(name: string, args: readonly string[]): string {
  return `--${name}${args.map((a) => ` <${a}>`).join("")}`;
}

function addSandboxOptions(cmd: ReturnType<CAC["command"]>, extras: readonly ExtraFlag[]): void {
  for (const o of SANDBOX_OPTIONS) cmd.option(optionName(o.name, o.args), o.help);
  for (const f of [PROFILE_FLAG, ...extras]) cmd.option(optionName(f.name, f.args), f.help);
}

/** Everything after the command word, untouched (cac's parse is only used to route and for help). */
function argsAfter(cli: CAC, command: string): string[] {
  const raw = cli.rawArgs;
  return raw.slice(raw.indexOf(command, 2) + 1);
}

export function createCli(io: CliIo = defaultIo): CAC {
  const cli = cac("nsbox");
  const run = cli
    .command("run [...command]", "Run a command in a sandbox (strict by default)")
    .usage(RUN_USAGE.replace(/^nsbox /, ""))
    .allowUnknownOptions()
    .example("  nsbox run -- id                        # root inside, an unprivileged uid outside")
    .example("  nsbox run --bind /srv/data /srv/data -- sh -c 'echo hi > /srv/data/x'")
    .example("  nsbox run --name web --memory 256M --pids 64 -- ./serve   # then: nsbox ps, nsbox exec web -- sh")
    .example("  nsbox run --ro-bind /srv/www /srv/www -- ./serve   # the default root shows the host's OS (/usr /etc /bin /lib*), no data: add paths")
    .example("  nsbox run --root host -- ls /home                 # the whole host root read-only, as before")
    .example("  nsbox run --ro-bind /etc/app /etc/app --hostname web --net none -- /usr/bin/app")
    .example("  nsbox run --profile web.toml --setenv MODE prod -- ./serve")
    .action(() => runCommand(argsAfter(cli, "run"), io.context(), io));
  addSandboxOptions(run, [...LOG_FLAGS, ...PLUGIN_FLAGS]);
  const plan = cli
    .command("plan [...command]", "Print the sandbox `run` would build, one line per step (no root, no side effects)")
    .usage(PLAN_USAGE.replace(/^nsbox /, ""))
    .allowUnknownOptions()
    .example("  nsbox plan -- true")
    .example("  nsbox plan --json --share net -- curl example.org")
    .action(async () => io.stdout(await planCommand(argsAfter(cli, "plan"), io.context(), io)));
  addSandboxOptions(plan, [...PLAN_FLAGS, ...PLUGIN_FLAGS]);
  const selftest = cli
    .command("selftest", "Probe the sandbox `run` would build from inside and outside: CONTAINED or EXPOSED per probe (exit 1 if any got out)")
    .usage(SELFTEST_USAGE.replace(/^nsbox /, ""))
    .allowUnknownOptions()
    .example("  nsbox selftest")
    .example("  nsbox selftest --share net,pid --json")
    .action(() => selftestCommand(argsAfter(cli, "selftest"), io));
  addSandboxOptions(selftest, SELFTEST_FLAGS);
  const explain = cli
    .command("explain [...args]", "Explain the isolation `run` would give, or compare a running sandbox with its spec (exit 1 on drift)")
    .usage(EXPLAIN_USAGE.replace(/^nsbox /, ""))
    .allowUnknownOptions()
    .example("  nsbox explain --share net -- curl example.org")
    .example("  nsbox explain web --json")
    .action(() => explainCommand(argsAfter(cli, "explain"), io));
  addSandboxOptions(explain, EXPLAIN_FLAGS);
  const exporter = cli
    .command("export <target> [...args]", "Write the sandbox `run` would build as a systemd unit (systemd) or an OCI runtime bundle (oci)")
    .usage(EXPORT_USAGE.replace(/^nsbox /, ""))
    .allowUnknownOptions()
    .example("  nsbox export systemd --memory 256M -- /usr/bin/app > /etc/systemd/system/app.service")
    .example("  nsbox export systemd --via native --profile web.toml -- /usr/bin/app")
    .example("  nsbox export oci --bundle ./app-bundle --profile web.toml -- /usr/bin/app   # then: crun run --bundle ./app-bundle app")
    .action(() => exportCommand(argsAfter(cli, "export"), io));
  addSandboxOptions(exporter, EXPORT_FLAGS);
  registerPs(cli, io);
  registerExec(cli, io);
  registerStop(cli, io);
  registerRanges(cli, io);
  registerNs(cli, io);
  registerGc(cli, io);
  registerCheck(cli, io);
  registerPlugin(cli, io);
  registerStage(cli, io);
  registerCompletion(cli, io, VERSION);
  cli
    .command("help [command]", "Show help for a command")
    .action((name?: string) => {
      const target = cli.commands.find((c) => c.name === name);
      if (name && !target) throw new UsageError(`unknown command '${name}'`, "see nsbox --help");
      (target ?? cli.globalCommand).outputHelp();
    });
  cli.help();
  cli.version(VERSION);
  return cli;
}

/**
 * Runs one invocation; returns the exit code of a command that answers with one (a successful
 * `run` never returns: it execs). Errors are thrown: the entry (entry.ts) maps them.
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const cli = createCli(io);
  const words = argv.slice(2);
  if (words.length === 0) {
    cli.outputHelp();
    return EXIT.usage;
  }
  // A first word that is no nsbox command may be a plugin's: `nsbox NAME SUBCOMMAND ...`.
  const first = words[0]!;
  if (!first.startsWith("-") && !cli.commands.some((c) => c.isMatched(first))) return await runPluginCommand(words, io);
  cli.parse([...argv], { run: false });
  if (isHelpRequest(words) || cli.options.version) return EXIT.ok; // cac printed it
  if (!cli.matchedCommand) throw new UsageError(`unknown command '${words[0]}'`, "see nsbox --help");
  await cli.runMatchedCommand();
  return EXIT.ok;
}
