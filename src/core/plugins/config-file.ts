// Reading and writing plugins.toml. It says which code nsbox may load and with which hashes, so
// it is trusted only where trust.ts trusts it, and replaced whole by a rename: a failed or
// interrupted write leaves the old file, byte for byte (an add writes it last, after setup).
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { NsboxError } from "../../base/errors.ts";
import { parsePluginsToml, renderPluginsToml, type PluginsConfig } from "../../plugin/plugins-config.ts";
import { pathProblem } from "./trust.ts";

/** The config in `file`: empty when there is none; a NsboxError when it is unsafe or malformed. */
export function readPluginsConfig(file: string, uid: number = process.getuid!()): PluginsConfig {
  if (!existsSync(file)) return {};
  const problem = pathProblem(file, uid);
  if (problem) throw new NsboxError(`refusing ${file}: ${problem}`, 125, "it decides which plugin code nsbox runs: only root (or you, rootless) may be able to change it");
  const parsed = parsePluginsToml(readFileSync(file, "utf8"));
  if (!parsed.ok) throw new NsboxError(`${file}: ${parsed.message}`, 125, "fix the file, or remove the entry");
  return parsed.config;
}

/** Replaces `file` with the rendered config (its folder is created when missing). */
export function writePluginsConfig(file: string, config: PluginsConfig): void {
  const dir = dirname(file);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, renderPluginsToml(config), { mode: 0o644 });
    chmodSync(tmp, 0o644);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new NsboxError(`cannot write ${file}: ${(e as Error).message}`, 125);
  }
}
