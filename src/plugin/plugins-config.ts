// plugins.toml: which plugins are added (built-in) or installed (third-party), their settings and,
// for installed ones, the sha256 of every file copied. Its schema, and a writer for exactly this
// shape (tables of string keys and values; Bun.TOML reads it). Pure: core/plugins reads and writes.
import * as v from "valibot";
import { PLUGIN_NAME_PATTERN } from "./check-plugin.ts";

const Sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "must be a sha256 in lowercase hex"));
/** A path inside the plugin's folder: relative, no `..`, no empty or `.` parts. */
const RelativePath = v.pipe(
  v.string(),
  v.check((p) => p !== "" && !p.startsWith("/") && p.split("/").every((c) => c !== "" && c !== "." && c !== ".."), "must be a relative path inside the plugin's folder"),
);

export const PluginEntry = v.strictObject({
  kind: v.picklist(["built-in", "installed"]),
  version: v.optional(v.string()),
  description: v.optional(v.string()),
  /** Installed: the file nsbox imports, relative to its folder. */
  entry: v.optional(RelativePath),
  /** Installed: where it was copied from (for people; never read back as a path to load). */
  source: v.optional(v.string()),
  /** When it was added, ISO 8601. */
  added: v.optional(v.string()),
  /** `nsbox plugin add NAME --set key=value`. */
  config: v.optional(v.record(v.string(), v.string()), {}),
  /** Installed: every file of its folder and its sha256; anything else there is refused. */
  files: v.optional(v.record(RelativePath, Sha256), {}),
});
export type PluginEntry = v.InferOutput<typeof PluginEntry>;

export const PluginsConfig = v.record(v.pipe(v.string(), v.regex(PLUGIN_NAME_PATTERN, "is not a plugin name")), PluginEntry);
export type PluginsConfig = v.InferOutput<typeof PluginsConfig>;

/** A TOML basic string: quotes, backslashes and control characters escaped (TOML 1.0 §String). */
export function tomlString(s: string): string {
  const named: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    out += named[ch] ?? (code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, "0")}` : ch);
  }
  return `${out}"`;
}

const SCALAR_KEYS = ["kind", "version", "description", "entry", "source", "added"] as const;

/** Renders the config: one `[name]` table per plugin (sorted), then its `config` and `files`. */
export function renderPluginsToml(config: PluginsConfig): string {
  const lines = ["# nsbox plugins: written by `nsbox plugin add` and `nsbox plugin remove`.", ""];
  const table = (header: string, record: Record<string, string>) => {
    const keys = Object.keys(record).sort();
    if (keys.length === 0) return;
    lines.push(`[${header}]`, ...keys.map((k) => `${tomlString(k)} = ${tomlString(record[k]!)}`), "");
  };
  for (const name of Object.keys(config).sort()) {
    const entry = config[name]!;
    lines.push(`[${name}]`);
    for (const k of SCALAR_KEYS) if (entry[k] !== undefined) lines.push(`${k} = ${tomlString(entry[k]!)}`);
    lines.push("");
    table(`${name}.config`, entry.config);
    table(`${name}.files`, entry.files);
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** Parses the file's text: the config, or why it is not one (`× … → at hello.kind`). */
export function parsePluginsToml(text: string): { ok: true; config: PluginsConfig } | { ok: false; message: string } {
  let data: unknown;
  try {
    data = Bun.TOML.parse(text);
  } catch (e) {
    return { ok: false, message: `not valid TOML: ${(e as Error).message}` };
  }
  const result = v.safeParse(PluginsConfig, data);
  if (result.success) return { ok: true, config: result.output };
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  return { ok: false, message: `× ${issue.message}${path ? ` → at ${path}` : ""}` };
}
