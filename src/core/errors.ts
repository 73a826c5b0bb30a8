// The error convention: every failure nsbox reports is an NsboxError carrying its exit code, a
// one-line message and a hint; only src/main.ts turns them into output and exit codes.

/** Exit codes (DESIGN.md §4). The payload's own status passes through unchanged. */
export const EXIT = { ok: 0, usage: 2, failed: 125, notExecutable: 126, notFound: 127 } as const;

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
