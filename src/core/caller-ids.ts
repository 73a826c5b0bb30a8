// Who runs nsbox: one identity, or a refusal. nsbox plans for the real ids (process.getuid: the
// state root, the plan cache, the subordinate ranges, the front's key) while the kernel checks
// every file and namespace operation against the effective ones. A set-user-ID or set-group-ID
// program that starts nsbox without settling its ids would thus run its user's plans, records
// and cache with the program owner's rights (stage/owner-checks.c caller_ids refuses it too).
import { NsboxError } from "../base/errors.ts";

/**
 * Why the caller's ids are mixed, or undefined when real and effective uid and gid agree. The
 * saved set-ids need no look: execve(2) copies the effective ids into them, and nsbox itself is
 * never set-user-ID (DESIGN.md §4), so at its start they are the effective ones; the file-system
 * ids follow the effective ones too (setfsuid(2)).
 */
export function mixedIds(): string | undefined {
  const [ruid, euid, rgid, egid] = [process.getuid!(), process.geteuid!(), process.getgid!(), process.getegid!()];
  if (ruid === euid && rgid === egid) return undefined;
  return `started with real uid ${ruid} gid ${rgid} but effective uid ${euid} gid ${egid} (a set-user-ID or set-group-ID caller)`;
}

/** Refuses a mixed-id caller before anything is planned, read or made: one line, exit 125. */
export function assertSingleIdentity(): void {
  const why = mixedIds();
  if (why) throw new NsboxError(why, 125, "start nsbox with one identity: the program that starts it must set real and effective ids alike (setresuid/setresgid, runuser, setpriv --reuid --regid)");
}
