// Seccomp policy files for `--seccomp FILE`: TOML (or JSON when the name ends in .json) with
// `base = "default"|"strict"|"none"`, `allow = [...]`, `deny = [...]`, `errno = "EPERM"` and
// `allow-userns = true|false`. Anything else, or a malformed value, is one UsageError line.
import { readFileSync } from "node:fs";
import { UsageError } from "../base/errors.ts";
import { checkSyscallNames } from "../core/seccomp.ts";
import { SECCOMP_BASES, SECCOMP_ERRNOS, seccompEntryProblem, type SeccompBase, type SeccompErrno } from "../model/seccomp-policy.ts";

export interface SeccompFilePolicy {
  base: SeccompBase;
  allow: string[];
  deny: string[];
  errno?: SeccompErrno;
  allowUserns?: boolean;
}

const KEYS = ["base", "allow", "deny", "errno", "allow-userns"];

function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value))
    throw new UsageError(`${where} must be one of ${allowed.join(", ")}`);
  return value as T;
}

/** A list of syscall names and @groups: the checks the flags make, with the file's key as the place. */
export function parseSeccompList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((e) => typeof e === "string"))
    throw new UsageError(`${where} must be a list of system call names and @groups`);
  const entries = value.map((e) => e.trim());
  for (const e of entries) {
    const problem = seccompEntryProblem(e);
    if (problem) throw new UsageError(`${where}: ${problem}`);
  }
  checkSyscallNames(entries, where);
  return entries;
}

/** Parses policy file text; `file` names it in every message. */
export function parseSeccompFile(text: string, file: string, flag = "--seccomp"): SeccompFilePolicy {
  const json = file.endsWith(".json");
  const at = `${flag} ${file}`;
  let data: unknown;
  try {
    data = json ? JSON.parse(text) : Bun.TOML.parse(text);
  } catch (e) {
    throw new UsageError(`${at}: not valid ${json ? "JSON" : "TOML"}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new UsageError(`${at}: must be a table of policy keys (${KEYS.join(", ")})`);
  const table = data as Record<string, unknown>;
  const unknown = Object.keys(table).find((k) => !KEYS.includes(k));
  if (unknown !== undefined) throw new UsageError(`${at}: '${unknown}' is not a policy key (use ${KEYS.join(", ")})`);
  const userns = table["allow-userns"];
  if (userns !== undefined && typeof userns !== "boolean") throw new UsageError(`${at}: allow-userns must be true or false`);
  return {
    base: table.base === undefined ? "default" : oneOf(table.base, SECCOMP_BASES, `${at}: base`),
    allow: table.allow === undefined ? [] : parseSeccompList(table.allow, `${at}: allow`),
    deny: table.deny === undefined ? [] : parseSeccompList(table.deny, `${at}: deny`),
    ...(table.errno === undefined ? {} : { errno: oneOf(table.errno, SECCOMP_ERRNOS, `${at}: errno`) }),
    ...(userns === undefined ? {} : { allowUserns: userns }),
  };
}

export function loadSeccompFile(file: string, flag = "--seccomp"): SeccompFilePolicy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const known = SECCOMP_BASES.join(", ");
    throw new UsageError(`${flag}: '${file}' is not ${known} or a readable policy file${code ? ` (${code})` : ""}`);
  }
  return parseSeccompFile(text, file, flag);
}
