// The stage's SHA-256 (src/native/stage/sha256*.c) against Bun's, on the lengths around every
// block and padding boundary and on input fed in uneven pieces: both the x86 SHA-extensions path
// (when this CPU has it) and the portable one, each built into a small driver with musl-gcc.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compileStatic } from "../../scripts/build.ts";

const SOURCES = resolve(import.meta.dir, "../../src/native/stage");
let dir = "";

// Reads all of stdin, hashes it in pieces of argv[1] bytes, prints the hex digest.
const DRIVER = `#include "sha256.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	static unsigned char buf[1 << 22];
	size_t len = 0, at, piece = argc > 1 ? (size_t)atol(argv[1]) : sizeof buf;
	ssize_t n;
	struct sha256 c;
	char hex[65];
	while ((n = read(0, buf + len, sizeof buf - len)) > 0)
		len += (size_t)n;
	sha256_init(&c);
	for (at = 0; at < len; at += piece)
		sha256_update(&c, buf + at, len - at < piece ? len - at : piece);
	sha256_hex(&c, hex);
	puts(hex);
	return 0;
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nsbox-sha256-"));
  writeFileSync(join(dir, "driver.c"), DRIVER);
  for (const [name, defines] of [["fast", []], ["portable", ["-DSHA256_PORTABLE_ONLY"]]] as const) {
    compileStatic(["musl-gcc"], dir, join(dir, name), `the sha256 driver (${name})`, [...defines, `-I${SOURCES}`], [join(SOURCES, "sha256.c"), join(SOURCES, "sha256-x86.c")]);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function digest(driver: string, data: Uint8Array, piece: number): string {
  const r = Bun.spawnSync([join(dir, driver), String(piece)], { stdin: data, stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  return r.stdout.toString().trim();
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 7) * 17) & 0xff);
const LENGTHS = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 100_003];

for (const driver of ["fast", "portable"]) {
  test(`${driver}: the digest of each length, whole and in uneven pieces, is Bun's`, () => {
    for (const n of LENGTHS) {
      const data = bytes(n);
      const want = new Bun.CryptoHasher("sha256").update(data).digest("hex");
      for (const piece of [1 << 22, 1, 7, 64, 65, 1000]) {
        if (piece < 64 && n > 4096) continue; // the small pieces are covered by the short inputs
        expect(`${n}/${piece} ${digest(driver, data, piece)}`).toBe(`${n}/${piece} ${want}`);
      }
    }
  });
}
