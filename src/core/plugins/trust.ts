// Whether a path could have been changed by someone nsbox must not take code from: anyone but
// root and the invoking user (the same rule as sudo's and OpenSSH's StrictModes). nsbox imports
// third-party plugin code and trusts plugins.toml's hashes only after every file, and every
// directory up to `/`, passes. A sticky directory (/tmp) may be writable by all: its other users
// cannot rename or remove what they do not own (unlink(2), EPERM with S_ISVTX).
import { lstatSync, readdirSync, realpathSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";

const S_ISVTX = 0o1000;

function who(st: Stats): string {
  return st.uid === 0 ? "root" : `uid ${st.uid}`;
}

/** Why this one file or directory is not safe to trust, or undefined. */
function entryProblem(path: string, st: Stats, uid: number, asParent: boolean): string | undefined {
  if (st.uid !== 0 && st.uid !== uid) return `${path} belongs to ${who(st)}`;
  const writableByOthers = (st.mode & 0o022) !== 0;
  if (writableByOthers && !(asParent && st.isDirectory() && (st.mode & S_ISVTX) !== 0)) {
    return `${path} is writable by ${(st.mode & 0o002) !== 0 ? "others" : "its group"}`;
  }
  return undefined;
}

function chainProblem(path: string, uid: number): string | undefined {
  let current = path;
  let asParent = false;
  for (;;) {
    let st: Stats;
    try {
      st = lstatSync(current);
    } catch {
      return `${current} does not exist`;
    }
    // A symbolic link's own mode means nothing; whoever owns it or its directory can repoint it.
    const problem = st.isSymbolicLink() ? (st.uid !== 0 && st.uid !== uid ? `${current} belongs to ${who(st)}` : undefined) : entryProblem(current, st, uid, asParent);
    if (problem) return problem;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
    asParent = true;
  }
}

/**
 * Checks `path` itself and every directory above it, up to `/`: the path as written (symbolic
 * links on the way must be ours, in directories that are ours) and where it really leads.
 */
export function pathProblem(path: string, uid: number): string | undefined {
  const written = chainProblem(path, uid);
  if (written) return written;
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return `${path} does not exist`;
  }
  return real === path ? undefined : chainProblem(real, uid);
}

/**
 * Checks an installed plugin's folder: the folder and its parents (pathProblem), then every file
 * and directory inside it (regular files and directories only: no symbolic links, no devices).
 */
export function treeProblem(root: string, uid: number): string | undefined {
  const above = pathProblem(root, uid);
  if (above) return above;
  const walk = (dir: string): string | undefined => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (!st.isFile() && !st.isDirectory()) return `${path} is not a regular file or directory`;
      const problem = entryProblem(path, st, uid, false) ?? (st.isDirectory() ? walk(path) : undefined);
      if (problem) return problem;
    }
    return undefined;
  };
  return walk(root);
}
