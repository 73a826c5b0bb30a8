// Every error nsbox reports, in one module of the bottom layer (every other layer may import it):
// an NsboxError carries its exit code, a one-line message and a hint. Only the entry
// (src/cli/entry.ts) turns them into output and an exit status.
import { errnoName } from "./errno.ts";

/** Exit codes (DESIGN.md §4). The payload's own status passes through unchanged. */
export const EXIT = { ok: 0, usage: 2, failed: 125, notExecutable: 126, notFound: 127 } as const;

/**
 * The exit status of commands whose answer is a verdict (`selftest`, `explain NAME`): 1 says the
 * check found something. It is neither 2 (bad usage) nor 125 (nsbox itself failed).
 */
export const EXIT_VERDICT = 1;

export class NsboxError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The caller asked for something malformed or contradictory: exit 2, nothing was done. */
export class UsageError extends NsboxError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

/** A usage error about one flag: callers that own the flag (a plugin) may claim the message. */
export class ArgError extends UsageError {
  constructor(
    readonly flag: string,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** A failed system call, always naming the call, the errno and the object it was about. */
export class SysError extends NsboxError {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly errnoName: string,
    readonly path?: string,
    hint?: string,
  ) {
    super(`${syscall}${path ? ` ${path}` : ""}: ${errnoName}`, EXIT.failed, hint);
  }
}

/** A verdict command found something (a probe got out, a sandbox drifted): its report came first. */
export class VerdictFailure extends NsboxError {
  constructor(message: string, hint?: string) {
    super(message, EXIT_VERDICT, hint);
  }
}

/**
 * Anything a plugin caused or is refused for: its message always starts with `plugin NAME:`
 * (DESIGN.md §3: a plugin's name is in every error it causes).
 */
export class PluginError extends NsboxError {
  constructor(
    readonly plugin: string,
    /** The message without the `plugin NAME:` prefix. */
    readonly detail: string,
    exitCode: number = EXIT.failed,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(`plugin ${plugin}: ${detail}`, exitCode, hint, options);
  }
}

/** libnftables refused a batch: the object, and its whole error text as the hint. */
export class NftError extends NsboxError {
  constructor(
    readonly object: string,
    /** libnftables' whole error text (the failing command and carets under the culprit). */
    readonly detail: string,
  ) {
    const first = detail.split("\n").find((l) => l.trim() !== "") ?? "failed";
    super(`nft ${object}: ${first.replace(/^Error:\s*/, "")}`, EXIT.failed, detail.trim() || undefined);
  }
}

/** What to check for the errnos a netlink request most often fails with. */
const NETLINK_HINTS: Record<string, string> = {
  EEXIST: "a link, address or route by that name or value exists already",
  ENODEV: "no such link in that network namespace",
  EPERM: "netlink changes need CAP_NET_ADMIN in the namespace's owning user namespace",
  EOPNOTSUPP: "the kernel lacks support for this link kind (a module not loaded?)",
};

/**
 * A refused netlink request: a SysError naming the request type, the errno and the object
 * (`netlink RTM_NEWLINK veth nsbox0: EEXIST`), plus the kernel's extended-ack message when it
 * sent one. The real client and the fake both throw it.
 */
export class NetlinkError extends SysError {
  constructor(
    /** `RTM_NEWLINK`. */
    readonly request: string,
    errno: number,
    object: string,
    /** NLMSGERR_ATTR_MSG, when the kernel explained itself. */
    readonly kernelMessage?: string,
  ) {
    const name = errnoName(errno);
    super(`netlink ${request}`, errno, name, object, NETLINK_HINTS[name]);
    if (kernelMessage) this.message = `${this.message} (${kernelMessage})`;
  }
}
