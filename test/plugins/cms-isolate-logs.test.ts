// `cms-isolate logs` against a log rotated the way the stage's supervisor rotates it
// (src/native/stage/log-file.c: NAME.log.1 made a hard link of the full log, then a fresh file
// renamed over NAME.log): the generations oldest first, and --follow going on across rotations,
// two of them between its looks included, until the log is removed.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, linkSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandContext } from "nsbox/plugin";
import { parseInstance } from "../../plugins/cms-isolate/args.ts";
import { logsCommand } from "../../plugins/cms-isolate/logs.ts";
import { writeRecord } from "../../plugins/cms-isolate/records.ts";
import { createStateStore } from "../../src/core/plugins/state-store.ts";
import { waitFor } from "../priv/harness.ts";

const dir = mkdtempSync(join(tmpdir(), "nsbox-cms-logs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function instance(name: string): { ctx: CommandContext; log: string; out: () => string } {
  const state = createStateStore("cms-isolate", join(dir, name));
  writeRecord(state, parseInstance([name, "--code", "/srv/code", "--data", `/srv/${name}`, "--listen", "127.0.0.1:8080"], "usage"), undefined);
  let out = "";
  const ctx = { state, stdout: (s: string) => void (out += s), log: { warn() {} } } as unknown as CommandContext;
  return { ctx, log: join(state.dir, `${name}.log`), out: () => out };
}

/** What the supervisor does when the log is full. */
function rotate(log: string): void {
  rmSync(`${log}.1`, { force: true });
  linkSync(log, `${log}.1`);
  writeFileSync(`${log}.new`, "");
  renameSync(`${log}.new`, log);
}

test("logs: the generation before, then the current one", async () => {
  const w = instance("gen");
  writeFileSync(w.log, "one\n");
  rotate(w.log);
  appendFileSync(w.log, "two\n");
  expect(await logsCommand(["gen"], w.ctx)).toBe(0);
  expect(w.out()).toBe("one\ntwo\n");
});

test("logs --follow: across one rotation, across two between its looks, and to the end when the log is removed", async () => {
  const w = instance("fol");
  writeFileSync(w.log, "a1\n");
  const following = logsCommand(["fol", "--follow"], w.ctx);
  await waitFor(() => w.out() === "a1\n", "the log so far");
  appendFileSync(w.log, "a2\n");
  rotate(w.log);
  appendFileSync(w.log, "b1\n");
  await waitFor(() => w.out() === "a1\na2\nb1\n", "the next generation");
  // Two rotations with no turn of the event loop between: the middle generation is only NAME.log.1 now.
  appendFileSync(w.log, "b2\n");
  rotate(w.log);
  appendFileSync(w.log, "c1\n");
  rotate(w.log);
  appendFileSync(w.log, "d1\n");
  await waitFor(() => w.out().endsWith("d1\n"), "the newest generation");
  expect(w.out()).toBe("a1\na2\nb1\nb2\nc1\nd1\n");
  rmSync(w.log);
  expect(await following).toBe(0);
});
