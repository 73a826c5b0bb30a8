// Logging: consola's small core with a one-line stderr reporter (the default reporter costs
// ~40 ms of start-up). `logger(tag)` gives each module or plugin its own label.
import { createConsola, type ConsolaInstance, type LogObject } from "consola/core";

function formatArg(a: unknown): string {
  return typeof a === "string" ? a : a instanceof Error ? a.message : JSON.stringify(a);
}

const stderrReporter = {
  log(obj: LogObject) {
    const tag = obj.tag ? `${obj.tag}: ` : "";
    const level = obj.level <= 1 ? "warning: " : obj.level >= 4 ? "debug: " : "";
    process.stderr.write(`nsbox: ${level}${tag}${obj.args.map(formatArg).join(" ")}\n`);
  },
};

/** Levels: 0 errors only (--quiet), 3 info (default), 4 debug (--verbose). */
export const log: ConsolaInstance = createConsola({ level: 3, reporters: [stderrReporter] });

// consola copies the level into each tagged child, so remember them for setLogLevel.
const tagged: ConsolaInstance[] = [];

export function logger(tag: string): ConsolaInstance {
  const child = log.withTag(tag);
  tagged.push(child);
  return child;
}

export function setLogLevel(level: number): void {
  log.level = level;
  for (const child of tagged) child.level = level;
}
