// The release's public key is pinned in three places; they must be the same key.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./fixture.ts";

test("keys/nsbox-release.pub, install.sh and README.md pin the same minisign key", () => {
  const key = readFileSync(join(REPO, "keys/nsbox-release.pub"), "utf8").trim().split("\n").pop()!;
  expect(key).toMatch(/^RW[A-Za-z0-9+/]{54}$/);
  expect(readFileSync(join(REPO, "install.sh"), "utf8")).toContain(`NSBOX_RELEASE_PUBKEY='${key}'`);
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  expect(readme).toContain(`\n${key}\n`);
  expect(readme).toContain(`minisign -V -m SHA256SUMS -P ${key}`);
});
