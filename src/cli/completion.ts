// `nsbox completion bash|zsh|fish`: the shell's completion script on stdout, rendered from the
// command table, the sandbox options and the plugins this nsbox sees (built-in ones with their
// flags; installed ones by name, without running their code). Installers put the output where
// the shell looks (bash-completion's completions/nsbox, zsh's site-functions/_nsbox, fish's
// vendor_completions.d/nsbox.fish).
import type { CAC } from "cac";
import { UsageError } from "../core/errors.ts";
import { logger } from "../core/log.ts";
import { listPlugins } from "../core/plugins/catalog.ts";
import type { Reference } from "../reference/model.ts";
import { BUILTIN_PLUGINS } from "../plugin/registry.ts";
import type { CliIo } from "./index.ts";
import { CONFIG_DIR_FLAG, pluginCatalog } from "./plugin-args.ts";
import { commandReference, type PluginName } from "./reference.ts";

export const COMPLETION_USAGE = "nsbox completion bash|zsh|fish [--config-dir DIR]";
const log = logger("completion");
/** The renderers, loaded when asked for (the other commands never need them). */
const SHELLS: Record<string, () => Promise<(ref: Reference) => string>> = {
  bash: async () => (await import("../reference/completion-bash.ts")).bashCompletion,
  zsh: async () => (await import("../reference/completion-zsh.ts")).zshCompletion,
  fish: async () => (await import("../reference/completion-fish.ts")).fishCompletion,
};

/** Installed plugins that would load; none (with a warning) when plugins.toml cannot be read. */
function installedPlugins(io: CliIo, configDir: string | undefined): PluginName[] {
  try {
    return listPlugins(pluginCatalog(io.context(), configDir)).filter((p) => p.kind === "installed" && !p.problem);
  } catch (e) {
    log.warn(`installed plugins left out: ${(e as Error).message}`);
    return [];
  }
}

export function registerCompletion(cli: CAC, io: CliIo, version: string): void {
  cli
    .command("completion <shell>", "Print the completion script for bash, zsh or fish (commands, options and plugins)")
    .usage(COMPLETION_USAGE.replace(/^nsbox /, ""))
    .option(`--${CONFIG_DIR_FLAG.name} <${CONFIG_DIR_FLAG.args[0]}>`, CONFIG_DIR_FLAG.help)
    .example("  nsbox completion bash > /usr/share/bash-completion/completions/nsbox")
    .example("  nsbox completion zsh > /usr/local/share/zsh/site-functions/_nsbox")
    .example("  nsbox completion fish > ~/.config/fish/completions/nsbox.fish")
    .action(async (shell: string, options: { configDir?: string }) => {
      const load = Object.hasOwn(SHELLS, shell) ? SHELLS[shell] : undefined;
      if (!load) throw new UsageError(`completion: unknown shell '${shell}' (bash, zsh or fish)`, `usage: ${COMPLETION_USAGE}`);
      const render = await load();
      io.stdout(render(commandReference(cli, version, BUILTIN_PLUGINS, installedPlugins(io, options.configDir))));
    });
}
