// Writes an OCI bundle (model/export-oci.ts) to a directory: config.json and the rootfs tree,
// into a fresh directory so nothing of the caller's is overwritten; on failure what was made
// is removed again. Also reads the host facts the translation needs.
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { NsboxError, UsageError } from "./errors.ts";
import { ociConfigJson, type HostRootEntry, type OciBundle } from "../model/export-oci.ts";

/** The host root's top level, sorted: directories, symlinks with their targets, other files. */
export function hostRootEntries(root = "/"): HostRootEntry[] {
  return readdirSync(root, { withFileTypes: true })
    .map((d): HostRootEntry => {
      if (d.isSymbolicLink()) return { name: d.name, type: "symlink", target: readlinkSync(join(root, d.name)) };
      if (!d.isDirectory()) return { name: d.name, type: "other" };
      return { name: d.name, type: "dir", othersCanEnter: (statSync(join(root, d.name)).mode & 0o001) !== 0 };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function freshDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new UsageError(`--bundle ${dir}: it already exists`, "give a new directory: the bundle is written whole or not at all");
    throw new UsageError(`--bundle ${dir}: cannot create it: ${code ?? (e as Error).message}`);
  }
}

/** Writes `bundle` into the new directory `dir` (its parent must exist). */
export function writeOciBundle(dir: string, bundle: OciBundle): void {
  if (!existsSync(dirname(dir))) throw new UsageError(`--bundle ${dir}: the parent directory does not exist`);
  freshDir(dir);
  try {
    const rootfs = join(dir, "rootfs");
    mkdirSync(rootfs, { mode: 0o755 });
    // Symlinks first (merged /usr: /bin -> usr/bin), then the mount points the runtime could not
    // create once the root is read-only; never a directory through one of the links.
    for (const { path, target } of bundle.rootfs.symlinks) {
      mkdirSync(join(rootfs, dirname(path)), { recursive: true, mode: 0o755 });
      symlinkSync(target, join(rootfs, path));
    }
    const mounts = bundle.config.mounts as { destination: string; type: string; source: string }[];
    const points = [...bundle.rootfs.dirs.map((path) => ({ path, file: false })), ...mounts.map((m) => ({ path: m.destination, file: m.type === "bind" && !isDir(m.source) }))];
    for (const { path, file } of points) {
      const parts = path.split("/").slice(1);
      if (parts.some((_, i) => isLinkAt(rootfs, parts.slice(0, i + 1)))) continue;
      mkdirSync(join(rootfs, file ? dirname(path) : path), { recursive: true, mode: 0o755 });
      // A file bound onto a file needs a file to mount on.
      if (file && !existsSync(join(rootfs, path))) writeFileSync(join(rootfs, path), "", { mode: 0o644 });
    }
    writeFileSync(join(dir, "config.json"), ociConfigJson(bundle.config), { mode: 0o644 });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    if (e instanceof NsboxError) throw e;
    throw new NsboxError(`--bundle ${dir}: writing the bundle failed: ${(e as Error).message}`);
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return true; // a missing source fails in the runtime, which names it
  }
}

/** Whether rootfs/a/b... (the first parts of a path) is a symlink the bundle made: never write through it. */
function isLinkAt(rootfs: string, parts: string[]): boolean {
  try {
    return lstatSync(join(rootfs, ...parts)).isSymbolicLink();
  } catch {
    return false;
  }
}
