// The SandboxSpec: a whole sandbox as plain data. This valibot schema is the single source of
// truth for its TypeScript types; flags, profile files and plugins all produce an input for it.
import * as v from "valibot";
import { isCapabilityName } from "./capabilities.ts";
import { RLIMIT_NAMES } from "./limits.ts";
import { NAME_PATTERN, NS_KINDS, ZONE_NAME_PATTERN, type NsKind } from "./names.ts";
import { SeccompPolicy } from "./seccomp-policy.ts";
import { publishAddressProblem } from "./publish.ts";
import { logPathProblem, MIN_LOG_MAX } from "./output-log.ts";

export { NAME_PATTERN, NS_KINDS, ZONE_NAME_PATTERN, type NsKind };

const MAX_PATH = 4095;

/** An absolute path with no empty, `.` or `..` components: what the stage accepts (WIRE.md). */
export const AbsPath = v.pipe(
  v.string(),
  v.startsWith("/", "must be an absolute path"),
  v.maxLength(MAX_PATH, "is longer than 4095 bytes"),
  v.check((p) => !p.includes("\0"), "must not contain a NUL byte"),
  v.check(
    (p) => p === "/" || p.slice(1).split("/").every((c) => c !== "" && c !== "." && c !== ".."),
    "must not contain empty, '.' or '..' components or end with '/'",
  ),
);

const Uint32 = v.pipe(v.number(), v.integer("must be an integer"), v.minValue(0), v.maxValue(0xffffffff));
const FileMode = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0o7777, "must be a mode up to 07777"));

/** How a sandbox gets one namespace: a fresh one, the host's, or one that already exists. */
export const NamespaceMode = v.variant("mode", [
  v.strictObject({ mode: v.literal("new") }),
  v.strictObject({ mode: v.literal("host") }),
  v.strictObject({ mode: v.literal("join"), path: AbsPath }),
]);
export type NamespaceMode = v.InferOutput<typeof NamespaceMode>;

const nsEntries = Object.fromEntries(
  NS_KINDS.map((k) => [k, v.optional(NamespaceMode, { mode: k === "time" ? "host" : "new" })]),
) as Record<NsKind, v.OptionalSchema<typeof NamespaceMode, { mode: "new" | "host" }>>;
export const Namespaces = v.strictObject(nsEntries);

/** One line of uid_map/gid_map (user_namespaces(7)). */
export const IdRange = v.pipe(
  v.strictObject({ inside: Uint32, outside: Uint32, count: v.pipe(Uint32, v.minValue(1, "must be at least 1")) }),
  v.check((r) => r.inside + r.count <= 2 ** 32 && r.outside + r.count <= 2 ** 32, "range overflows 2^32"),
);
export type IdRange = v.InferOutput<typeof IdRange>;

export const Users = v.strictObject({
  /** Empty means "decided by the normaliser from who runs nsbox" (see normalize.ts). */
  uidMap: v.optional(v.array(IdRange), []),
  gidMap: v.optional(v.array(IdRange), []),
  /** Map root inside to the caller (rootless) instead of the caller's own uid. */
  mapRoot: v.optional(v.boolean(), false),
  /** Keep real host root as root inside: explicit, and warned about. */
  mapHostRoot: v.optional(v.boolean(), false),
  /** Idmapped binds may map on-disk id 0: files written through them can be host root's. */
  idmapHostRoot: v.optional(v.boolean(), false),
  /** Ids the payload runs as, inside the user namespace; default: root (or the caller, rootless). */
  uid: v.optional(Uint32),
  gid: v.optional(Uint32),
  /** /proc/PID/setgroups; "deny" is forced for rootless maps (user_namespaces(7)). */
  setgroups: v.optional(v.picklist(["allow", "deny"])),
});

/** One range of an idmapped bind: on-disk ids ONDISK.. are seen inside as INSIDE.. (mount_setattr(2)). */
export const IdmapRange = v.pipe(
  v.strictObject({ inside: Uint32, onDisk: Uint32, count: v.pipe(Uint32, v.minValue(1, "must be at least 1")) }),
  v.check((r) => r.inside + r.count <= 2 ** 32 && r.onDisk + r.count <= 2 ** 32, "range overflows 2^32"),
);
export type IdmapRange = v.InferOutput<typeof IdmapRange>;

