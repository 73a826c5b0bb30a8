// The stage's C files depend on each other one way only: a file that calls a function (or uses a
// variable) defined in another depends on it, and no chain of such uses leads back. Read from the
// sources: the global definitions of each file, then which other files name them.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const STAGE = join(import.meta.dir, "../../src/native/stage");

/** Source without comments and string contents, so neither can look like a use. */
const strip = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, "").replace(/"(?:\\.|[^"\\])*"/g, '""');

function dependencies(dir: string): Map<string, Set<string>> {
  const files = new Map(readdirSync(dir).filter((f) => f.endsWith(".c")).map((f) => [f, strip(readFileSync(join(dir, f), "utf8"))]));
  const definedIn = new Map<string, string>();
  for (const [file, s] of files) {
    // Non-static function definitions and variables, at the start of a line.
    for (const m of s.matchAll(/^(?!static\b)(?:_Noreturn\s+)?[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;{]*\)\s*\{/gm)) definedIn.set(m[1]!, file);
    for (const m of s.matchAll(/^(?!static\b|extern\b)(?:const\s+)?(?:struct\s+)?\w+\s+\**(\w+)(?:\[[^\]]*\])*\s*(?:=[^;]*)?;/gm)) definedIn.set(m[1]!, file);
  }
  const deps = new Map<string, Set<string>>();
  for (const [file, s] of files) {
    const uses = new Set<string>();
    for (const [name, home] of definedIn) if (home !== file && new RegExp(`\\b${name}\\b`).test(s)) uses.add(home);
    deps.set(file, uses);
  }
  return deps;
}

/** Every cycle found by a depth-first walk, each as the files along it. */
function cycles(deps: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const walk = (file: string, path: string[]) => {
    state.set(file, "open");
    for (const next of deps.get(file) ?? []) {
      if (state.get(next) === "open") found.push([...path.slice(path.indexOf(next)), file, next]);
      else if (!state.has(next)) walk(next, [...path, file]);
    }
    state.set(file, "done");
  };
  for (const file of deps.keys()) if (!state.has(file)) walk(file, []);
  return found;
}

test("the stage's files depend on each other without cycles", () => {
  const deps = dependencies(STAGE);
  // The walk sees real uses: run.c builds the sandbox from the other files, main.c reaches it.
  expect([...deps.get("run.c")!]).toEqual(expect.arrayContaining(["supervisor.c", "mount.c", "report.c"]));
  expect([...deps.get("main.c")!]).toEqual(expect.arrayContaining(["run.c", "front.c", "saved-plan.c"]));
  expect(cycles(deps).map((c) => c.join(" -> "))).toEqual([]);
});

test("the walk finds a cycle when there is one", () => {
  const deps = new Map([["a.c", new Set(["b.c"])], ["b.c", new Set(["c.c"])], ["c.c", new Set(["a.c"])]]);
  expect(cycles(deps).map((c) => c.join(" -> "))).toEqual(["a.c -> b.c -> c.c -> a.c"]);
});
