// The front's entries (src/native/FRONT.md): a `nsbox run` line whose start needs nothing but a
// record is kept as a file the installed stage, run as `nsbox`, can start by itself next time,
// with no Bun. This writes them; stage/front.c reads them. The key is the caller's argv,
// environment, cwd and ids; the files the context came from are checked by lstat at each use.
import { readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PlanContext } from "../model/context.ts";
import type { NormalSpec } from "../model/normalize.ts";
import { riskWarnings } from "../model/risks.ts";
import { encodeWire, type HostWire } from "../native/wire.ts";
import { sha256Hex } from "../native/sha256.ts";
import { unwritableBindWarnings } from "./bind-access.ts";
import { bindWayDeps } from "./bind-sources.ts";
import { depIdentityFields, identityFields, uniqueDeps, type FileDep, type FileIdentity } from "./file-deps.ts";
import { recordedRangeDeps, type NamedRangeUse } from "./id-ranges.ts";
import { NAME_PATTERN } from "../model/names.ts";
import { planCacheDir, storeCacheFile } from "./plan-cache.ts";
import { embeddedDefaultFilter } from "./seccomp-default.ts";
import { DEFAULT_STAGE_PATH } from "./stage-install.ts";
import { stateRoot } from "./state-dir.ts";

/** A `nsbox run` line as the front sees it: its arguments after `run`... and the caller. */
export interface FrontLine {
  /** argv after the program name: `run`, then the run's own arguments. */
  argv: readonly string[];
  ctx: PlanContext;
  /** The files the context was read from (cli/context.ts planContextDeps). */
  deps: () => FileDep[];
  /** A named root sandbox's id range as planned: its recorded files become dependencies too. */
  range?: NamedRangeUse;
}

const tokens = (...t: readonly string[]) => Buffer.from(t.map((x) => `${x}\0`).join(""));

/** Who runs a line, as far as the key goes. */
type Caller = Pick<PlanContext, "uid" | "gid" | "cwd" | "env">;

/** The key bytes (FRONT.md "The key"). */
export function frontKey(argv: readonly string[], ctx: Caller): Buffer {
  const env = Object.entries(ctx.env).map(([k, v]) => Buffer.from(`${k}=${v}\0`));
  env.sort(Buffer.compare);
  const head = ["nsbox-front-key", "1", "uid", String(ctx.uid), "gid", String(ctx.gid), "cwd", ctx.cwd, "argc", String(argv.length), ...argv, "envc", String(env.length)];
  return Buffer.concat([tokens(...head), ...env]);
}

/** A path the front can use as given: absolute, no empty, `.` or `..` component, no trailing `/`. */
const isCleanAbsolute = (p: string) => /^(\/[^/]+)+$/.test(p) && !p.split("/").some((c) => c === "." || c === "..");

/** The state root as the front finds it from the raw environment, or undefined when it could not. */
function frontStateRoot(ctx: PlanContext): string | undefined {
  if (ctx.uid === 0) return stateRoot(0, ctx.env);
  const base = ctx.env.XDG_RUNTIME_DIR || `/tmp/nsbox-${ctx.uid}`;
  return isCleanAbsolute(base) ? stateRoot(ctx.uid, ctx.env) : undefined;
}

/** The entry's file name in the plans directory: `front-` and the key's sha256. */
export function frontEntryName(argv: readonly string[], ctx: Caller): string {
  return `front-${sha256Hex(frontKey(argv, ctx))}`;
}

function depTokens(d: FileDep): string[] {
  if ("type" in d) return ["dep-type", d.path, d.type];
  if ("uid" in d) return ["dep-owner", d.path, String(d.uid), String(d.mode)];
  return ["dep", d.path, ...depIdentityFields(d)];
}

/** Dependencies an entry may hold (FRONT.md: FRONT_MAX_DEPS in stage/front.c). */
const FRONT_MAX_DEPS = 64;

export interface FrontEntry {
  stage: FileIdentity;
  nsbox: FileIdentity;
  kernel: readonly [release: string, version: string];
  deps: readonly FileDep[];
  state: string;
  spec: NormalSpec;
  wire: Uint8Array;
}

/** The entry's format: the front serves only entries of its own (FRONT.md "The entry"). */
export const FRONT_ENTRY_FORMAT = "3";

