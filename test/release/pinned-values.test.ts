// Values install.sh must share with the rest of the project: the release's public key (pinned in
// three places) and the stage's install path.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_STAGE_PATH } from "../../src/core/stage-install.ts";
import { REPO } from "./fixture.ts";

test("keys/nsbox-release.pub, install.sh and README.md pin the same minisign key", () => {
  const key = readFileSync(join(REPO, "keys/nsbox-release.pub"), "utf8").trim().split("\n").pop()!;
  expect(key).toMatch(/^RW[A-Za-z0-9+/]{54}$/);
  expect(readFileSync(join(REPO, "install.sh"), "utf8")).toContain(`NSBOX_RELEASE_PUBKEY='${key}'`);
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  expect(readme).toContain(`\n${key}\n`);
  expect(readme).toContain(`minisign -V -m SHA256SUMS -P ${key}`);
});

test("install.sh removes the stage where nsbox stage install puts it", () => {
  expect(readFileSync(join(REPO, "install.sh"), "utf8")).toContain(`NSBOX_STAGE_PATH='${DEFAULT_STAGE_PATH}'`);
});