const BindStep = v.strictObject({
  kind: v.literal("bind"),
  src: AbsPath,
  dst: AbsPath,
  readonly: v.optional(v.boolean(), false),
  /** Skip when the source does not exist (bubblewrap --bind-try, nsjail mandatory=false). */
  optional: v.optional(v.boolean(), false),
  /** Keep device nodes usable (no nodev). */
  devices: v.optional(v.boolean(), false),
  /** A state directory (--state): created and given to the sandbox's root before it starts. */
  state: v.optional(v.boolean()),
  /** An idmapped bind (--idmap-bind): only these on-disk ids are visible and writable inside. */
  idmap: v.optional(v.array(IdmapRange)),
});
const TmpfsStep = v.strictObject({
  kind: v.literal("tmpfs"),
  dst: AbsPath,
  mode: v.optional(FileMode, 0o755),
  /** Bytes; 0 leaves the kernel default (half of RAM). */
  size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
});
const ProcStep = v.strictObject({ kind: v.literal("proc"), dst: AbsPath });
const DevStep = v.strictObject({ kind: v.literal("dev"), dst: AbsPath });
const MqueueStep = v.strictObject({ kind: v.literal("mqueue"), dst: AbsPath });
const DirStep = v.strictObject({ kind: v.literal("dir"), dst: AbsPath, mode: v.optional(FileMode, 0o755) });
const SymlinkStep = v.strictObject({
  kind: v.literal("symlink"),
  target: v.pipe(v.string(), v.nonEmpty("must not be empty"), v.maxLength(MAX_PATH)),
  dst: AbsPath,
});

/** Hides a path: an empty read-only tmpfs on a directory, a read-only /dev/null on anything else. */
const MaskStep = v.strictObject({ kind: v.literal("mask"), dst: AbsPath });
/** Makes an existing path (and everything under it) read-only. */
const RemountRoStep = v.strictObject({ kind: v.literal("remount-ro"), dst: AbsPath });

/** One step of building the sandbox's root, run in order after normalisation. */
export const MountStep = v.variant("kind", [
  BindStep,
  TmpfsStep,
  ProcStep,
  DevStep,
  MqueueStep,
  DirStep,
  SymlinkStep,
  MaskStep,
  RemountRoStep,
]);
export type MountStep = v.InferOutput<typeof MountStep>;

export const PROPAGATIONS = ["private", "slave", "shared", "unchanged"] as const;
export type Propagation = (typeof PROPAGATIONS)[number];

/** What the sandbox's network is. `zone` and `join` are filled by later layers. */
export const NET_MODES = ["none", "loopback", "host"] as const;
/**
 * A host TCP port forwarded into the sandbox's own network namespace (`--publish`): nsbox
 * listens on `host` in its own network namespace, and the stage's supervisor relays each
 * connection to `port` on the sandbox's loopback (127.0.0.1, or ::1 for an IPv6 `host`).
 */
export const Publish = v.strictObject({
  host: v.pipe(
    v.string(),
    v.rawCheck(({ dataset, addIssue }) => {
      const problem = dataset.typed ? publishAddressProblem(dataset.value) : undefined;
      if (problem) addIssue({ message: problem });
    }),
  ),
  port: v.pipe(v.number(), v.integer("must be an integer"), v.minValue(1, "must be a port from 1 to 65535"), v.maxValue(65535, "must be a port from 1 to 65535")),
});
export type Publish = v.InferOutput<typeof Publish>;

export const Network = v.strictObject({
  mode: v.optional(v.picklist([...NET_MODES, "zone"]), "loopback"),
  /** With mode `zone`: the zone the sandbox's veth joins (`nsbox netzone create NAME`). */
  zone: v.optional(v.pipe(v.string(), v.regex(ZONE_NAME_PATTERN, "must be 1-12 of a-z, 0-9, '-', starting with a letter or digit"))),
  /** Host ports forwarded to the sandbox's loopback (`--publish`); its loopback is up even with mode none. Absent: none. */
  publish: v.optional(v.array(Publish)),
});

const EnvName = v.pipe(
  v.string(),
  v.nonEmpty("must not be empty"),
  v.check((k) => !k.includes("=") && !k.includes("\0"), "must not contain '=' or NUL"),
);
const EnvValue = v.pipe(v.string(), v.check((s) => !s.includes("\0"), "must not contain a NUL byte"));

