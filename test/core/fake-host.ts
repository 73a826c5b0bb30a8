// A fake HostFacts for unit tests: a map of files, symlinks and owners, so the host probes and the
// namespace scan run against any host we can describe, without root or a particular kernel.
import type { HostFacts } from "../../src/core/host-facts.ts";

export interface FakeHost {
  files?: Record<string, string>;
  bytes?: Record<string, Uint8Array>;
  links?: Record<string, string>;
  /** Paths that exist but are not files here (directories, /proc/self/ns/* links). */
  paths?: readonly string[];
  owners?: Record<string, number>;
  release?: string;
  machine?: string;
  uid?: number;
}

export function fakeFacts(host: FakeHost): HostFacts {
  const { files = {}, bytes = {}, links = {}, paths = [], owners = {} } = host;
  const all = [...Object.keys(files), ...Object.keys(bytes), ...Object.keys(links), ...paths];
  return {
    readFile: (p) => files[p],
    readBytes: (p) => bytes[p] ?? (files[p] === undefined ? undefined : new TextEncoder().encode(files[p])),
    readlink: (p) => links[p],
    // The direct children of a directory, derived from every path the fake knows.
    listDir: (dir) => {
      const prefix = `${dir}/`;
      const names = all.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length).split("/")[0]!);
      return names.length > 0 ? [...new Set(names)] : undefined;
    },
    exists: (p) => all.some((q) => q === p || q.startsWith(`${p}/`)),
    ownerOf: (p) => owners[p],
    uname: () => ({ release: host.release ?? "6.18.0", machine: host.machine ?? "x86_64" }),
    uid: () => host.uid ?? 0,
  };
}
