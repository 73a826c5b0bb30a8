// The layering, read from the source: no import cycles; each layer imports only the ones below it
// (base < model < plugin < core/native < cli; the reference renderers beside model); src/model, src/plugin and the plugins never reach
// bun:ffi, src/core or src/cli; a plugin imports nothing of nsbox but its API (`nsbox/plugin`).
// Type-only imports count: they tie a layer to another as much as value imports do.
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as api from "../../src/plugin/api.ts";
import { closure, importCycles, importSpecifiers, readImportGraph, type ImportGraph } from "./import-graph.ts";

const graph = readImportGraph(["src", "plugins", "examples", "scripts"]);
const API = "src/plugin/api.ts";

/** Which of nsbox's own modules a module may import directly. */
const ALLOWED: readonly [RegExp, RegExp][] = [
  [/^src\/base\//, /^src\/base\//],
  [/^src\/model\//, /^src\/(base|model)\//],
  [/^src\/plugin\//, /^src\/(base|model|plugin)\//],
  // The command reference's renderers (completions, the man page): pure text from a model.
  [/^src\/reference\//, /^src\/(base|reference)\//],
  // The stage's driver sits beside the syscall seam it runs the stage through.
  [/^src\/native\//, /^src\/(base|model|native)\/|^src\/core\/(sys\/|state-dir\.ts$)/],
  [/^src\/core\//, /^src\/(base|model|plugin|native|core)\//],
  // The composition root: the only place that names the built-in plugins.
  [/^src\/cli\/builtin-plugins\.ts$/, /^src\/(base|model|plugin|cli)\/|^plugins\/[^/]+\/index\.ts$/],
  [/^src\/cli\//, /^src\/(base|model|plugin|native|core|cli|reference)\//],
  [/^src\/main\.ts$/, /^src\/cli\/entry\.ts$/],
];

/** nsbox's own modules a module imports (bare packages left out). */
const ownImports = (g: ImportGraph, from: string) => [...(g.edges.get(from) ?? [])].filter((t) => /^(src|plugins|examples|scripts)\//.test(t));

function layeringProblems(g: ImportGraph): string[] {
  const problems: string[] = [];
  for (const from of g.edges.keys()) {
    for (const to of ownImports(g, from)) {
      const plugin = /^(plugins|examples)\/([^/]+)\//.exec(from);
      if (plugin) {
        // A plugin: its own folder and the API, nothing else of nsbox.
        if (to !== API && !to.startsWith(`${plugin[1]}/${plugin[2]}/`)) problems.push(`${from} imports ${to} (a plugin imports only nsbox/plugin)`);
        continue;
      }
      const rule = ALLOWED.find(([f]) => f.test(from));
      if (rule && !rule[1].test(to)) problems.push(`${from} imports ${to}`);
    }
    if (g.edges.get(from)?.has("bun:ffi") && !from.startsWith("src/core/sys/")) problems.push(`${from} imports bun:ffi (only src/core/sys may)`);
  }
  return problems;
}

/** Paths by which the pure layers and the plugins reach bun:ffi, src/core or src/cli. */
function reachProblems(g: ImportGraph): string[] {
  const problems: string[] = [];
  for (const from of g.edges.keys()) {
    if (!/^(src\/(model|plugin|base)|plugins|examples)\//.test(from)) continue;
    for (const [to, path] of closure(g, from)) {
      if (to === "bun:ffi" || /^src\/(core|cli)\//.test(to)) problems.push(path.join(" -> "));
    }
  }
  return problems;
}

describe("the source tree", () => {
  test("has no import cycle", () => {
    expect(importCycles(graph)).toEqual([]);
  });
  test("imports only down the layers; plugins only their API", () => {
    expect(layeringProblems(graph)).toEqual([]);
  });
  test("src/model, src/plugin and the plugins never reach bun:ffi, src/core or src/cli", () => {
    expect(graph.edges.has(API)).toBe(true);
    expect(graph.edges.has("plugins/netzone/index.ts")).toBe(true);
    expect(reachProblems(graph)).toEqual([]);
  });
  test("every value the API module exports is in the object third-party plugins get", () => {
    const exported = Object.keys(api).filter((k) => k !== "pluginApi").sort();
    expect(exported.length).toBeGreaterThan(5);
    expect(Object.keys(api.pluginApi).filter((k) => k !== "apiVersion").sort()).toEqual(exported);
  });
});

describe("the checks themselves", () => {
  const dir = mkdtempSync(join(tmpdir(), "nsbox-imports-"));
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write("src/model/a.ts", 'import { b } from "./b.ts";\n// import { x } from "../cli/x.ts";\n');
  write("src/model/b.ts", 'import type { a } from "./a.ts";\nexport const c = await import("../core/c.ts");\n');
  write("src/core/c.ts", 'import { dlopen } from "bun:ffi";\n');
  write("plugins/p/index.ts", 'import { definePlugin } from "nsbox/plugin";\nimport { b } from "../../src/model/b.ts";\n');
  const fake = readImportGraph(["src", "plugins"], dir);
  rmSync(dir, { recursive: true, force: true });

  test("find a cycle, type-only edges included, and not a commented-out import", () => {
    expect(importCycles(fake)).toEqual([["src/model/a.ts", "src/model/b.ts"]]);
    expect(importSpecifiers('// from "x"\n/* import "y" */\nimport "z";')).toEqual(["z"]);
  });
  test("find an upward import, a plugin reaching past its API, and bun:ffi outside core/sys", () => {
    expect(layeringProblems(fake)).toEqual([
      "src/model/b.ts imports src/core/c.ts",
      "src/core/c.ts imports bun:ffi (only src/core/sys may)",
      "plugins/p/index.ts imports src/model/b.ts (a plugin imports only nsbox/plugin)",
    ]);
    expect(reachProblems(fake)).toContain("plugins/p/index.ts -> src/model/b.ts -> src/core/c.ts -> bun:ffi");
  });
});
