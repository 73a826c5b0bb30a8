// The namespaces of a running sandbox, opened as fds for `nsbox exec` to join once it is built
// (sandbox-ready.ts). They are its init's. A caller without root cannot open those: the init is
// not dumpable (caps.c: it keeps CAP_KILL), so /proc/INIT/ns/* needs CAP_SYS_PTRACE over the
// host's user namespace (ptrace_may_access, PTRACE_MODE_READ_FSCREDS). Such a caller opens its
// command's instead and proves from the fds alone that they are the sandbox's: the command's user
// namespace is a child of the caller's own, and each namespace it made with it is owned by it (one
// the command made later would be owned by a user namespace nested below, as it has no capability
// in the sandbox's; ioctl_ns(2)). Joined namespaces must be the very ones the sandbox joined.
import { closeSync, fstatSync, openSync, statSync } from "node:fs";
import type { NsKind } from "../model/schema.ts";
import { NsboxError } from "../base/errors.ts";
import { isSameProcess } from "./proc.ts";
import { awaitSandboxReady, type ReadyWait } from "./sandbox-ready.ts";
import { isRunning, sandboxNsFile, type SandboxRecord } from "./sandbox-record.ts";
import { nsOwnerFd, nsParentFd } from "./sys/ns-ioctl.ts";

export interface SandboxNamespaces {
  /** The process whose namespaces they are. */
  pid: number;
  /** One fd per kind asked for, in that order. */
  nsFds: number[];
}

const inode = (fd: number) => fstatSync(fd).ino;

function openAll(pid: number, kinds: readonly string[]): number[] {
  const fds: number[] = [];
  try {
    for (const k of kinds) fds.push(openSync(`/proc/${pid}/ns/${sandboxNsFile(k)}`, "r"));
  } catch (e) {
    for (const fd of fds) closeSync(fd);
    throw e;
  }
  return fds;
}

/** Runs `check` on `fd`, then closes it. */
function withFd<T>(fd: number, check: (fd: number) => T): T {
  try {
    return check(fd);
  } finally {
    closeSync(fd);
  }
}

/** Why `fds` (of `pid`, opened for `kinds`) are not the sandbox's own namespaces; undefined when they are. */
function notTheSandboxs(record: SandboxRecord, pid: number, kinds: readonly NsKind[], fds: readonly number[]): string | undefined {
  if (record.spec.namespaces.user.mode !== "new") return "the sandbox has no user namespace of its own";
  return withFd(openSync(`/proc/${pid}/ns/user`, "r"), (user) => {
    const userIno = inode(user);
    if (withFd(nsParentFd(user), inode) !== statSync("/proc/self/ns/user").ino) return "its user namespace is not one made below yours";
    for (const [i, k] of kinds.entries()) {
      const ns = record.spec.namespaces[k];
      const fd = fds[i]!;
      if (k === "user") {
        if (inode(fd) !== userIno) return "its user namespace changed while it was opened";
      } else if (ns.mode === "join") {
        if (inode(fd) !== statSync(ns.path).ino) return `its ${k} namespace is not the one the sandbox joined (${ns.path})`;
      } else if (withFd(nsOwnerFd(fd), inode) !== userIno) return `its ${k} namespace is not owned by the sandbox's user namespace`;
    }
    return undefined;
  });
}

/**
 * Opens the namespaces `kinds` of the sandbox once it is ready (sandbox-ready.ts: never while it
 * is still being built): its init's, or for a caller that may not open those, its command's once
 * they check out as the sandbox's own. Each process is checked after its fds are opened to still
 * be the one found ready (a pid can be reused).
 */
export function openSandboxNamespaces(record: SandboxRecord, kinds: readonly NsKind[], wait: ReadyWait = {}): SandboxNamespaces {
  const { init, command } = awaitSandboxReady(record, wait);
  const ended = () => new NsboxError(`the sandbox ${record.name} ended`);
  let pid = init.pid;
  let fds: number[];
  try {
    fds = openAll(init.pid, kinds);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (process.getuid!() === 0 || (code !== "EACCES" && code !== "EPERM")) throw e;
    pid = command.pid;
    fds = openAll(command.pid, kinds);
    const why = (() => {
      try {
        return notTheSandboxs(record, command.pid, kinds, fds) ?? (isSameProcess(command.pid, command.start) ? undefined : "it ended while it was opened");
      } catch (err) {
        return (err as Error).message;
      }
    })();
    if (why !== undefined) {
      for (const fd of fds) closeSync(fd);
      throw new NsboxError(`cannot join sandbox ${record.name} as uid ${process.getuid!()}: its init's namespaces need root, and its command's (pid ${command.pid}) do not check out: ${why}`, 125, "run nsbox exec as root");
    }
  }
  // Checked after opening: the fds belong to the sandbox's process, not to a reused pid.
  if (!isRunning(record) || !isSameProcess(init.pid, init.start)) {
    for (const fd of fds) closeSync(fd);
    throw ended();
  }
  return { pid, nsFds: fds };
}
