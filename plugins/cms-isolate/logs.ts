// `logs NAME [--follow]`: the server's stdout and stderr as `up` kept them (the instance's log in
// the plugin's state, and the generation before it, NAME.log.1, oldest first). `--follow` prints
// what is appended as it comes, across rotations, woken by inotify through fs.watch, and ends
// when the log is removed (`down`) or on Ctrl-C.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { flagsOf, scanArgs, UsageError, type CommandContext } from "nsbox/plugin";
import { logPath } from "./records.ts";
import { recordOf } from "./status.ts";

export const LOGS_USAGE = "nsbox cms-isolate logs NAME [--follow]";

/** How much of a log's end lastLogLine reads: the instance decides how large its log grows. */
const LAST_LINE_TAIL = 64 * 1024;

/** A failed start's last words: its log's last line (read from the end only), without nsbox's own prefix. */
export function lastLogLine(path: string): string {
  let tail = "";
  if (existsSync(path)) {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const buf = new Uint8Array(Math.min(size, LAST_LINE_TAIL));
      tail = new TextDecoder().decode(buf.subarray(0, readSync(fd, buf, 0, buf.length, size - buf.length)));
    } finally {
      closeSync(fd);
    }
  }
  const lines = tail.split("\n").filter((l) => l.trim() && !l.startsWith("--- "));
  return (lines.at(-1) ?? "it ended without a word").replace(/^nsbox: (plugin cms-isolate: )?/, "");
}

/** Copies bytes `from` onwards to stdout; returns the new end. */
function copyFrom(fd: number, from: number, ctx: CommandContext, text: TextDecoder): number {
  const buf = new Uint8Array(64 * 1024);
  let at = from;
  // stream: a character split between two reads is completed by the next one.
  for (let n; (n = readSync(fd, buf, 0, buf.length, at)) > 0; at += n) ctx.stdout(text.decode(buf.subarray(0, n), { stream: true }));
  return at;
}

const inodeOf = (path: string) => statSync(path, { throwIfNoEntry: false })?.ino;

/** Prints a whole generation the reader has not seen (when its inode is none of `seen`). */
function printGeneration(path: string, seen: readonly (number | undefined)[], ctx: CommandContext, text: TextDecoder): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return; // rotated away meanwhile: the next generation has what follows
  }
  try {
    if (!seen.includes(fstatSync(fd).ino)) copyFrom(fd, 0, ctx, text);
  } finally {
    closeSync(fd);
  }
}

/**
 * The log as it grows, across rotations. The supervisor rotates by making `NAME.log.1` a link of
 * the full log and renaming a new file over `NAME.log` (src/native/stage/log-file.c), so the name
 * is never missing: the file being read is read to its end, and when `NAME.log` is another file
 * now, reading goes on there from its start (after a whole generation in between, if two
 * rotations came before this looked). A log cut shorter (truncated by hand) is read again from
 * its start. Ends when the log is removed (`down`).
 */
async function follow(path: string, first: { fd: number; at: number }, ctx: CommandContext, text: TextDecoder): Promise<void> {
  let { fd, at } = first;
  await new Promise<void>((resolve) => {
    const stop = () => {
      watcher.close();
      clearInterval(poll);
      resolve();
    };
    const catchUp = () => {
      for (;;) {
        if (fstatSync(fd).size < at) at = 0;
        at = copyFrom(fd, at, ctx, text);
        const now = inodeOf(path);
        const reading = fstatSync(fd).ino;
        if (now === undefined) return stop();
        if (now === reading) return;
        // Rotated: what reached this file between the read above and the rotation, then the
        // generation in between, if there was one.
        copyFrom(fd, at, ctx, text);
        printGeneration(`${path}.1`, [reading, now], ctx, text);
        let next: number;
        try {
          next = openSync(path, "r");
        } catch {
          return stop();
        }
        closeSync(fd);
        fd = next;
        at = 0;
      }
    };
    // The directory, not the file: a rotation puts a new file at the name.
    const name = basename(path);
    const watcher = watch(dirname(path), (_event, file) => {
      if (file === name || file === `${name}.1`) catchUp();
    });
    watcher.on("error", stop);
    // inotify can drop events (a full queue: inotify(7)); like tail -F, look once a second too.
    const poll = setInterval(catchUp, 1000);
    // What was appended between the first read and the watch.
    catchUp();
  });
  closeSync(fd);
}

export async function logsCommand(args: readonly string[], ctx: CommandContext): Promise<number> {
  const s = scanArgs(args, { shape: (n) => (n === "follow" || n === "f" ? { args: [] } : undefined), words: "collect", hint: `usage: ${LOGS_USAGE}` });
  const words = s.items.flatMap((i) => (i.kind === "word" ? [i.value] : []));
  if (words.length > 1 || s.rest.length) throw new UsageError(`unexpected '${words[1] ?? s.rest[0]}'`, `usage: ${LOGS_USAGE}`);
  const r = recordOf(ctx, words[0], LOGS_USAGE);
  const path = logPath(ctx.state, r.name);
  if (!existsSync(path)) {
    // Started by `run`: its output went to its caller.
    ctx.log.warn(`instance ${r.name} has no log: run's output goes to its caller (under systemd: journalctl -u nsbox-cms@${r.name})`);
    return 0;
  }
  const fd = openSync(path, "r");
  const text = new TextDecoder();
  let end: number;
  try {
    // Oldest first: the generation before (unless a rotation made it the file just opened).
    printGeneration(`${path}.1`, [fstatSync(fd).ino], ctx, text);
    end = copyFrom(fd, 0, ctx, text);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  if (flagsOf(s).length) await follow(path, { fd, at: end }, ctx, text);
  else closeSync(fd);
  return 0;
}
