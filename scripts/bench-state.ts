// `bun scripts/bench-state.ts`: the cost of state directories. (1) The ownership walk of a tree of
// 100k files against the hand-built equivalent, `chown -R` (coreutils), each changing every owner.
// (2) What an unchanged state directory adds to a start: prepareStateDirs on a stamped directory
// (goal: at most 0.5 ms), and `nsbox run --state D` against `nsbox run --bind D D`, interleaved.
// Prints figures and ratios; never fails on them. Needs root and a built dist/nsbox.
import { chmodSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { chownTree } from "../src/core/owned-tree.ts";
import { prepareStateDirs, stampPath } from "../src/core/state-directories.ts";
import { planSpec } from "../src/model/plan.ts";
import { readPlanContext } from "../src/cli/context.ts";

const NSBOX = `${import.meta.dir}/../dist/nsbox`;
const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

if (process.getuid!() !== 0) {
  console.log("bench-state: run as root (the walk changes owners)");
  process.exit(0);
}

// Under /var/tmp (a disk), in directories of 1000 files, as a data directory tends to be.
const base = mkdtempSync("/var/tmp/nsbox-bench-state-");
chmodSync(base, 0o755); // the sandbox's root reaches the state directory through it
try {
  const tree = join(base, "tree");
  for (let d = 0; d < FILES / 1000; d++) {
    mkdirSync(join(tree, `d${d}`), { recursive: true });
    for (let f = 0; f < 1000; f++) writeFileSync(join(tree, `d${d}`, `f${f}`), "");
  }
  // Alternating owners, so every run of either tool really changes all of them.
  const walk: number[] = [];
  const chownR: number[] = [];
  for (let i = 0; i < 3; i++) {
    const fd = openSync(tree, constants.O_RDONLY | constants.O_DIRECTORY);
    walk.push(time(() => chownTree(fd, 1879048192 + i * 2, 1879048192 + i * 2, tree)));
    closeSync(fd);
    chownR.push(time(() => Bun.spawnSync(["chown", "-R", `${1879048193 + i * 2}:${1879048193 + i * 2}`, tree])));
  }
  console.log(`ownership walk of ${FILES} files (+${FILES / 1000} dirs), median of 3:`);
  console.log(`  nsbox walk (openat2 + statx + fchownat per inode) ${median(walk).toFixed(0).padStart(6)} ms   ${(median(walk) / median(chownR)).toFixed(2)}x chown -R`);
  console.log(`  chown -R (coreutils)                             ${median(chownR).toFixed(0).padStart(6)} ms`);

  // (2) An unchanged, stamped state directory.
  const dir = join(base, "state");
  const ctx = readPlanContext();
  const plan = planSpec({ process: { argv: ["true"] }, mounts: [{ kind: "bind", src: dir, dst: dir, state: true }] }, ctx);
  if (!plan.ok) throw new Error(JSON.stringify(plan.issues));
  prepareStateDirs(plan.spec); // creates, walks and stamps it
  const again: number[] = [];
  for (let i = 0; i < 200; i++) again.push(time(() => prepareStateDirs(plan.spec)));
  console.log(`second start on an unchanged state dir: prepareStateDirs median ${(median(again) * 1000).toFixed(0)} us over 200 calls (goal <= 500 us)`);

  const withState: number[] = [];
  const withBind: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    withState.push(time(() => Bun.spawnSync([NSBOX, "run", "--state", dir, "--", "true"])));
    withBind.push(time(() => Bun.spawnSync([NSBOX, "run", "--bind", dir, dir, "--", "true"])));
  }
  const delta = median(withState) - median(withBind);
  console.log(`nsbox run -- true, median of ${RUNS} interleaved: --state ${median(withState).toFixed(2)} ms, --bind ${median(withBind).toFixed(2)} ms (${(median(withState) / median(withBind)).toFixed(3)}x, ${delta.toFixed(2)} ms)`);
} finally {
  rmSync(base, { recursive: true, force: true });
  rmSync(stampPath(join(base, "state")), { force: true });
  for (const d of [dirname(stampPath(base)), "/var/lib/nsbox"]) {
    try {
      rmdirSync(d); // only when nothing else is in it
    } catch {}
  }
}
