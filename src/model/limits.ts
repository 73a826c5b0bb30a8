// Resource limits as data: rlimits (setrlimit(2), per process) and cgroup limits (memory, pids,
// cpu; for the whole sandbox). Parsing of the human forms ("64M", "0.5", "NOFILE=1024:2048")
// lives here too, so flags and profiles agree. Pure.

/** RLIMIT_* names the stage knows (WIRE.md `rlimit`). */
export const RLIMIT_NAMES = [
  "CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS", "LOCKS",
  "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
] as const;

/** `inf` is RLIM_INFINITY. */
export type RlimitValue = number | "inf";

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `64M`, `1G`, `512K`, `1048576` → bytes; undefined when malformed. */
export function parseBytes(text: string): number | undefined {
  const m = /^([0-9]+)([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!m) return undefined;
  const bytes = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** `0.5` (half a CPU) → a cpu.max quota per 100 ms period, in microseconds. */
export function parseCpu(text: string): number | undefined {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text.trim())) return undefined;
  const quota = Math.round(Number(text) * 100_000);
  return quota >= 1000 && quota <= 100_000 * 4096 ? quota : undefined;
}

function parseRlimitValue(text: string): RlimitValue | undefined {
  if (text === "inf" || text === "unlimited") return "inf";
  if (!/^(0|[1-9][0-9]*)$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `NOFILE=1024` or `NOFILE=1024:4096` → the name and the soft and hard values. */
export function parseRlimit(text: string): { name: string; soft: RlimitValue; hard: RlimitValue } | string {
  const m = /^([A-Za-z_]+)=([^:]+)(?::(.+))?$/.exec(text);
  if (!m) return `'${text}' is not NAME=SOFT[:HARD]`;
  const name = m[1]!.toUpperCase().replace(/^RLIMIT_/, "");
  if (!(RLIMIT_NAMES as readonly string[]).includes(name)) return `unknown rlimit '${m[1]}' (one of ${RLIMIT_NAMES.join(", ")})`;
  const soft = parseRlimitValue(m[2]!);
  const hard = m[3] === undefined ? soft : parseRlimitValue(m[3]);
  if (soft === undefined || hard === undefined) return `'${text}': values are whole numbers or inf`;
  if (hard !== "inf" && (soft === "inf" || soft > hard)) return `'${text}': the soft limit is above the hard one`;
  return { name, soft, hard };
}
