// The names and kinds the schema (schema.ts) checks, as plain constants: modules of a start that
// only need to recognise one (a zone, a sandbox name, a namespace kind) need no schema built.

/** Namespace kinds, named as in /proc/PID/ns. */
export const NS_KINDS = ["user", "mnt", "pid", "net", "uts", "ipc", "cgroup", "time"] as const;
export type NsKind = (typeof NS_KINDS)[number];

/** A netzone zone name (plugins/netzone): its bridge is `nz-NAME`, at most 15 characters. */
export const ZONE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,11}$/;

/** Names of sandboxes and persistent namespaces: they become file names, so no '/' and no '..'. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
