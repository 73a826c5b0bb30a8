// Reads the host facts the `os` root is planned from (model/context.ts HostLayout): whether
// /bin, /sbin and /lib* are directories or merged-/usr symlinks, and where /etc/resolv.conf
// really leads. A handful of lstat/readlink calls, done once per command.
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { HostLayout, OsEntry } from "../model/context.ts";
import { pathDep, resolutionDeps, type FileDep } from "./file-deps.ts";

/** The top-level OS names (file-hierarchy(7)): bin, sbin and the library dirs of every ABI. */
const OS_NAME = /^(s?bin|lib(32|64|x32|o32)?)$/;

function osEntry(path: string): OsEntry | undefined {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return { path, symlink: readlinkSync(path) };
    return st.isDirectory() ? { path } : undefined;
  } catch {
    return undefined; // gone between the listing and the lstat: not part of this host's OS
  }
}

/**
 * The absolute path /etc/resolv.conf leads to when it is a symlink (systemd-resolved's
 * /run/systemd/resolve/stub-resolv.conf, resolvconf's /run/resolvconf/resolv.conf); undefined
 * when it is a plain file. A dangling link is followed one step, as the sandbox would.
 */
export function resolvConfTarget(file = "/etc/resolv.conf"): string | undefined {
  let link: string;
  try {
    if (!lstatSync(file).isSymbolicLink()) return undefined;
    link = readlinkSync(file);
  } catch {
    return undefined;
  }
  try {
    return realpathSync(file);
  } catch {
    return resolve(dirname(file), link);
  }
}

/** systemd-resolved's stub file and its list of upstream servers (systemd-resolved.service(8)). */
const RESOLVED_STUB = "/run/systemd/resolve/stub-resolv.conf";
const RESOLVED_UPSTREAM = "/run/systemd/resolve/resolv.conf";

export function readHostLayout(): HostLayout {
  let names: string[];
  try {
    names = readdirSync("/").filter((n) => OS_NAME.test(n)).sort();
  } catch {
    names = [];
  }
  const os = names.flatMap((n) => osEntry(`/${n}`) ?? []);
  const resolvConf = resolvConfTarget();
  if (resolvConf === undefined) return { os };
  return resolvConf === RESOLVED_STUB && existsSync(RESOLVED_UPSTREAM) ? { os, resolvConf, resolvedUpstream: RESOLVED_UPSTREAM } : { os, resolvConf };
}

/**
 * What readHostLayout read, for the front (src/native/FRONT.md): `/` by identity (its listing
 * changes its times), each OS entry, and every name on the way to /etc/resolv.conf's target
 * (and to resolved's upstream file when the stub is the target).
 */
export function hostLayoutDeps(layout: HostLayout): FileDep[] {
  return [
    pathDep("/", true),
    ...layout.os.map((e) => pathDep(e.path)),
    ...resolutionDeps("/etc/resolv.conf", false),
    ...(layout.resolvConf === RESOLVED_STUB ? resolutionDeps(RESOLVED_UPSTREAM, false) : []),
  ];
}
