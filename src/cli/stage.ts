// `nsbox stage install [PATH]`: installs the static stage that saved plans (`nsbox plan --save`)
// run with, root-owned and checksum-verified (src/core/stage-install.ts).
import type { CAC } from "cac";
import { UsageError } from "../core/errors.ts";
import { DEFAULT_STAGE_PATH, installStage } from "../core/stage-install.ts";
import { stageBytes } from "../native/stage.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./index.ts";

export const STAGE_USAGE = `nsbox stage install [PATH]   (default ${DEFAULT_STAGE_PATH})`;

export function stageCommand(args: readonly string[]): string {
  const [sub, path = DEFAULT_STAGE_PATH, ...extra] = args;
  if (sub !== "install" || extra.length) {
    const what = sub === undefined ? "stage needs a subcommand" : sub === "install" ? `stage install takes one PATH, not ${args.length - 1}` : `unknown stage subcommand '${sub}'`;
    throw new UsageError(what, `usage: ${STAGE_USAGE}`);
  }
  const sum = installStage(path, stageBytes());
  return `installed ${path} (sha256 ${sum})\n`;
}

export function registerStage(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("stage [...args]", "Install the static stage that saved plans (plan --save) start with, root-owned and checksum-verified")
    .usage(STAGE_USAGE.replace(/^nsbox /, ""))
    .example("  nsbox stage install && nsbox plan --save /etc/nsbox/plans/backup -- /usr/local/bin/backup")
    .action((args: string[], options: Record<string, unknown>) => {
      applyLogOptions(options);
      io.stdout(stageCommand(args));
    });
  addLogOptions(cmd);
}
