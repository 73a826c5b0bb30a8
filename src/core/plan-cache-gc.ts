// `nsbox gc` for the plan cache (core/plan-cache.ts) and the front's entries beside it
// (src/native/FRONT.md): eviction keeps the newest 128 files, and this removes those that can
// never be used again, whatever their age: another format, a sum that fails, a file nsbox would
// not trust (another owner, readable by others), a binary, stage or file by identity that is
// gone or was replaced (an identity never comes back), another kernel, a temporary file whose
// writer is gone. An entry that could still be used is kept; files that are not nsbox's names
// are left alone.
import { lstatSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { sha256Hex } from "../native/sha256.ts";
import { depIdentityFields, identityFields } from "./file-deps.ts";
import { FRONT_ENTRY_FORMAT } from "./front-entry.ts";
import type { Collector, Leftover } from "./gc-collector.ts";
import { binaryIdentityOf, entryBinary, isPrivateDir, planCacheDir } from "./plan-cache.ts";
import { DEFAULT_STAGE_PATH } from "./stage-install.ts";

const ENTRY = /^[0-9a-f]{64}$/;
const FRONT = /^front-[0-9a-f]{64}$/;
/** storeCacheFile's temporary files: NAME.PID.tmp. */
const TEMPORARY = /^(?:front-)?[0-9a-f]{64}\.(\d+)\.tmp$/;

/** Why the plan-cache entry `text` can never be used again, or undefined while it could. */
export function staleCachedPlan(text: string): string | undefined {
  const binary = entryBinary(text);
  if (binary === undefined) return "another format, or its sum fails";
  const [path] = JSON.parse(binary) as [string];
  try {
    if (binaryIdentityOf(path) === binary) return undefined;
  } catch {
    return `its nsbox ${path} is gone`;
  }
  return `its nsbox ${path} was replaced, or the kernel is another`;
}

/** As keepFrontEntry records the stage and nsbox: stat(2), links followed. */
const identityOf = (path: string) => identityFields(statSync(path, { bigint: true }));
const kernelText = (f: string) => readFileSync(`/proc/sys/kernel/${f}`, "utf8").trimEnd();

/**
 * Why the front entry `bytes` will never be served again (FRONT.md "The entry"), or undefined
 * while it could be: the stage and nsbox it was written for, by identity, the kernel, and each
 * `dep` by identity. A `dep-type` or `dep-owner` that differs now may hold again later: kept.
 */
export function staleFrontEntry(bytes: Buffer, stage = DEFAULT_STAGE_PATH): string | undefined {
  // Byte for byte (latin1): a path is bytes, and goes back to lstat as them.
  const all = bytes.toString("latin1").split("\0");
  const wire = all.indexOf("wire");
  const t = all.slice(0, wire < 0 ? 0 : wire);
  const bodyAt = t.slice(0, 4).reduce((n, tok) => n + tok.length + 1, 0);
  if (t[0] !== "nsbox-front" || t[1] !== FRONT_ENTRY_FORMAT || t[2] !== "sum" || t[3] !== sha256Hex(bytes.subarray(bodyAt))) return "another format, or its sum fails";
  const nsbox = join(dirname(stage), "nsbox");
  const same = (at: number, fields: () => string[]) => {
    try {
      return fields().every((f, i) => t[at + i] === f);
    } catch {
      return false;
    }
  };
  if (t[4] !== "stage" || !same(5, () => identityOf(stage))) return `the stage ${stage} is gone or was reinstalled`;
  if (t[10] !== "nsbox" || !same(11, () => identityOf(nsbox))) return `${nsbox} is gone or was reinstalled`;
  if (t[16] !== "kernel" || !same(17, () => [kernelText("osrelease"), kernelText("version")])) return "written on another kernel";
  for (let i = 19; i < t.length && t[i] !== "state"; ) {
    const [kind, path] = [t[i]!, t[i + 1]!];
    const n = kind === "dep" ? 6 : kind === "dep-owner" ? 2 : 1;
    const fields = () => depIdentityFields(lstatSync(Buffer.from(path, "latin1"), { bigint: true }));
    if (kind === "dep" && !same(i + 2, fields)) return `${Buffer.from(path, "latin1").toString()} changed`;
    i += 2 + n;
  }
  return undefined;
}

/** Whether the process `pid` exists (signal 0: kill(2)); EPERM means it does, as another uid's. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Why the file `name` of the cache directory will never be used, or undefined. */
function staleFile(dir: string, name: string, uid: number, stage: string): string | undefined {
  const file = join(dir, name);
  const tmp = TEMPORARY.exec(name);
  if (tmp) return alive(Number(tmp[1])) ? undefined : `its writer (pid ${tmp[1]}) is gone`;
  if (!ENTRY.test(name) && !FRONT.test(name)) return undefined;
  const st = lstatSync(file);
  // readCachedPlan and the front (owner-checks) read nothing else.
  if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0) return `not a file of uid ${uid}'s alone`;
  const bytes = readFileSync(file);
  return FRONT.test(name) ? staleFrontEntry(bytes, stage) : staleCachedPlan(bytes.toString("utf8"));
}

/** The caller's plan cache: entries and front entries that can no longer be used. */
export function planCacheCollector(dir = planCacheDir(process.getuid!(), process.env), uid = process.getuid!(), stage = DEFAULT_STAGE_PATH): Collector {
  return {
    key: "plan-cache",
    name: "plan cache",
    find(): Leftover[] {
      // A directory others could write is not nsbox's to clean: nothing in it is ever read.
      if (!isPrivateDir(dir, uid)) return [];
      return readdirSync(dir).flatMap((name) => {
        let why: string | undefined;
        try {
          why = staleFile(dir, name, uid, stage);
        } catch {
          return []; // removed or replaced meanwhile (another run evicted or rewrote it)
        }
        const kind = name.startsWith("front-") ? "front entry" : name.endsWith(".tmp") ? "temporary file" : "plan-cache entry";
        return why ? [{ what: `${kind} ${join(dir, name)} (${why})`, remove: () => rmSync(join(dir, name), { force: true }) }] : [];
      });
    },
  };
}
