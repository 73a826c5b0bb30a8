// Logging: consola's small core with a one-line stderr reporter (the default reporter costs
// ~40 ms of start-up). `logger(tag)` gives each module or plugin its own label. Instances are
// made on first use: a start that logs nothing (the usual `run`) builds none.
import { createConsola, type ConsolaInstance, type LogObject } from "consola/core";

function formatArg(a: unknown): string {
  return typeof a === "string" ? a : a instanceof Error ? a.message : JSON.stringify(a);
}

const stderrReporter = {
  log(obj: LogObject) {
    const tag = obj.tag ? `${obj.tag}: ` : "";
    // consola's levels: 0 error (one line, as nsbox prints its own errors), 1 warn, 4 debug.
    const level = obj.level === 1 ? "warning: " : obj.level >= 4 ? "debug: " : "";
    process.stderr.write(`nsbox: ${level}${tag}${obj.args.map(formatArg).join(" ")}\n`);
  },
};

/** Levels: 0 errors only (--quiet), 3 info (default), 4 debug (--verbose). */
let level = 3;
let root: ConsolaInstance | undefined;
// consola copies the level into each tagged child, so remember them for setLogLevel.
const tagged: ConsolaInstance[] = [];

function rootLog(): ConsolaInstance {
  return (root ??= createConsola({ level, reporters: [stderrReporter] }));
}

/** An instance that `make` builds when it is first used; methods come bound to it. */
function onFirstUse(make: () => ConsolaInstance): ConsolaInstance {
  return new Proxy({} as ConsolaInstance, {
    get(_, key) {
      const instance = make();
      const value: unknown = Reflect.get(instance, key, instance);
      return typeof value === "function" ? value.bind(instance) : value;
    },
    set: (_, key, value) => Reflect.set(make(), key, value),
  });
}

export const log: ConsolaInstance = onFirstUse(rootLog);

export function logger(tag: string): ConsolaInstance {
  let child: ConsolaInstance | undefined;
  return onFirstUse(() => {
    if (!child) tagged.push((child = rootLog().withTag(tag)));
    return child;
  });
}

export function setLogLevel(to: number): void {
  level = to;
  if (root) root.level = to;
  for (const child of tagged) child.level = to;
}
