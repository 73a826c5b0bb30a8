// Profile files: the sandbox options written as TOML or JSON, keys named like the flags
// (`ro-bind = [["/srv", "/srv"]]`, `hostname = "web"`, `clearenv = true`). They become the same
// ordered option list as flags, applied before the flags so flags override them.
import { readFileSync } from "node:fs";
import { UsageError } from "../base/errors.ts";
import { findSandboxOption, type SandboxOption } from "./sandbox-options.ts";

type ProfileEntry = { option: SandboxOption; values: string[]; where: string };

function scalar(value: unknown): string | undefined {
  return typeof value === "string" || (typeof value === "number" && Number.isInteger(value)) ? String(value) : undefined;
}

/** The values of one use of an option, or undefined when `value` has the wrong shape. */
function oneUse(option: SandboxOption, value: unknown): string[] | undefined {
  if (option.args.length === 1) {
    const s = scalar(value);
    return s === undefined ? undefined : [s];
  }
  if (!Array.isArray(value) || value.length !== option.args.length) return undefined;
  const values = value.map(scalar);
  return values.every((s) => s !== undefined) ? (values as string[]) : undefined;
}

function shapeOf(option: SandboxOption): string {
  if (option.args.length === 0) return "true or false";
  if (option.args.length === 1) return `a ${option.args[0]} or a list of them`;
  return `[${option.args.join(", ")}] or a list of them`;
}

function entriesFor(option: SandboxOption, key: string, value: unknown, where: string): ProfileEntry[] {
  if (option.args.length === 0) {
    if (typeof value !== "boolean") throw new UsageError(`${where}: ${key} must be ${shapeOf(option)}`);
    return value ? [{ option, values: [], where }] : [];
  }
  // `setenv = { KEY = "value" }` reads better than a list of pairs.
  if (option.name === "setenv" && value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value).map(([k, val], i) => {
      const s = scalar(val);
      if (s === undefined) throw new UsageError(`${where}.${k}: must be a string`);
      return { option, values: [k, s], where: `${where}.${i}` };
    });
  }
  const single = oneUse(option, value);
  if (single) return [{ option, values: single, where }];
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      const values = oneUse(option, item);
      if (!values) throw new UsageError(`${where}.${i}: ${key} entries must be ${shapeOf(option)}`);
      return { option, values, where: `${where}.${i}` };
    });
  }
  throw new UsageError(`${where}: ${key} must be ${shapeOf(option)}`);
}

/** Parses profile text; `file` names it in every message. */
export function parseProfile(text: string, file: string): ProfileEntry[] {
  let data: unknown;
  try {
    data = file.endsWith(".json") ? JSON.parse(text) : Bun.TOML.parse(text);
  } catch (e) {
    throw new UsageError(`profile ${file}: not valid ${file.endsWith(".json") ? "JSON" : "TOML"}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new UsageError(`profile ${file}: must be a table of options`);
  return Object.entries(data).flatMap(([key, value]) => {
    const option = findSandboxOption(key);
    if (!option) throw new UsageError(`profile ${file}: '${key}' is not a sandbox option (see nsbox help run)`);
    return entriesFor(option, key, value, `profile ${file} at ${key}`);
  });
}

export function loadProfile(file: string): ProfileEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`profile ${file}: cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseProfile(text, file);
}
