// The isolation facts of a live process, read from /proc (proc(5)): the inode of each of its
// namespaces, its capability sets, no_new_privs and seccomp mode, and its mount table. Reads
// only. `nsbox explain NAME` compares them with the sandbox's spec (sandbox-drift.ts).
import { readFileSync, statSync } from "node:fs";
import { NS_KINDS, type NsKind } from "../model/schema.ts";
import { NsboxError } from "../base/errors.ts";

export type NsInodes = Partial<Record<NsKind, number>>;

export interface StatusSecurity {
  capInh: bigint;
  capPrm: bigint;
  capEff: bigint;
  capBnd: bigint;
  capAmb: bigint;
  noNewPrivs: number;
  /** 0 none, 1 strict, 2 filter (seccomp(2)). */
  seccomp: number;
}

export interface ProcessFacts {
  pid: number;
  ns: NsInodes;
  status: StatusSecurity;
  /** /proc/PID/mountinfo as the kernel wrote it (paths relative to the process's root). */
  mountinfo: string;
}

/** The inode of a namespace file (a /proc/PID/ns link, or a bind-mounted one); undefined if absent. */
export function nsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** The namespaces of a process ("self" for nsbox itself); kinds this kernel lacks are left out. */
export function readNsInodes(pid: number | "self"): NsInodes {
  const out: NsInodes = {};
  for (const kind of NS_KINDS) {
    const ino = nsInode(`/proc/${pid}/ns/${kind}`);
    if (ino !== undefined) out[kind] = ino;
  }
  return out;
}

/** The security fields of /proc/PID/status. Pure. */
export function parseStatusSecurity(status: string): StatusSecurity {
  const field = (key: string) => status.split("\n").find((l) => l.startsWith(`${key}:`))?.slice(key.length + 1).trim();
  const caps = (key: string) => BigInt(`0x${field(key) ?? "0"}`);
  return {
    capInh: caps("CapInh"),
    capPrm: caps("CapPrm"),
    capEff: caps("CapEff"),
    capBnd: caps("CapBnd"),
    capAmb: caps("CapAmb"),
    noNewPrivs: Number(field("NoNewPrivs") ?? 0),
    seccomp: Number(field("Seccomp") ?? 0),
  };
}

export function readProcessFacts(pid: number): ProcessFacts {
  try {
    return {
      pid,
      ns: readNsInodes(pid),
      status: parseStatusSecurity(readFileSync(`/proc/${pid}/status`, "utf8")),
      mountinfo: readFileSync(`/proc/${pid}/mountinfo`, "utf8"),
    };
  } catch (e) {
    throw new NsboxError(`cannot read /proc/${pid}: ${(e as Error).message}`, 125, "the process may have just exited");
  }
}
