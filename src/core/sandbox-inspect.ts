// `nsbox explain NAME`: finds a running sandbox's payload (the child of its init, or the init
// itself without one), reads its isolation from /proc and nsbox's own namespaces and mounts for
// reference, and compares them with the recorded spec (sandbox-drift.ts). Reads only.
import { readFileSync } from "node:fs";
import { NS_KINDS } from "../model/schema.ts";
import { NsboxError } from "../base/errors.ts";
import { parseMountinfo } from "./mountinfo.ts";
import { nsInode, readNsInodes, readProcessFacts, type NsInodes } from "./process-facts.ts";
import { checkSandbox, type DriftReport } from "./sandbox-drift.ts";
import { commandPid, type SandboxRecord } from "./sandbox-record.ts";

export interface SandboxInspection extends DriftReport {
  payloadPid: number;
}

/** The process that runs the sandbox's command. */
export function payloadPid(record: SandboxRecord): number {
  const payload = commandPid(record);
  if (payload === undefined) throw new NsboxError(`sandbox ${record.name} has no running command process`, 125, "it may be ending; see nsbox ps");
  return payload;
}

export function inspectSandbox(record: SandboxRecord): SandboxInspection {
  const pid = payloadPid(record);
  const facts = readProcessFacts(pid);
  const joined: NsInodes = {};
  for (const kind of NS_KINDS) {
    const ns = record.spec.namespaces[kind];
    if (ns.mode === "join") {
      const ino = nsInode(ns.path);
      if (ino !== undefined) joined[kind] = ino;
    }
  }
  const report = checkSandbox(
    record.spec,
    { ns: facts.ns, status: facts.status, mounts: parseMountinfo(facts.mountinfo) },
    { ns: readNsInodes("self"), joined, mounts: parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8")) },
  );
  return { payloadPid: pid, ...report };
}
