// The import graph of nsbox's TypeScript, read from the source (type-only imports included: they
// bind layers as much as value imports do). Used by the layering test; pure apart from reading files.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");

/** Every `from "X"`, `import "X"` and `import("X")` specifier in a TypeScript source text. */
export function importSpecifiers(source: string): string[] {
  // Comments first, so an example in a comment is not an import.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const found: string[] = [];
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]!);
  return found;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : tsFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Bare specifiers that name a module of the repository (tsconfig.json `paths`). */
export const ALIASES: Readonly<Record<string, string>> = { "nsbox/plugin": "src/plugin/api.ts" };

/** A module: its path from the repository root, or a bare specifier (`bun:ffi`, `valibot`). */
export type ModuleId = string;

export interface ImportGraph {
  /** Repository-relative path → the modules it imports (repository-relative, or bare). */
  edges: Map<ModuleId, Set<ModuleId>>;
}

/** The graph of every .ts file under the given repository folders. */
export function readImportGraph(folders: readonly string[], root = REPO): ImportGraph {
  const edges = new Map<ModuleId, Set<ModuleId>>();
  for (const file of folders.flatMap((f) => tsFiles(join(root, f)))) {
    const from = relative(root, file);
    const targets = new Set<ModuleId>();
    for (const spec of importSpecifiers(readFileSync(file, "utf8"))) {
      targets.add(spec.startsWith(".") ? relative(root, resolve(dirname(file), spec)) : (ALIASES[spec] ?? spec));
    }
    edges.set(from, targets);
  }
  return { edges };
}

/** Every module reachable from `start` (itself excluded), with the path that reaches it. */
export function closure(graph: ImportGraph, start: ModuleId): Map<ModuleId, ModuleId[]> {
  const via = new Map<ModuleId, ModuleId[]>();
  const queue: ModuleId[][] = [[start]];
  while (queue.length > 0) {
    const path = queue.shift()!;
    for (const next of graph.edges.get(path.at(-1)!) ?? []) {
      if (next === start || via.has(next)) continue;
      via.set(next, [...path, next]);
      queue.push([...path, next]);
    }
  }
  return via;
}

/** The import cycles: strongly connected components of more than one module, or a self-import (Tarjan). */
export function importCycles(graph: ImportGraph): ModuleId[][] {
  let counter = 0;
  const index = new Map<ModuleId, number>();
  const low = new Map<ModuleId, number>();
  const stack: ModuleId[] = [];
  const onStack = new Set<ModuleId>();
  const cycles: ModuleId[][] = [];
  const visit = (v: ModuleId) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.edges.get(v) ?? []) {
      if (!graph.edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: ModuleId[] = [];
      let w: ModuleId;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.edges.get(v)?.has(v)) cycles.push(scc.sort());
    }
  };
  for (const v of graph.edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
