// Quoting for systemd unit files (systemd.syntax(7), systemd.service(5) "Command lines"): a
// word with spaces or quotes is double-quoted with C escapes; `%` starts a specifier and `$` a
// variable in ExecStart=, so both are doubled. Pure.

/** One word of an ExecStart= command line. */
export function quoteExecWord(word: string): string {
  const escaped = word.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) && escaped !== "") return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t")}"`;
}

export function execLine(argv: readonly string[]): string {
  return argv.map(quoteExecWord).join(" ");
}

/** `Environment="KEY=value"` (specifiers expand here too; `$` does not). */
export function environmentLine(key: string, value: string): string {
  const kv = `${key}=${value}`.replace(/%/g, "%%").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `Environment="${kv}"`;
}

/** A path in BindPaths= and friends: specifiers escaped; a space would split the list, a newline the line. */
export function unitPath(path: string): string {
  return path.replace(/%/g, "%%").replace(/\\/g, "\\\\").replace(/ /g, "\\x20").replace(/\n/g, "\\n").replace(/:/g, "\\:");
}