/**
 * The payload's stdout and stderr kept in `path` (`--log`): they are a pipe the stage's
 * supervisor reads, and it writes them to the file, rotating it (path → path.1) so both together
 * never pass `maxBytes` (model/output-log.ts).
 */
export const OutputLog = v.strictObject({
  path: v.pipe(
    AbsPath,
    v.check((p) => p !== "/", "must name a file"),
    v.rawCheck(({ dataset, addIssue }) => {
      const problem = dataset.typed ? logPathProblem(dataset.value) : undefined;
      if (problem) addIssue({ message: problem });
    }),
  ),
  maxBytes: v.pipe(v.number(), v.integer("must be an integer"), v.minValue(MIN_LOG_MAX, "must be at least 64K"), v.maxValue(2 ** 50, "must be at most 1024T")),
});
export type OutputLog = v.InferOutput<typeof OutputLog>;

export const Process = v.strictObject({
  argv: v.pipe(
    v.array(v.pipe(v.string(), v.check((s) => !s.includes("\0"), "must not contain a NUL byte"))),
    v.minLength(1, "needs a command: nsbox run [OPTIONS] -- COMMAND [ARG...]"),
  ),
  env: v.optional(v.record(EnvName, EnvValue), {}),
  cwd: v.optional(AbsPath, "/"),
  /** Fds (>= 3) handed to the payload unchanged; all others are closed. */
  keepFds: v.optional(v.array(v.pipe(Uint32, v.minValue(3, "fds 0-2 are always kept"), v.maxValue(65535))), []),
  newSession: v.optional(v.boolean(), true),
  init: v.optional(v.boolean(), true),
  dieWithParent: v.optional(v.boolean(), false),
  /** Where stdout and stderr go, capped (`--log`); absent: the caller's, unchanged. */
  log: v.optional(OutputLog),
});

export const Security = v.strictObject({
  noNewPrivs: v.optional(v.literal(true), true),
  /** Capabilities the payload keeps, as CAP_* names; none by default. */
  capabilities: v.optional(v.array(v.pipe(v.string(), v.check(isCapabilityName, "is not a capability name (see capabilities(7))"))), []),
  /** The system call filter, as a policy (seccomp-policy.ts); every run gets the default one. */
  seccomp: v.optional(SeccompPolicy, {}),
});

const RlimitValue = v.union([v.pipe(v.number(), v.integer(), v.minValue(0)), v.literal("inf")]);

/** Limits for the payload (rlimits) and for the whole sandbox (cgroup v2, or v1 where v2 lacks the controller). */
export const Limits = v.strictObject({
  rlimits: v.optional(v.record(v.picklist(RLIMIT_NAMES, "is not an rlimit name"), v.strictObject({ soft: RlimitValue, hard: RlimitValue })), {}),
  /** Bytes of memory for the whole sandbox; past it the kernel's OOM killer acts inside it. */
  memory: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024 * 1024, "must be at least 1M"))),
  /** Processes and threads at once. */
  pids: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** CPU time per 100 ms period, in microseconds (50000 = half a CPU). */
  cpuQuota: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000))),
});

export const SandboxSpec = v.strictObject({
  /** Version of this schema; a saved plan names the one it was written for. */
  version: v.optional(v.literal(1), 1),
  name: v.optional(v.pipe(v.string(), v.regex(NAME_PATTERN, "must be 1-63 letters, digits, '_', '.' or '-'"))),
  namespaces: v.optional(Namespaces, {}),
  users: v.optional(Users, {}),
  /** What `/` becomes in the new mount namespace (default slave, as bubblewrap and systemd do). */
  propagation: v.optional(v.picklist(PROPAGATIONS), "slave"),
  mounts: v.optional(v.array(MountStep), []),
  hostname: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/, "must be 1-64 letters, digits, '.' or '-'"))),
  network: v.optional(Network, {}),
  process: Process,
  security: v.optional(Security, {}),
  limits: v.optional(Limits, {}),
});

/** What a flag set, profile or plugin produces. */
export type SandboxSpecInput = v.InferInput<typeof SandboxSpec>;
/** A parsed spec with every default filled in. */
export type SandboxSpec = v.InferOutput<typeof SandboxSpec>;
