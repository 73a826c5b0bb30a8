// docs/plugins.md is enough to write a plugin: the example it marks `doc-test` is taken from the
// page as written, installed with `nsbox plugin add`, and used, in-process on a temp --config-dir.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { nsboxInProcess } from "./in-process.ts";

const page = readFileSync(resolve(import.meta.dir, "../../docs/plugins.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "nsbox-docs-plugin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const nsbox = (...args: string[]) => nsboxInProcess(dir, args);

test("the example plugin of docs/plugins.md installs and plans as the page says", async () => {
  const block = /<!-- doc-test: ([\w.-]+) -->\n```ts\n([\s\S]*?)\n```/.exec(page);
  expect(block).not.toBeNull();
  const file = join(dir, block![1]!);
  writeFileSync(file, `${block![2]}\n`);
  const add = await nsbox("plugin", "add", file, "--config-dir", dir);
  expect({ code: add.code, err: add.err }).toEqual({ code: 0, err: expect.any(String) });
  // The page's own example: `nsbox run --plugin hello --greeting hi -- sh -c 'echo $GREETING'`.
  const plan = await nsbox("plan", "--config-dir", dir, "--json", "--plugin", "hello", "--greeting", "hi", "--", "sh", "-c", "echo $GREETING");
  expect(plan.code).toBe(0);
  expect(JSON.parse(plan.out).process.env.GREETING).toBe("hi");
  const bad = await nsbox("plan", "--config-dir", dir, "--plugin", "hello", "--greeting", "", "--", "true");
  expect({ code: bad.code, err: bad.err.trim() }).toEqual({ code: 2, err: "nsbox: plugin hello: × must not be empty → at greeting (see nsbox plugin info hello)" });
});
