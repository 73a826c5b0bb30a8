// Where plugins live on the host. Root: the record of what is added in /etc/nsbox/plugins.toml,
// installed plugins in /var/lib/nsbox/plugins/NAME, each plugin's state in /var/lib/nsbox/NAME.
// Rootless: the same under $XDG_CONFIG_HOME/nsbox and $XDG_STATE_HOME/nsbox. `--config-dir DIR`
// puts all three in DIR (a self-contained setup, as tests use); NSBOX_STATE_DIR moves the last two.
import { isAbsolute, join, resolve } from "node:path";
import { UsageError } from "../../base/errors.ts";

export interface PluginPaths {
  /** plugins.toml: what is added or installed, with settings and file hashes. */
  configFile: string;
  /** Installed plugins' folders: installRoot/NAME. */
  installRoot: string;
  /** Plugins' state folders: stateRoot/NAME (`plugins` is a reserved plugin name for this). */
  stateRoot: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function home(env: Env): string {
  if (!env.HOME || !isAbsolute(env.HOME)) throw new UsageError("HOME is not set: nsbox cannot find your plugin configuration", "set HOME, or pass --config-dir DIR");
  return env.HOME;
}

function xdg(env: Env, name: "XDG_CONFIG_HOME" | "XDG_STATE_HOME", fallback: string): string {
  const value = env[name];
  // The XDG spec: a relative value is invalid and must be ignored.
  return value && isAbsolute(value) ? value : join(home(env), fallback);
}

export function pluginPaths(uid: number, env: Env, cwd: string, configDir?: string): PluginPaths {
  const dir = configDir === undefined ? undefined : resolve(cwd, configDir);
  const config = dir ?? (uid === 0 ? "/etc/nsbox" : join(xdg(env, "XDG_CONFIG_HOME", ".config"), "nsbox"));
  const lib = env.NSBOX_STATE_DIR ? resolve(cwd, env.NSBOX_STATE_DIR) : (dir ?? (uid === 0 ? "/var/lib/nsbox" : join(xdg(env, "XDG_STATE_HOME", ".local/state"), "nsbox")));
  return { configFile: join(config, "plugins.toml"), installRoot: join(lib, "plugins"), stateRoot: lib };
}

export const installDirOf = (paths: PluginPaths, name: string): string => join(paths.installRoot, name);
export const stateDirOf = (paths: PluginPaths, name: string): string => join(paths.stateRoot, name);
