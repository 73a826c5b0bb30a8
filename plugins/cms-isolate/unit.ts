// `unit NAME`: a systemd template unit, `nsbox-cms@.service`, that runs any recorded instance in
// the foreground (`run`, Type=simple: the stage's supervisor is the unit's main process), and the
// instance's settings as its EnvironmentFile (`/etc/nsbox/cms/NAME.env`), so one template serves
// every instance: `systemctl enable --now nsbox-cms@NAME`.
import { scanArgs, UsageError, type CommandContext } from "nsbox/plugin";
import type { Instance } from "./args.ts";
import { recordOf } from "./status.ts";

export const UNIT_USAGE = "nsbox cms-isolate unit NAME";
export const ENV_DIR = "/etc/nsbox/cms";

/** One ExecStart= word (systemd.service(5) "Command lines"): quoted, specifiers and variables escaped. */
function execWord(word: string): string {
  return `"${word.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("%", "%%").replaceAll("$", "$$$$")}"`;
}

/** A value of an EnvironmentFile= line (systemd.exec(5)): double-quoted, `\` and `"` escaped. */
function envValue(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * The template. `${VAR}` is one argument even with spaces in it; `$VAR` is split at whitespace
 * (systemd.service(5) "Command lines"): CMS_OPTIONS and CMS_COMMAND are lists of words.
 */
export function templateUnit(nsbox: readonly string[]): string {
  const exec = [
    ...nsbox.map(execWord), "cms-isolate", "run", "%i",
    "--code", "${CMS_CODE}", "--data", "${CMS_DATA}", "--listen", "${CMS_LISTEN}",
    "--memory", "${CMS_MEMORY}", "--pids", "${CMS_PIDS}", "$CMS_OPTIONS", "--", "$CMS_COMMAND",
  ].join(" ");
  return [
    "# /etc/systemd/system/nsbox-cms@.service (nsbox cms-isolate unit)",
    "[Unit]",
    "Description=nsbox cms-isolate instance %i",
    "After=network.target",
    "",
    "[Service]",
    "Type=simple",
    `EnvironmentFile=${ENV_DIR}/%i.env`,
    // nsbox execs into the stage: its supervisor is the main process; SIGTERM reaches the server
    // through it, and the instance's own cgroup (under /sys/fs/cgroup/nsbox) ends with it.
    `ExecStart=${exec}`,
    "Restart=on-failure",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The instance's settings for the template, as an EnvironmentFile. */
export function instanceEnv(i: Instance): string {
  const options = [...(i.zone !== undefined ? ["--zone", i.zone] : []), ...i.phpIni.map(([k, val]) => `--php-ini ${k}=${val}`)];
  const lines = [
    `# ${ENV_DIR}/${i.name}.env (nsbox cms-isolate unit ${i.name}): systemctl enable --now nsbox-cms@${i.name}`,
    `CMS_CODE=${envValue(i.code)}`,
    `CMS_DATA=${envValue(i.data)}`,
    `CMS_LISTEN=${envValue(i.listen)}`,
    `CMS_MEMORY=${envValue(i.memory)}`,
    `CMS_PIDS=${envValue(i.pids)}`,
    `CMS_OPTIONS=${envValue(options.join(" "))}`,
    `CMS_COMMAND=${envValue(i.command.join(" "))}`,
    "",
  ];
  return lines.join("\n");
}

/** Why the instance cannot be written as the template's words (split at whitespace), or undefined. */
export function unitProblem(i: Instance): string | undefined {
  const spaced = [...i.command, ...i.phpIni.map(([k, val]) => `${k}=${val}`)].find((w) => /\s/.test(w) || w === "");
  return spaced === undefined ? undefined : `'${spaced}' has a space in it, and the unit's CMS_COMMAND and CMS_OPTIONS are split at spaces; wrap the server in a script`;
}

export function unitCommand(args: readonly string[], ctx: CommandContext): number {
  const s = scanArgs(args, { shape: () => undefined, words: "collect", hint: `usage: ${UNIT_USAGE}` });
  const words = s.items.flatMap((i) => (i.kind === "word" ? [i.value] : []));
  if (words.length > 1 || s.rest.length) throw new UsageError(`unexpected '${words[1] ?? s.rest[0]}'`, `usage: ${UNIT_USAGE}`);
  const r = recordOf(ctx, words[0], UNIT_USAGE);
  const problem = unitProblem(r);
  if (problem) throw new UsageError(`instance ${r.name}: ${problem}`);
  ctx.stdout(`${templateUnit(ctx.nsboxArgv)}\n${instanceEnv(r)}`);
  return 0;
}
