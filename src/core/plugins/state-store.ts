// A plugin's StateStore (define.ts): one file per key in its own folder, created on the first
// write, private to root (or the user). Writes are atomic renames, so a reader never sees half.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StateStore } from "../../plugin/define.ts";
import { PluginError } from "../../base/errors.ts";

const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function createStateStore(plugin: string, dir: string): StateStore {
  const fileOf = (key: string) => {
    if (!KEY.test(key)) throw new PluginError(plugin, `state key '${key}' must be 1-128 letters, digits, '_', '.' or '-' (not starting with '.' or '-')`);
    return join(dir, key);
  };
  return {
    dir,
    read(key) {
      const file = fileOf(key);
      return existsSync(file) ? readFileSync(file, "utf8") : undefined;
    },
    write(key, value) {
      const file = fileOf(key);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${dir}/.${key}.${process.pid}.tmp`;
      writeFileSync(tmp, value, { mode: 0o600 });
      renameSync(tmp, file);
    },
    remove(key) {
      rmSync(fileOf(key), { force: true });
    },
    keys() {
      return existsSync(dir) ? readdirSync(dir).filter((k) => KEY.test(k)).sort() : [];
    },
  };
}
