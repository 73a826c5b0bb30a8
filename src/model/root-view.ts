// The root a sandbox starts from (`--root os|host|empty`) as mount steps, and the reverse: which
// mode a list of mounts amounts to, for `plan` and `explain`. `os` shows the programs and
// libraries and none of the host's data; `host` is the whole host root read-only. Pure: the
// host's layout comes in through the PlanContext.
import type { HostLayout } from "./context.ts";
import type { MountStep, SandboxSpecInput } from "./schema.ts";

type MountStepInput = Extract<SandboxSpecInput["mounts"], unknown[]>[number];

export const ROOT_MODES = ["os", "host", "empty"] as const;
export type RootMode = (typeof ROOT_MODES)[number];

/** The read-only host root of `--root host`. */
export const HOST_ROOT_MOUNT: MountStepInput = { kind: "bind", src: "/", dst: "/", readonly: true };

/** The OS trees every host has: programs, libraries and their configuration. */
const OS_TREES = ["/usr", "/etc"] as const;

/** Host places that hold data, not the OS: `os` leaves them out (listed by explain). */
export const HOST_DATA_PLACES = ["/home", "/root", "/srv", "/opt", "/var/lib", "/mnt", "/media", "/boot"] as const;

/**
 * `os`: /usr and /etc read-only; /bin, /sbin and /lib* exactly as on the host (a symlink on a
 * merged-/usr host, else a read-only bind), so paths compiled into programs keep working; an
 * empty /var skeleton (its /var/tmp is a private tmpfs among the defaults). /run is a private
 * tmpfs, so the FHS /var/run link leads there. The tmpfs root itself becomes read-only once
 * every step ran (the stage), so nothing can be added beside these.
 */
export function osRootMounts(layout: HostLayout): MountStepInput[] {
  return [
    ...OS_TREES.map((dst): MountStepInput => ({ kind: "bind", src: dst, dst, readonly: true })),
    ...layout.os.map((e): MountStepInput =>
      e.symlink !== undefined ? { kind: "symlink", target: e.symlink, dst: e.path } : { kind: "bind", src: e.path, dst: e.path, readonly: true },
    ),
    ...["/var", "/var/lib", "/var/cache", "/var/log"].map((dst): MountStepInput => ({ kind: "dir", dst, mode: 0o755 })),
    { kind: "symlink", target: "../run", dst: "/var/run" },
  ];
}

/** The mounts a root mode starts from (before the private /tmp, /run, /proc, /dev). */
export function rootMounts(mode: RootMode, layout: HostLayout): MountStepInput[] {
  if (mode === "host") return [HOST_ROOT_MOUNT];
  return mode === "os" ? osRootMounts(layout) : [];
}

/** What the planned mounts make of `/`: one of the modes, or `custom` (a bind of another tree on /). */
export function rootModeOf(mounts: readonly MountStep[]): RootMode | "custom" {
  const onRoot = mounts.find((m) => m.kind === "bind" && m.dst === "/");
  if (onRoot) return onRoot.kind === "bind" && onRoot.src === "/" && onRoot.readonly ? "host" : "custom";
  const osBind = (p: string) => mounts.some((m) => m.kind === "bind" && m.src === p && m.dst === p && m.readonly);
  return OS_TREES.every(osBind) ? "os" : "empty";
}
