// Every namespace on the host, as util-linux lsns sees them: the /proc/PID/ns/* links of every
// process, plus namespaces that only a bind mount keeps alive (fstype nsfs in mountinfo, as
// `ip netns add` makes). Reads through HostFacts, so tests can feed a fake /proc.
import { NS_KINDS, type NsKind } from "../model/schema.ts";
import { EXIT, NsboxError } from "../base/errors.ts";
import type { HostFacts } from "./host-facts.ts";
import { logger } from "./log.ts";
import { parseMountinfo } from "./mountinfo.ts";

const log = logger("ns");

export interface NsEntry {
  kind: NsKind;
  /** The namespace's inode number on nsfs: its identity (`stat -L -c %i /proc/PID/ns/KIND`). */
  inode: number;
  /** Processes in it; 0 for a namespace held only by a bind mount. */
  nprocs: number;
  /** The lowest pid in it, and that process's uid and command; null without a process. */
  pid: number | null;
  uid: number | null;
  command: string | null;
  /**
   * The inode of the user namespace that owns it, approximated without NS_GET_USERNS (that ioctl
   * needs bun:ffi, which stays in core/sys): the user namespace of its lowest pid. A namespace is
   * owned by the user namespace its creator was in, and processes nearly always stay in their
   * creator's user namespace; the guess is wrong only for a process that joined this namespace
   * from another user namespace (e.g. `nsenter --net` into a rootless container's netns from
   * the host). Null for user namespaces (their owner is their parent, which needs
   * NS_GET_PARENT) and for namespaces without a process.
   */
  owner: number | null;
  /** Where it is bind-mounted (nsfs), if anywhere: the first such mount point. */
  path: string | null;
  /** The nsbox sandbox it belongs to, from the `nameOf` hook; null when unknown. */
  name: string | null;
}

/** The identity of a namespace as the `nameOf` hook receives it. */
export interface NsRef {
  kind: NsKind;
  inode: number;
  pid: number | null;
  path: string | null;
}

export interface ListOptions {
  /** Only namespaces of this kind. */
  kind?: NsKind;
  /**
   * Names a namespace (an nsbox sandbox's name), or returns null. Keyed by the namespace rather
   * than by a pid: a sandbox's supervisor runs in the host's namespaces, so a pid-keyed lookup
   * would also label those.
   */
  nameOf?: (ns: NsRef) => string | null;
}

const KINDS: ReadonlySet<string> = new Set(NS_KINDS);

/** `net:[4026531840]` (a /proc/PID/ns link, or an nsfs mount's root) → kind and inode. */
export function parseNsLink(text: string): { kind: NsKind; inode: number } | undefined {
  const m = /^([a-z_]+):\[(\d+)\]$/.exec(text.trim());
  if (!m || !KINDS.has(m[1]!)) return undefined;
  return { kind: m[1] as NsKind, inode: Number(m[2]) };
}

/** The namespaces bind-mounted somewhere, from a mountinfo text: kind, inode and mount point. */
export function parseNsfsMounts(mountinfo: string): { kind: NsKind; inode: number; path: string }[] {
  return parseMountinfo(mountinfo).flatMap((m) => {
    const ns = m.fstype === "nsfs" ? parseNsLink(m.root) : undefined;
    return ns ? [{ ...ns, path: m.mountPoint }] : [];
  });
}

/** The command line of a process, or `[comm]` for a kernel thread (empty cmdline, as ps shows it). */
function readCommand(facts: HostFacts, pid: number): string | null {
  const cmdline = facts.readFile(`/proc/${pid}/cmdline`);
  const args = cmdline?.split("\0").filter(Boolean).join(" ");
  if (args) return args;
  const comm = facts.readFile(`/proc/${pid}/comm`)?.trim();
  return comm ? `[${comm}]` : null;
}

/**
 * All of one process's namespace links, or undefined when any of them cannot be read: the
 * process exited mid-scan (or is a zombie), or belongs to a user we may not inspect. Taking all
 * or none keeps a vanishing process from being counted in some namespaces and not others.
 * The user link is always read: it is the owner of the process's other namespaces.
 */
function readProcessLinks(facts: HostFacts, pid: number, kinds: readonly NsKind[]): { links: { kind: NsKind; inode: number }[]; userns: number } | undefined {
  const wanted = kinds.includes("user") ? kinds : [...kinds, "user" as const];
  const links: { kind: NsKind; inode: number }[] = [];
  for (const kind of wanted) {
    const target = facts.readlink(`/proc/${pid}/ns/${kind}`);
    const ns = target === undefined ? undefined : parseNsLink(target);
    if (!ns) return undefined;
    links.push(ns);
  }
  const userns = links.find((l) => l.kind === "user")!.inode;
  return { links: links.filter((l) => kinds.includes(l.kind)), userns };
}

/** Scans /proc and mountinfo once; entries sorted by inode, like lsns. */
export function listNamespaces(facts: HostFacts, options: ListOptions = {}): NsEntry[] {
  const kinds = options.kind ? [options.kind] : NS_KINDS;
  const names = facts.listDir("/proc");
  if (!names) throw new NsboxError("cannot list /proc", EXIT.failed, "is procfs mounted at /proc?");
  // Ascending pids, so the first process seen in a namespace is its lowest pid.
  const pids = names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  const entries = new Map<string, NsEntry>();
  let skipped = 0;
  for (const pid of pids) {
    const read = readProcessLinks(facts, pid, kinds);
    if (!read) {
      skipped++;
      continue;
    }
    for (const { kind, inode } of read.links) {
      const key = `${kind}:${inode}`;
      const seen = entries.get(key);
      if (seen) {
        seen.nprocs++;
        continue;
      }
      entries.set(key, {
        kind, inode, nprocs: 1, pid,
        uid: facts.ownerOf(`/proc/${pid}`) ?? null,
        command: readCommand(facts, pid),
        owner: kind === "user" ? null : read.userns,
        path: null,
        name: null,
      });
    }
  }
  if (skipped > 0) log.debug(`skipped ${skipped} processes that exited or could not be read`);
  for (const mount of parseNsfsMounts(facts.readFile("/proc/self/mountinfo") ?? "")) {
    if (!kinds.includes(mount.kind)) continue;
    const key = `${mount.kind}:${mount.inode}`;
    const seen = entries.get(key);
    if (seen) seen.path ??= mount.path;
    else entries.set(key, { kind: mount.kind, inode: mount.inode, nprocs: 0, pid: null, uid: null, command: null, owner: null, path: mount.path, name: null });
  }
  const list = [...entries.values()].sort((a, b) => a.inode - b.inode || a.kind.localeCompare(b.kind));
  if (options.nameOf) for (const e of list) e.name = options.nameOf({ kind: e.kind, inode: e.inode, pid: e.pid, path: e.path });
  return list;
}
