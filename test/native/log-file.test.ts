// The stage's capped output log (src/native/stage/log-file.c), built alone into a small driver
// with musl-gcc: the driver pumps a FIFO (a pipe, so splice(2) is the path taken, as with the
// sandbox's pipe) into DIR/NAME until EOF, then prints the size of its current generation. The
// test is the only writer of the FIFO and writes in steps, waiting each time until the driver
// took everything, so it can change the directory between steps.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, constants, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compileStatic } from "../../scripts/build.ts";
import { waitFor } from "../priv/harness.ts";

const SOURCES = resolve(import.meta.dir, "../../src/native/stage");
let dir = "";
let driver = "";

const DRIVER = `#include "log-file.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct log_file l;
	int d = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC), src = open(argv[4], O_RDONLY | O_NONBLOCK);
	ssize_t n;
	if (argc != 5 || d < 0 || src < 0 || log_file_open(&l, d, argv[2], strtoull(argv[3], NULL, 10)) < 0) {
		perror("driver");
		return 1;
	}
	for (;;) {
		struct pollfd p = {src, POLLIN, 0};
		poll(&p, 1, -1);
		while ((n = log_file_pump(&l, src)) > 0)
			;
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EINTR) {
			perror("pump");
			return 1;
		}
	}
	printf("%llu\\n", (unsigned long long)l.size);
	return 0;
}
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nsbox-log-file-"));
  writeFileSync(join(dir, "driver.c"), DRIVER);
  driver = join(dir, "driver");
  compileStatic(["musl-gcc"], dir, driver, "the log-file driver", [`-I${SOURCES}`], [join(SOURCES, "log-file.c")]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Distinct lines of 14 bytes, so a byte out of place shows. */
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${String(from + i).padStart(8, "0")}\n`).join("");

let runs = 0;

/** A driver on a fresh FIFO writing logs/NAME with `max` bytes a generation. */
function startDriver(logs: string, max: number) {
  const fifo = join(dir, `fifo-${++runs}`);
  if (Bun.spawnSync(["mkfifo", fifo]).exitCode !== 0) throw new Error("mkfifo failed");
  // O_RDWR: the open does not wait for a reader, and this fd stays the FIFO's only writer.
  const w = openSync(fifo, constants.O_RDWR);
  const proc = Bun.spawn([driver, logs, "out.log", String(max), fifo], { stdout: "pipe", stderr: "pipe" });
  const file = join(logs, "out.log");
  const onDisk = () => (existsSync(file) ? statSync(file).size : 0) + (existsSync(`${file}.1`) ? statSync(`${file}.1`).size : 0);
  const read = (f: string) => (existsSync(f) ? readFileSync(f, "latin1") : "");
  return {
    /** Writes `text` and waits until the driver took it all (the FIFO is empty again). */
    async write(text: string, taken: () => boolean) {
      writeSync(w, text);
      await waitFor(taken, "the driver took what was written");
    },
    onDisk,
    fd: w,
    /** The older generation, then the current one. */
    tail: () => read(`${file}.1`) + read(file),
    async end(): Promise<{ code: number; size: number; stderr: string }> {
      closeSync(w);
      const code = await proc.exited;
      return { code, size: Number(await new Response(proc.stdout).text()), stderr: await new Response(proc.stderr).text() };
    },
  };
}

function freshDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

describe("the capped log", () => {
  test("1 MiB through a 64 KiB generation: at most two generations on disk, holding the newest bytes in order", async () => {
    const logs = freshDir("many");
    const d = startDriver(logs, 64 * 1024);
    const text = lines(0, 75_000); // 1 MiB
    for (let at = 0; at < text.length; at += 100_000) {
      const upTo = Math.min(at + 100_000, text.length);
      // Taken: the log ends with what was written last.
      await d.write(text.slice(at, upTo), () => d.tail().endsWith(text.slice(upTo - 1000, upTo)));
      expect(d.onDisk()).toBeLessThanOrEqual(2 * 64 * 1024);
    }
    const r = await d.end();
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const older = readFileSync(join(logs, "out.log.1"), "latin1");
    const newer = readFileSync(join(logs, "out.log"), "latin1");
    expect(older.length).toBe(64 * 1024);
    expect(newer.length).toBeLessThanOrEqual(64 * 1024);
    expect(newer.length).toBe(r.size);
    // Rotation cuts at the byte: the two read one after the other are the input's tail, whole.
    expect(older + newer).toBe(text.slice(text.length - older.length - newer.length));
    expect(lstatSync(join(logs, "out.log")).mode & 0o777).toBe(0o600);
    expect(existsSync(join(logs, "out.log.new"))).toBe(false);
  });

  test("an existing log is appended to, and what it held counts toward its generation", async () => {
    const logs = freshDir("existing");
    writeFileSync(join(logs, "out.log"), "x".repeat(10_000), { mode: 0o600 });
    const d = startDriver(logs, 16 * 1024);
    const text = lines(0, 600); // 8400 bytes: 18400 in all, one rotation at 16384
    await d.write(text, () => d.onDisk() === 10_000 + text.length);
    expect((await d.end()).code).toBe(0);
    const older = readFileSync(join(logs, "out.log.1"), "latin1");
    expect(older.length).toBe(16 * 1024);
    expect(older.startsWith("x".repeat(10_000) + "line 00000000")).toBe(true);
    expect(older + readFileSync(join(logs, "out.log"), "latin1")).toBe("x".repeat(10_000) + text);
  });

  test("symlinks planted at the log, its older generation and its next one are replaced, never written through", async () => {
    const logs = freshDir("links");
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    for (const name of ["out.log", "out.log.1", "out.log.new"]) symlinkSync(victim, join(logs, name));
    const d = startDriver(logs, 4096);
    const text = lines(0, 1000);
    await d.write(text, () => d.onDisk() === 4096 + (text.length % 4096));
    expect((await d.end()).code).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    for (const name of ["out.log", "out.log.1"]) expect(lstatSync(join(logs, name)).isFile()).toBe(true);
    expect(existsSync(join(logs, "out.log.new"))).toBe(false);
  });

  test("a hard link at the log (another file's second name) is replaced, not appended to", async () => {
    const logs = freshDir("hardlink");
    const victim = join(logs, "victim");
    writeFileSync(victim, "precious\n");
    linkSync(victim, join(logs, "out.log"));
    const d = startDriver(logs, 64 * 1024);
    await d.write("hello\n", () => d.onDisk() === 6);
    expect((await d.end()).code).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(readFileSync(join(logs, "out.log"), "utf8")).toBe("hello\n");
    expect(statSync(victim).nlink).toBe(1);
  });

  test("a log removed while written (its sandbox's records removed) is not made again: the file is emptied at the cap instead", async () => {
    const logs = freshDir("removed");
    const d = startDriver(logs, 4096);
    const text = lines(0, 200); // 2800 bytes
    await d.write(text, () => d.onDisk() === text.length);
    unlinkSync(join(logs, "out.log"));
    // Twice that passes the cap: the rotation finds no log at the name and truncates its own.
    writeSync(d.fd, lines(200, 200));
    const r = await d.end();
    expect(r.code).toBe(0);
    expect(r.size).toBe(2 * text.length - 4096);
    expect(existsSync(join(logs, "out.log"))).toBe(false);
    expect(existsSync(join(logs, "out.log.1"))).toBe(false);
  });
});
