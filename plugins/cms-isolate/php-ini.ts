// `--php-ini KEY=VALUE`: the settings go into a per-instance ini file that PHP reads through
// PHP_INI_SCAN_DIR (sandbox-args.ts), bound read-only into the instance. Chosen over `php -d`
// because it reaches every PHP the instance starts (php-fpm and its workers, a CLI cron script
// run with `exec`), not only the default `php -S` command line.
import { chmodSync, chownSync, mkdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Where an instance's ini dir lives: under /run when root runs nsbox (the instance's range must
 * be able to reach it, and the plugin's state dir is private to root), in the plugin's state
 * otherwise (a rootless instance runs as the caller, who owns that dir).
 */
export function iniDirOf(name: string, uid: number, stateDir: string): string {
  return uid === 0 ? join("/run/nsbox-cms", name) : join(stateDir, "php", name);
}

export function iniText(settings: readonly [string, string][]): string {
  return `; written by nsbox cms-isolate (--php-ini); replaced at every start\n${settings.map(([k, val]) => `${k}=${val}\n`).join("")}`;
}

/**
 * Writes `cms-isolate.ini` into `dir`: the dir belongs to root and the instance's group
 * (`gid`, its root's host gid) with mode 0750, the file 0640, so only this instance reads it.
 */
export function writeIniDir(dir: string, settings: readonly [string, string][], gid: number | undefined): void {
  // The parent must be searchable by the instance's range: the stage binds the dir as that range.
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  chmodSync(dirname(dir), 0o755);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  if (gid !== undefined) chownSync(dir, 0, gid);
  chmodSync(dir, gid !== undefined ? 0o750 : 0o700);
  const tmp = join(dir, `.cms-isolate.ini.${process.pid}`);
  writeFileSync(tmp, iniText(settings), { mode: 0o640 });
  if (gid !== undefined) chownSync(tmp, 0, gid);
  renameSync(tmp, join(dir, "cms-isolate.ini"));
}

/** Removes the instance's ini dir, and the folder of them once it is empty. */
export function removeIniDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(dirname(dir));
  } catch {
    // other instances' dirs are still there (or it never existed)
  }
}
