// Every error nsbox reports, in one module of the bottom layer (every other layer may import it):
// an NsboxError carries its exit code, a one-line message and a hint. Only the entry
// (src/cli/entry.ts) turns them into output and an exit status.

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
