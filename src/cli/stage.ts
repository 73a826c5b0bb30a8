// `nsbox stage install [PATH]`: installs the static stage that saved plans (`nsbox plan --save`)
// run with, root-owned and checksum-verified (src/core/stage-install.ts).
import type { CAC } from "cac";
import { UsageError } from "../base/errors.ts";
import { DEFAULT_STAGE_PATH, installFront, installStage } from "../core/stage-install.ts";
import { stageBytes } from "../native/stage.ts";
import { addLogOptions, applyLogOptions } from "./command-flags.ts";
import type { CliIo } from "./io.ts";

export const STAGE_USAGE = `nsbox stage install [PATH] [--front LINK]   (default ${DEFAULT_STAGE_PATH})`;

export function stageCommand(args: readonly string[], front?: string): string {
  const [sub, path = DEFAULT_STAGE_PATH, ...extra] = args;
  if (sub !== "install" || extra.length) {
    const what = sub === undefined ? "stage needs a subcommand" : sub === "install" ? `stage install takes one PATH, not ${args.length - 1}` : `unknown stage subcommand '${sub}'`;
    throw new UsageError(what, `usage: ${STAGE_USAGE}`);
  }
  const sum = installStage(path, stageBytes());
  const installed = `installed ${path} (sha256 ${sum})\n`;
  if (front === undefined) return installed;
  const nsbox = installFront(front, path);
  return `${installed}front: ${front} -> ${path} (a repeated nsbox run line starts without Bun; nsbox itself is ${nsbox})\n`;
}

export function registerStage(cli: CAC, io: CliIo): void {
  const cmd = cli
    .command("stage [...args]", "Install the static stage that saved plans (plan --save) start with, root-owned and checksum-verified")
    .usage(STAGE_USAGE.replace(/^nsbox /, ""))
    .option("--front <link>", "Also make LINK (the path users run, /usr/local/bin/nsbox) the front: a symlink to the stage, which starts a repeated nsbox run line itself and runs nsbox (copied beside the stage) for anything else")
    .example("  nsbox stage install && nsbox plan --save /etc/nsbox/plans/backup -- /usr/local/bin/backup")
    .example("  nsbox stage install --front /usr/local/bin/nsbox")
    .action((args: string[], options: Record<string, unknown>) => {
      applyLogOptions(options);
      if (options.front !== undefined && typeof options.front !== "string") throw new UsageError("--front needs a path, like --front /usr/local/bin/nsbox");
      io.stdout(stageCommand(args, options.front as string | undefined));
    });
  addLogOptions(cmd);
}
