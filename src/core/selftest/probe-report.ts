// The probe program's output (src/native/probe/report.c): one line per probe, `probe NAME
// key=value ...`, `hold NAME phase=P ...` while it waits for nsbox to look, `done all` at the end.
// Values are plain words or hex; parsing is pure and never throws on a malformed line.

export interface ProbeLine {
  kind: "probe" | "hold" | "done";
  name: string;
  fields: Readonly<Record<string, string>>;
}

/** One line, or undefined when it is not one the probe writes (it is then ignored). */
export function parseProbeLine(line: string): ProbeLine | undefined {
  const words = line.trim().split(/\s+/);
  const [kind, name, ...rest] = words;
  if ((kind !== "probe" && kind !== "hold" && kind !== "done") || !name) return undefined;
  const fields: Record<string, string> = {};
  for (const w of rest) {
    const eq = w.indexOf("=");
    if (eq > 0) fields[w.slice(0, eq)] = w.slice(eq + 1);
  }
  return { kind, name, fields };
}

/** The `data=` bytes of a line as text (latin1: any byte maps to one character). */
export function probeData(line: ProbeLine | undefined): string {
  const hex = line?.fields.data ?? "";
  if (!/^([0-9a-f]{2})*$/.test(hex)) return "";
  return Buffer.from(hex, "hex").toString("latin1");
}

export function probeOk(line: ProbeLine | undefined): boolean {
  return line?.fields.ok === "1";
}

/** `step: ERRNO` of a failed attempt, for the report's detail. */
export function probeFailure(line: ProbeLine | undefined): string {
  if (!line) return "no report";
  const { step, errno } = line.fields;
  return [step, errno && errno !== "0" ? errno : undefined].filter(Boolean).join(": ") || "refused";
}
