// The shape the sandbox options build a spec in (sandbox-options.ts, seccomp-options.ts): a draft
// that options change in order, and the row type of the options table.
import type { HostLayout } from "../model/context.ts";
import type { RootMode } from "../model/root-view.ts";
import type { NsKind, SandboxSpecInput } from "../model/schema.ts";

export type MountInput = NonNullable<SandboxSpecInput["mounts"]>[number];

/** The spec as options build it up; `toSpecInput` turns it into a SandboxSpec input. */
export interface SpecDraft {
  namespaces: Partial<Record<NsKind, { mode: "new" } | { mode: "host" } | { mode: "join"; path: string }>>;
  root: RootMode;
  /** The host's layout the `os` root is made from (PlanContext.host). */
  layout: HostLayout;
  mounts: MountInput[];
  env: Record<string, string>;
  spec: Omit<SandboxSpecInput, "namespaces" | "mounts" | "process"> & {
    users: NonNullable<SandboxSpecInput["users"]>;
    network: NonNullable<SandboxSpecInput["network"]>;
    process: Omit<SandboxSpecInput["process"], "argv" | "env">;
    security: NonNullable<SandboxSpecInput["security"]>;
    limits: NonNullable<SandboxSpecInput["limits"]>;
  };
}

export interface SandboxOption {
  /** Long name without `--`. */
  name: string;
  /** Metavariables of the values it takes, e.g. ["SRC", "DST"]; empty for a switch. */
  args: readonly string[];
  help: string;
  /** The values it accepts when they are a fixed list (for completion and the man page). */
  choices?: readonly string[];
  apply(draft: SpecDraft, values: string[], where: string): void;
}
