// A third-party plugin's files: finding its entry in what `nsbox plugin add PATH` names, listing
// and copying them, and their sha256 (recorded at install, compared before every load).
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { UsageError } from "../../base/errors.ts";

/** Extensions Bun imports as modules at run time (it transpiles TypeScript itself). */
export const PLUGIN_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];
/** Folders that are never part of a plugin: version control, and packages it cannot import from. */
const SKIPPED = new Set([".git", "node_modules"]);
/** A sanity bound: `nsbox plugin add ~` by mistake should fail, not copy a home directory. */
const MAX_FILES = 500;
const MAX_BYTES = 16 * 1024 * 1024;

export interface PluginSource {
  /** The folder whose files are copied (the file's own folder for a one-file plugin). */
  root: string;
  /** Files to copy, relative to root, sorted. */
  files: string[];
  /** The module nsbox imports, relative to root. */
  entry: string;
}

function entryOfFolder(dir: string, given: string): string {
  const pkgFile = join(dir, "package.json");
  if (existsSync(pkgFile)) {
    let main: unknown;
    try {
      main = (JSON.parse(readFileSync(pkgFile, "utf8")) as { main?: unknown }).main;
    } catch (e) {
      throw new UsageError(`${pkgFile}: ${(e as Error).message}`);
    }
    if (main !== undefined) {
      const entry = relative(dir, resolve(dir, String(main)));
      if (entry.startsWith("..") || !existsSync(join(dir, entry))) throw new UsageError(`${pkgFile}: "main" names ${String(main)}, which is not a file in ${given}`);
      return entry;
    }
  }
  const index = ["index.ts", "index.js", "index.mts", "index.mjs"].find((f) => existsSync(join(dir, f)));
  if (!index) throw new UsageError(`${given} has no plugin entry`, 'give it a package.json "main", or an index.ts or index.js');
  return index;
}

/** Lists the regular files under root (sorted, relative); refuses links and anything unusual. */
export function listFiles(root: string, skip: ReadonlySet<string> = new Set()): string[] {
  const files: string[] = [];
  let bytes = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (skip.has(name)) continue;
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        files.push(relative(root, path));
        bytes += st.size;
        if (files.length > MAX_FILES || bytes > MAX_BYTES) throw new UsageError(`${root} holds more than ${MAX_FILES} files or ${MAX_BYTES >> 20} MB: is it really a plugin?`);
      } else {
        throw new UsageError(`${path} is not a regular file or folder`, "a plugin's folder may hold only regular files (no symbolic links)");
      }
    }
  };
  walk(root);
  return files;
}

/** What `nsbox plugin add PATH` names: a .ts/.js file, or a folder with an entry. */
export function resolvePluginSource(path: string, cwd: string): PluginSource {
  const full = resolve(cwd, path);
  let st;
  try {
    st = statSync(full);
  } catch {
    throw new UsageError(`no plugin file or folder at ${path}`);
  }
  if (st.isFile()) {
    if (!PLUGIN_EXTENSIONS.includes(extname(full))) throw new UsageError(`${path} is not a plugin module`, `a plugin file ends in ${PLUGIN_EXTENSIONS.join(", ")}`);
    return { root: dirname(full), files: [basename(full)], entry: basename(full) };
  }
  if (!st.isDirectory()) throw new UsageError(`${path} is neither a file nor a folder`);
  const entry = entryOfFolder(full, path);
  if (!PLUGIN_EXTENSIONS.includes(extname(entry))) throw new UsageError(`${path}: its entry ${entry} is not a plugin module`, `a plugin file ends in ${PLUGIN_EXTENSIONS.join(", ")}`);
  return { root: full, files: listFiles(full, SKIPPED), entry };
}

/**
 * Copies the listed files into `to` (which must exist). Whatever the source's modes and the
 * umask, the copy is writable by its owner alone (trust.ts checks that before every load).
 */
export function copyFiles(from: string, files: readonly string[], to: string): void {
  for (const file of files) {
    const dst = join(to, file);
    for (let dir = dirname(dst); dir !== to && !existsSync(dir); dir = dirname(dir)) mkdirSync(dir, { recursive: true });
    copyFileSync(join(from, file), dst);
    chmodSync(dst, 0o644);
  }
  const fixDirs = (dir: string) => {
    chmodSync(dir, 0o755);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) fixDirs(join(dir, e.name));
  };
  fixDirs(to);
}

export function sha256File(path: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
}

/** The sha256 of each file, keyed by its path relative to root. */
export function hashFiles(root: string, files: readonly string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, sha256File(join(root, f))]));
}

/** What differs between the files under root and the recorded hashes; empty when nothing does. */
export function hashMismatches(root: string, recorded: Readonly<Record<string, string>>): string[] {
  const present = listFiles(root);
  const problems: string[] = [];
  for (const f of present) {
    if (!(f in recorded)) problems.push(`${f} was added`);
    else if (sha256File(join(root, f)) !== recorded[f]) problems.push(`${f} changed (sha256 mismatch)`);
  }
  for (const f of Object.keys(recorded)) if (!present.includes(f)) problems.push(`${f} is missing`);
  return problems;
}
