// The front's layout (src/native/FRONT.md) for tests, in a private mount namespace held by a
// process of the test's own: a tmpfs over /usr/local/lib with the installed stage, nsbox beside
// it and a `nsbox` symlink to the stage in a bin dir, and a tmpfs state root over /run/nsbox. The
// host's own /usr/local/lib and /run/nsbox are never touched. Entries are written with nsbox's own
// encoder (core/front-entry.ts) from `nsbox plan --wire`/`--json` of the line, reaching the
// namespace's files through /proc/HOLDER/root.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathDep } from "../../src/core/file-deps.ts";
import { encodeFrontEntry, frontEntryName, type FrontEntry } from "../../src/core/front-entry.ts";
import { NSBOX, readUntil, type Result } from "./harness.ts";

export const DIR = "/usr/local/lib/nsbox";
export const STAGE = `${DIR}/nsbox-stage`;
export const SIBLING = `${DIR}/nsbox`;
/** What users run: a symlink to the stage, named nsbox. */
export const LINK = "/usr/local/lib/bin/nsbox";
/** A file the test entries depend on (a `dep`), and a path that must stay missing (`dep-type`). */
export const DEP = "/usr/local/lib/dep-file";
export const NO_DEP = "/usr/local/lib/no-such-file";
const BUILT_STAGE = NSBOX.replace(/nsbox$/, "nsbox-stage");

/** A program printing its argv, environment and open fds above 2, one per line: nsbox beside the stage in most tests, so a miss shows what it was given. */
const SHOW = `#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
int main(int c, char **v, char **e) {
  DIR *d = opendir("/proc/self/fd"); struct dirent *f; int i;
  puts("sibling");
  for (i = 0; i < c; i++) printf("argv %s\\n", v[i]);
  for (; *e; e++) printf("env %s\\n", *e);
  while (d && (f = readdir(d))) if (atoi(f->d_name) > 2 && atoi(f->d_name) != dirfd(d)) printf("fd %s\\n", f->d_name);
  return 7;
}`;

export interface Run extends Result {
  pid: number;
}

export interface Caller {
  uid: number;
  gid: number;
  /** The state root of the caller (FRONT.md "Where the entry is"), as seen inside. */
  root: string;
  env: Record<string, string>;
  cwd: string;
  /** Effective uid and gid when they differ from uid and gid (a set-user-ID caller). */
  euid?: number;
}

export class FrontLayout {
  private constructor(private readonly holder: ReturnType<typeof Bun.spawn>) {}

  /** Made before the tests and closed after them. */
  static async open(tmp: string): Promise<FrontLayout> {
    const show = join(tmp, "show-args");
    writeFileSync(`${show}.c`, SHOW);
    const cc = Bun.spawnSync(["musl-gcc", "-static", "-O2", "-o", show, `${show}.c`]);
    if (cc.exitCode !== 0) throw new Error(`musl-gcc: ${cc.stderr}`);
    // The mount point of the private state root: nsbox makes /run/nsbox itself on any run.
    mkdirSync("/run/nsbox", { recursive: true, mode: 0o700 });
    const script = `
      mount -t tmpfs -o mode=0755 nsbox-front-test /usr/local/lib
      mkdir -m 0755 ${DIR} /usr/local/lib/bin /usr/local/lib/show
      install -m 0755 ${BUILT_STAGE} ${STAGE}
      ln -s ../show/show-args ${SIBLING}
      ln -s ../nsbox/nsbox-stage ${LINK}
      install -m 0755 ${show} /usr/local/lib/show/show-args
      echo one > ${DEP}
      mount -t tmpfs -o mode=0700 nsbox-front-state /run/nsbox
      echo ready
      exec sleep infinity`;
    const holder = Bun.spawn(["unshare", "-m", "--propagation", "private", "sh", "-ec", script], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
    await readUntil(holder.stdout as ReadableStream<Uint8Array>, "ready");
    return new FrontLayout(holder);
  }

  close(): void {
    this.holder.kill("SIGKILL");
  }

  /** A path inside the namespace, from the test's own. */
  inside(path: string): string {
    return `/proc/${this.holder.pid}/root${path}`;
  }

  /** argv run inside the namespace (nsenter execs it: the pid is argv's), as uid/gid with exactly env in cwd. */
  private argvIn(c: Pick<Caller, "uid" | "gid" | "env" | "cwd" | "euid">, argv: string[]): string[] {
    const set = c.euid === undefined ? [`--reuid=${c.uid}`, `--regid=${c.gid}`] : [`--ruid=${c.uid}`, `--rgid=${c.gid}`, `--euid=${c.euid}`, `--egid=${c.euid}`];
    const ids = c.uid === 0 && c.euid === undefined ? [] : ["setpriv", ...set, "--clear-groups"];
    return ["nsenter", "-t", String(this.holder.pid), "-m", "-r", `--wdns=${c.cwd}`, "--", ...ids, "env", "-i", ...Object.entries(c.env).map(([k, v]) => `${k}=${v}`), ...argv];
  }

  run(c: Pick<Caller, "uid" | "gid" | "env" | "cwd" | "euid">, argv: string[]): Run {
    const r = Bun.spawnSync(this.argvIn(c, argv), { stdin: "ignore", timeout: 20_000 });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString(), pid: r.pid };
  }

