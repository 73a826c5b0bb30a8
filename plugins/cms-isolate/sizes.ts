// Sizes as the instance's flags take them (--memory, --log-max): a number and a binary unit, the
// way nsbox's own --memory and --log-max read them.

/** `256M`, `64K`, `1G`, `1048576` → bytes; undefined when malformed or past a safe integer. */
export function sizeBytes(text: string): number | undefined {
  const m = /^([0-9]+)([KMGT]?)$/i.exec(text);
  if (!m) return undefined;
  const bytes = Number(m[1]) * 1024 ** " KMGT".indexOf((m[2] || " ").toUpperCase());
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
