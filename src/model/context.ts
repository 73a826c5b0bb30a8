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

/** One of the host's top-level OS entries (/bin, /sbin, /lib*), as it is on the host. */
export interface OsEntry {
  /** `/bin`, `/lib64` ... */
  path: string;
  /** The symlink's target on a merged-/usr host (`usr/bin`); absent for a real directory. */
  symlink?: string;
}

/** What the `os` root is made of on this host, and where DNS settings really live. */
export interface HostLayout {
  /** /bin, /sbin and every /lib* the host has, in name order. */
  os: OsEntry[];
  /** Where /etc/resolv.conf leads when it is a symlink (systemd-resolved's stub in /run). */
  resolvConf?: string;
  /** systemd-resolved's list of the upstream servers, when it has one: a zone cannot reach the stub. */
  resolvedUpstream?: string;
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
  /** The host's file system layout the `os` root and DNS binds are planned from. */
  host: HostLayout;
}
