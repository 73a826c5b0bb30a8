// PlanContext: the read-only facts about the caller that planning depends on. The CLI reads them
// from the host once; spec/ and plugins only receive them, so planning stays pure and testable.

/** A subordinate id range from /etc/subuid or /etc/subgid (subuid(5)). */
export interface SubIdRange {
  start: number;
  count: number;
  /** Where the range came from, for `nsbox plan` ("/etc/subuid entry for nsbox", "built-in default"). */
  source: string;
  /** The whole entry's length when it came from a file (named sandboxes get slices of it). */
  entryCount?: number;
}

export interface PlanContext {
  uid: number;
  gid: number;
  /** The caller's environment: the payload's environment starts from it. */
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Host ids that root-started sandboxes map their users onto. */
  subuid: SubIdRange;
  subgid: SubIdRange;
}
