import { describe, expect, test } from "bun:test";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { systemdUnitNative, systemdUnitViaNsbox, systemdUnitViaPlan } from "../../src/model/export-systemd.ts";
import { execLine, quoteExecWord } from "../../src/model/systemd-syntax.ts";
import { rootCtx } from "../helpers.ts";

const head = { description: "test" };
const native = (...args: string[]) => systemdUnitNative(head, planFromArgs([...args, "--", "/usr/bin/app", "-v"], [], "nsbox run", { ...rootCtx, env: {} }).spec);
const lines = (unit: string) => unit.split("\n");
const notes = (unit: string) => lines(unit).filter((l) => l.startsWith("#   "));

describe("systemd quoting", () => {
  test("plain words stay, others are double-quoted; % and $ are doubled", () => {
    expect(quoteExecWord("/usr/bin/app")).toBe("/usr/bin/app");
    expect(quoteExecWord("a b")).toBe('"a b"');
    expect(quoteExecWord('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteExecWord("100%")).toBe("100%%");
    expect(quoteExecWord("$HOME")).toBe('"$$HOME"');
    expect(quoteExecWord("")).toBe('""');
    expect(execLine(["sh", "-c", "echo a\\b"])).toBe('sh -c "echo a\\\\b"');
  });
});

describe("systemdUnitNative", () => {
  test("the host root: the nearest directives, and comments for what they miss", () => {
    const unit = native("--root", "host");
    for (const directive of [
      "ExecStart=/usr/bin/app -v", "DynamicUser=yes", "PrivateUsers=yes", "PrivateNetwork=yes", "PrivateIPC=yes", "ProtectHostname=yes",
      "ProtectSystem=strict", "ProtectHome=read-only", "PrivateTmp=yes", "PrivateDevices=yes", "TemporaryFileSystem=/run:mode=0755",
      "InaccessiblePaths=-/proc/kcore", "ReadOnlyPaths=-/proc/sys", "CapabilityBoundingSet=", "NoNewPrivileges=yes", "SystemCallArchitectures=native",
      "LockPersonality=yes", "RestrictNamespaces=yes", "SystemCallErrorNumber=EPERM",
    ]) expect(lines(unit)).toContain(directive);
    const filter = lines(unit).find((l) => l.startsWith("SystemCallFilter=~"))!;
    expect(filter.split(" ")).toContain("mount");
    expect(filter.split(" ")).toContain("clone3:ENOSYS");
    expect(notes(unit).some((n) => n.includes("PID namespace"))).toBe(true);
    expect(notes(unit).some((n) => n.includes("hostname nsbox"))).toBe(true);
    // No PATH or HOME from whoever exported it.
    expect(unit).not.toContain("Environment=");
  });

  test("the os root (the default): home directories empty, and a note that the root is nsbox's own", () => {
    const unit = native();
    expect(lines(unit)).toContain("ProtectHome=tmpfs");
    expect(lines(unit)).toContain("BindReadOnlyPaths=/usr");
    expect(notes(unit).some((n) => n.includes("a root of nsbox's own"))).toBe(true);
  });

  test("flags: binds, limits, rlimits, capabilities, env, cwd", () => {
    const unit = native(
      "--bind", "/srv/data", "/data", "--ro-bind-try", "/etc/app", "/etc/app", "--memory", "64M", "--pids", "32", "--cpu", "0.5",
      "--rlimit", "NOFILE=1024:inf", "--cap-add", "net_bind_service", "--setenv", "MODE", "100% on", "--chdir", "/srv",
    );
    for (const directive of [
      "BindPaths=/srv/data:/data", "BindReadOnlyPaths=-/etc/app", "MemoryMax=67108864", "TasksMax=32", "CPUQuota=50%",
      "LimitNOFILE=1024:infinity", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
      'Environment="MODE=100%% on"', "WorkingDirectory=/srv",
    ]) expect(lines(unit)).toContain(directive);
  });

  test("what systemd cannot do is a comment, not a directive", () => {
    const unit = native("--root", "empty", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--keep-fd", "3", "--seccomp", "none");
    expect(lines(unit)).toContain("ProtectHome=tmpfs");
    expect(notes(unit).some((n) => n.includes("symlink /bin"))).toBe(true);
    expect(notes(unit).some((n) => n.includes("keep-fd 3"))).toBe(true);
    expect(unit).not.toContain("SystemCallFilter=");
  });

  test("a state directory and an idmapped bind are bound, with a note on what differs", () => {
    const unit = native("--state", "/var/lib/app", "--idmap-bind", "/srv/data", "/data", "0:1000");
    expect(lines(unit)).toContain("BindPaths=/var/lib/app");
    expect(lines(unit)).toContain("BindPaths=/srv/data:/data");
    expect(notes(unit).some((n) => n.includes("state directory /var/lib/app"))).toBe(true);
    expect(notes(unit).some((n) => n.includes("idmapped bind /srv/data"))).toBe(true);
  });

  test("shared namespaces get no private directive", () => {
    const unit = native("--share", "net,ipc");
    expect(unit).not.toContain("PrivateNetwork=");
    expect(unit).not.toContain("PrivateIPC=");
  });
});

describe("systemdUnitViaPlan", () => {
  test("ExecStart is the plan file", () => {
    expect(lines(systemdUnitViaPlan(head, "/etc/nsbox/plans/web plan"))).toContain('ExecStart="/etc/nsbox/plans/web plan"');
  });
});

describe("systemdUnitViaNsbox", () => {
  test("ExecStart runs nsbox run with the options and the command", () => {
    const unit = systemdUnitViaNsbox(head, "/usr/local/bin/nsbox", ["--setenv", "A", "b c"], ["sh", "-c", "echo $HOME"]);
    expect(lines(unit)).toContain('ExecStart=/usr/local/bin/nsbox run --setenv A "b c" -- sh -c "echo $$HOME"');
    expect(lines(unit)).toContain("Type=exec");
  });
});
