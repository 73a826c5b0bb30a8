// Paths a test run removes once its last test file is done (test/setup.ts, the preload, holds the
// afterAll): for helpers that several test files share, whose own top-level afterAll would belong
// to the first file that loaded them, and bun test fires no process "exit" event.
import { rmSync } from "node:fs";

const paths = new Set<string>();

/** Removes `path` (recursively) when the test run ends; returns it. */
export function removeAtRunEnd(path: string): string {
  paths.add(path);
  return path;
}

/** For test/setup.ts's afterAll. */
export function removeRunTemps(): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
  paths.clear();
}
