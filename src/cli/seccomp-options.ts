// The seccomp rows of the sandbox options table (sandbox-options.ts): `--seccomp`, `--seccomp-allow`,
// `--seccomp-deny`, `--allow-userns`. Names are checked where the flag is, so the message points at
// it; the lists accumulate whatever their order (precedence is in spec/seccomp-policy.ts).
import { UsageError } from "../base/errors.ts";
import { SECCOMP_BASES, type SeccompBase } from "../model/seccomp-policy.ts";
import { loadSeccompFile, parseSeccompList } from "./seccomp-file.ts";
import type { SandboxOption, SpecDraft } from "./spec-draft.ts";

type SeccompDraft = NonNullable<SpecDraft["spec"]["security"]["seccomp"]>;

function seccompOf(d: SpecDraft): SeccompDraft {
  return (d.spec.security.seccomp ??= {});
}

function parseList(list: string, where: string): string[] {
  const entries = list.split(",").map((e) => e.trim());
  if (entries.some((e) => e === "")) throw new UsageError(`${where}: '${list}' has an empty entry (use NAME,@group,...)`);
  return parseSeccompList(entries, where);
}

const isBase = (value: string): value is SeccompBase => (SECCOMP_BASES as readonly string[]).includes(value);

export const SECCOMP_OPTIONS: readonly SandboxOption[] = [
  {
    name: "seccomp", args: ["POLICY"],
    help: "system call filter: default (every run), strict, none, or a TOML/JSON policy file (base, allow, deny, errno)",
    apply: (d, [policy], w) => {
      const s = seccompOf(d);
      if (isBase(policy!)) return void (s.base = policy);
      const file = loadSeccompFile(policy!, w);
      s.base = file.base;
      s.allow = [...(s.allow ?? []), ...file.allow];
      s.deny = [...(s.deny ?? []), ...file.deny];
      if (file.errno) s.errno = file.errno;
      if (file.allowUserns !== undefined) s.allowUserns = file.allowUserns;
    },
  },
  {
    name: "seccomp-allow", args: ["LIST"], help: "let these system calls or @groups through the filter (comma list, repeatable)",
    apply: (d, [list], w) => {
      const s = seccompOf(d);
      s.allow = [...(s.allow ?? []), ...parseList(list!, w)];
    },
  },
  {
    name: "seccomp-deny", args: ["LIST"], help: "deny these system calls or @groups as well (comma list, repeatable)",
    apply: (d, [list], w) => {
      const s = seccompOf(d);
      s.deny = [...(s.deny ?? []), ...parseList(list!, w)];
    },
  },
  {
    name: "allow-userns", args: [], help: "let the command create user namespaces (nested sandboxes); the filter refuses them by default",
    apply: (d) => void (seccompOf(d).allowUserns = true),
  },
];