  spawn(c: Pick<Caller, "uid" | "gid" | "env" | "cwd">, argv: string[]) {
    return Bun.spawn(this.argvIn(c, argv), { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  }

  /** A shell on the namespace's side, as root (setup and checks). */
  sh(script: string): Result {
    const r = Bun.spawnSync(["nsenter", "-t", String(this.holder.pid), "-m", "--", "sh", "-ec", script], { timeout: 20_000 });
    return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  /** The caller's state root made the way nsbox makes it: ROOT, plans, names, sandboxes, 0700, the caller's. */
  makeRoot(c: Caller): void {
    for (const d of [c.root, `${c.root}/plans`, `${c.root}/names`, `${c.root}/sandboxes`]) {
      const p = this.inside(d);
      if (!existsSync(p)) mkdirSync(p, { mode: 0o700 });
      chmodSync(p, 0o700);
      chownSync(p, c.uid, c.gid);
    }
  }

  /** nsbox itself, with the caller's identity and environment: the wire and spec of `args`. */
  plan(c: Caller, args: string[]): { wire: Buffer; json: string } {
    const opts = args.slice(args.indexOf("run") + 1);
    const wire = Bun.spawnSync(this.argvIn(c, [NSBOX, "plan", "--wire", ...opts]));
    const json = Bun.spawnSync(this.argvIn(c, [NSBOX, "plan", "--json", ...opts]));
    if (wire.exitCode !== 0 || json.exitCode !== 0) throw new Error(`plan: ${wire.stderr}${json.stderr}`);
    return { wire: Buffer.from(wire.stdout), json: JSON.stringify(JSON.parse(json.stdout.toString())) };
  }

  /** Writes ROOT/plans/front-<key> for `args` (argv[1..]) run by c; `change` alters the entry before it is encoded. */
  writeEntry(c: Caller, args: string[], opts: { change?: (e: FrontEntry) => FrontEntry } = {}): string {
    const { wire, json } = this.plan(c, args);
    const entry: FrontEntry = {
      stage: statSync(this.inside(STAGE), { bigint: true }),
      nsbox: statSync(this.inside(SIBLING), { bigint: true }),
      kernel: [procText("osrelease"), procText("version")],
      deps: [{ ...pathDep(this.inside(DEP), true), path: DEP }, { path: NO_DEP, type: "missing" }, { path: "/etc", type: "dir" }],
      state: c.root,
      spec: JSON.parse(json),
      wire,
    };
    const file = `${c.root}/plans/${frontEntryName(args, c)}`;
    writeFileSync(this.inside(file), encodeFrontEntry(opts.change ? opts.change(entry) : entry), { mode: 0o600 });
    chownSync(this.inside(file), c.uid, c.gid);
    return file;
  }
}

function procText(name: string): string {
  return readFileSync(`/proc/sys/kernel/${name}`, "utf8").trimEnd();
}
