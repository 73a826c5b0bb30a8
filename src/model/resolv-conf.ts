// DNS for sandboxes that have a network: where /etc/resolv.conf is a symlink into /run
// (systemd-resolved's stub, resolvconf), the sandbox's private /run would leave it dangling.
// The file it leads to is bound read-only at the same path, so the link resolves inside. A zone
// member has a network namespace of its own, where resolved's stub (127.0.0.53) does not answer:
// it gets resolved's list of upstream servers at that path instead. Pure.
import type { PlanContext } from "./context.ts";
import type { MountStep, SandboxSpec } from "./schema.ts";

/** Trees the `os` root shows as they are: a target in them needs nothing more. */
const SHOWN = ["/etc/", "/usr/"];

/**
 * The read-only bind that keeps /etc/resolv.conf working, or undefined when none is needed: no
 * network to resolve on (loopback, none), no host /etc in the root (`empty`), a plain file, or
 * a target the spec already mounts. Optional: a stub that is not there is skipped, not fatal.
 */
export function resolvConfMount(spec: SandboxSpec, ctx: PlanContext): MountStep | undefined {
  const target = ctx.host.resolvConf;
  if (target === undefined || SHOWN.some((p) => target.startsWith(p))) return undefined;
  if (spec.network.mode !== "host" && spec.network.mode !== "zone") return undefined;
  const showsEtc = spec.mounts.some((m) => m.kind === "bind" && (m.dst === "/" || m.dst === "/etc"));
  if (!showsEtc || spec.mounts.some((m) => m.dst === target)) return undefined;
  const src = spec.network.mode === "zone" && ctx.host.resolvedUpstream !== undefined ? ctx.host.resolvedUpstream : target;
  return { kind: "bind", src, dst: target, readonly: true, optional: true, devices: false };
}
