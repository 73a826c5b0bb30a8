// Text tables for listing commands (`ps`, `ns ls`): aligned columns two spaces apart, the last
// one unpadded so a long command line cannot push the others out of line.

/** `rows[0]` is the header; `right[i]` right-aligns column i (numbers). */
export function alignColumns(rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const cell = (c: string, i: number, last: boolean) => (last ? c : right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!));
  return rows.map((r) => `${r.map((c, i) => cell(c, i, i === r.length - 1)).join("  ").trimEnd()}\n`).join("");
}
