// The plan cache of `nsbox run`: cron lines and service units start the same sandbox again and
// again, and for the options cli/plan-cache-policy.ts admits, planning is a pure function of argv
// and the caller's PlanContext. An entry is keyed by everything planning reads and everything
// that could change what it means (this very binary, the kernel), lives in a directory private
// to the caller, and is checked before use as a saved plan is (src/native/PLAN.md): owner, mode,
// sum, and the whole key compared byte for byte. Anything wrong means "no entry": the run plans
// afresh. What each start prepares (records, cgroups, state dirs, the filter, fds) is never here.
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { NormalSpec } from "../model/normalize.ts";
import type { NamedRangeUse } from "./id-ranges.ts";
import { sha256Hex } from "../native/sha256.ts";
import { assertGuardedDirs } from "./stage-install.ts";
import { stateRoot } from "./state-dir.ts";

/** An entry's first line starts with it; 2: the binary in the key is named by its path too (for gc). */
export const PLAN_CACHE_MAGIC = "nsbox-plan-cache 2";
/**
 * Files kept (a line's entry, and its front entry: src/native/FRONT.md); past it the least
 * recently written go (a shell's changing $OLDPWD makes new keys).
 */
export const PLAN_CACHE_ENTRIES = 128;

/** What a hit gives back: the spec exactly as planned, and the log level its flags chose. */
export interface CachedPlan {
  spec: NormalSpec;
  logLevel?: number;
  /** A named sandbox's range as planned: claimed again at each hit, which must give the same. */
  range?: NamedRangeUse;
}

/**
 * This binary, as the kernel knows the file (device, inode, size, change and modify times) and
 * by its path, and the kernel's own release and build: a rebuilt or upgraded nsbox, or a new
 * kernel, misses. Undefined when nsbox runs from its sources (tests, development), where the code
 * can change under the same `bun`: no cache there at all.
 */
export function binaryIdentity(): string | undefined {
  if (!Bun.main.startsWith("/$bunfs/")) return undefined;
  try {
    return binaryIdentityOf(readlinkSync("/proc/self/exe"), "/proc/self/exe");
  } catch {
    return undefined;
  }
}

/**
 * The binary at `path` as a key names it (the file stat'ed at `file`: /proc/self/exe for the
 * running one). Once it differs from a key's, that key's entries are never used again: the
 * file's identity does not come back, nor does a kernel before a reboot (`nsbox gc`).
 */
export function binaryIdentityOf(path: string, file = path): string {
  const st = statSync(file, { bigint: true });
  const kernel = ["osrelease", "version"].map((f) => readFileSync(`/proc/sys/kernel/${f}`, "utf8").trim());
  return JSON.stringify([path, `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`, ...kernel]);
}

/** The directory of the caller's entries: /run/nsbox/plans for root, the runtime dir's otherwise. */
export function planCacheDir(uid: number, env: Readonly<Record<string, string | undefined>>): string {
  return join(stateRoot(uid, env), "plans");
}

/** Where the entry for `key` is: its name is the key's sha256. */
function entryPath(dir: string, key: string): string {
  return join(dir, sha256Hex(key));
}

/** The directory is the caller's alone (and every one above it root's or the caller's, none writable by others). */
export function isPrivateDir(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return false;
    assertGuardedDirs(dir, "plan cache", { owner: uid, strict: true });
    return true;
  } catch {
    return false;
  }
}

/** The body of an entry: the key it was made for and what planning gave. */
function encodeEntry(key: string, plan: CachedPlan): string {
  const body = JSON.stringify({ key, ...plan });
  return `${PLAN_CACHE_MAGIC} ${sha256Hex(body)}\n${body}`;
}

/** An entry's body, when it is of this format and its sum holds. */
function checkedBody(text: string): string | undefined {
  const nl = text.indexOf("\n");
  const [magic, version, sum] = text.slice(0, nl).split(" ");
  const body = text.slice(nl + 1);
  return nl < 0 || `${magic} ${version}` !== PLAN_CACHE_MAGIC || sum !== sha256Hex(body) ? undefined : body;
}

/** The binary an entry's key names (binaryIdentity), or undefined for an entry of another format or whose sum does not hold. */
export function entryBinary(text: string): string | undefined {
  const body = checkedBody(text);
  try {
    const { binary } = JSON.parse((JSON.parse(body ?? "null") as { key: string }).key) as { binary?: unknown };
    return typeof binary === "string" ? binary : undefined;
  } catch {
    return undefined;
  }
}

function decodeEntry(text: string, key: string): CachedPlan | undefined {
  const body = checkedBody(text);
  if (body === undefined) return undefined;
  const entry = JSON.parse(body) as { key?: unknown } & Partial<CachedPlan>;
  if (entry.key !== key || typeof entry.spec !== "object" || entry.spec === null) return undefined;
  const { spec, logLevel, range } = entry as CachedPlan;
  return { spec, ...(logLevel === undefined ? {} : { logLevel }), ...(range === undefined ? {} : { range }) };
}

/**
 * The entry for `key`, or undefined when there is none or it cannot be trusted: a directory or
 * file another user could have written, a wrong owner or mode, a sum that does not match, or a
 * key that is not byte for byte this one.
 */
export function readCachedPlan(dir: string, key: string, uid: number): CachedPlan | undefined {
  if (!isPrivateDir(dir, uid)) return undefined;
  const file = entryPath(dir, key);
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
    return decodeEntry(readFileSync(file, "utf8"), key);
  } catch {
    return undefined;
  }
}

/** Keeps the `keep` most recently written entries and removes the rest (and stray temporary files). */
function evictOld(dir: string, keep: number): void {
  const entries = readdirSync(dir).flatMap((name) => {
    try {
      return [{ name, mtime: lstatSync(join(dir, name)).mtimeMs }];
    } catch {
      return [];
    }
  });
  if (entries.length <= keep) return;
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const { name } of entries.slice(keep)) {
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Removed meanwhile by another run: nothing left to do.
    }
  }
}

/**
 * Writes the entry for `key` (a new file, renamed over the old one, mode 0600 in a private
 * directory it makes when missing). Throws when it cannot: the caller decides what that means.
 */
export function storeCachedPlan(dir: string, key: string, plan: CachedPlan, uid: number, keep = PLAN_CACHE_ENTRIES): void {
  storeCacheFile(dir, sha256Hex(key), Buffer.from(encodeEntry(key, plan)), uid, keep);
}

/** Writes `bytes` as the file `name` of the cache directory, as storeCachedPlan does its entries. */
export function storeCacheFile(dir: string, name: string, bytes: Uint8Array, uid: number, keep = PLAN_CACHE_ENTRIES): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!isPrivateDir(dir, uid)) throw new Error(`${dir} is not private to uid ${uid}`);
  const file = join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  evictOld(dir, keep);
}