/** The entry's bytes (FRONT.md "The entry"); the sandbox's name (empty: `pid-PID`) is the spec's. */
export function encodeFrontEntry(e: FrontEntry): Buffer {
  const body = Buffer.concat([
    tokens("stage", ...identityFields(e.stage), "nsbox", ...identityFields(e.nsbox), "kernel", ...e.kernel, ...e.deps.flatMap(depTokens), "state", e.state, "name", e.spec.name ?? "", "record", JSON.stringify(e.spec), "wire"),
    e.wire,
  ]);
  return Buffer.concat([tokens("nsbox-front", FRONT_ENTRY_FORMAT, "sum", sha256Hex(body)), body]);
}

const readKernel = (f: string) => readFileSync(`/proc/sys/kernel/${f}`, "utf8").trimEnd();

/** The host's part of a start the front can make itself: the filter, and the record's two files. */
const FRONT_HOST_KEYS = new Set(["seccompBpf", "onExitUnlink"]);

/**
 * Why the front could not start this sandbox as nsbox is about to, or undefined when it can:
 * everything the start prepares besides the record and a built-in filter is nsbox's alone, and
 * so is anything printed at start.
 */
export function frontRefusal(spec: NormalSpec, host: HostWire, stage: string): string | undefined {
  if (stage !== DEFAULT_STAGE_PATH) return "the sandbox does not run the installed stage";
  // The name becomes a file name and a JSON string in C: only what nsbox itself accepts.
  if (spec.name !== undefined && !NAME_PATTERN.test(spec.name)) return "a name the front cannot record";
  // Decided at each start (core/bind-sources.ts): the entry keeps what a safe answer was read
  // from (bindWayDeps), never the flag.
  if (host.noSymlinkBinds?.length) return "a bind on a way others can write";
  const extra = Object.keys(host).filter((k) => !FRONT_HOST_KEYS.has(k));
  if (extra.length || host.onExitUnlink?.length !== 2) return `the start prepares ${extra.join(", ") || "more than a record"}`;
  if (spec.process.keepFds.length) return "--keep-fd";
  if (spec.mounts.some((m) => m.kind === "bind" && m.state)) return "a state directory";
  if (host.seccompBpf && !embeddedDefaultFilter(spec.security.seccomp)) return "a seccomp filter compiled at start";
  if (riskWarnings(spec).length || unwritableBindWarnings(spec).length) return "warnings printed at start";
  return undefined;
}

/** Whether the front is installed: this nsbox runs from beside the installed stage (FRONT.md "Layout"). */
export function frontInstalled(self = readlinkSync("/proc/self/exe")): boolean {
  return self === join(dirname(DEFAULT_STAGE_PATH), "nsbox");
}

/** Keeps the front's entry for `line`, which nsbox starts as `spec` with `host` from the installed stage. */
export function keepFrontEntry(line: FrontLine, spec: NormalSpec, host: HostWire, stage: string): string | undefined {
  const refusal = frontRefusal(spec, host, stage);
  const state = frontStateRoot(line.ctx);
  if (refusal || !state) return refusal ?? "the state directory is not a plain absolute path";
  // A named root sandbox runs in its name's range for as long as the files recording it stay.
  const rangeDeps = line.range ? recordedRangeDeps(line.ctx, line.range) : [];
  if (!rangeDeps) return "the name's id range is not recorded as planned";
  // The binds' ways as they are now: a directory on one given to another uid later misses.
  const wayDeps = bindWayDeps(spec, line.ctx.uid);
  if (!wayDeps) return "a bind on a way others can write";
  const deps = uniqueDeps([...line.deps(), ...rangeDeps, ...wayDeps]);
  if (deps.length > FRONT_MAX_DEPS) return `more than ${FRONT_MAX_DEPS} files to check`;
  const entry = encodeFrontEntry({
    stage: statSync(stage, { bigint: true }),
    nsbox: statSync("/proc/self/exe", { bigint: true }),
    kernel: [readKernel("osrelease"), readKernel("version")],
    deps,
    state,
    spec,
    // The front adds the record's on-exit-unlink lines itself: they name its own pid.
    wire: encodeWire(spec, { seccompBpf: host.seccompBpf }),
  });
  storeCacheFile(planCacheDir(line.ctx.uid, line.ctx.env), frontEntryName(line.argv, line.ctx), entry, line.ctx.uid);
  return undefined;
}
