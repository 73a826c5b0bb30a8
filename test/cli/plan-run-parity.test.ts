// `plan` shows what `run` builds: for every built-in plugin, and for each way a sandbox reaches
// the core (`run --plugin NAME`, a plugin command's CommandRun, `run --zone`), the spec `nsbox
// plan --json` prints is the one `run` hands to the core (core/execute.ts), which encodes it
// unchanged: what the host adds for one run (fds, a zone's network namespace) is HostWire beside it.
import { afterAll, describe, expect, spyOn, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../src/base/errors.ts";
import { main } from "../../src/cli/entry.ts";
import type { CliIo, Launch } from "../../src/cli/io.ts";
import { planCommand } from "../../src/cli/plan.ts";
import { runCommand } from "../../src/cli/run.ts";
import type { PlanFacts } from "../../src/cli/sandbox-command.ts";
import type { ExecuteOptions } from "../../src/core/execute.ts";
import { describeSpec } from "../../src/model/describe.ts";
import type { NormalSpec } from "../../src/model/normalize.ts";
import { encodeWire, wireRecords } from "../../src/native/wire.ts";
import { BUILTIN_PLUGINS } from "../../src/cli/builtin-plugins.ts";
import { rootCtx } from "../helpers.ts";
import { forgetRanges } from "../priv/harness.ts";
import { parseJob } from "../../plugins/updater/args.ts";
import { runArgs } from "../../plugins/updater/sandbox-args.ts";
import { instanceArgs, parseInstance } from "../../plugins/cms-isolate/args.ts";
import { SESSION_DIR, sandboxArgs } from "../../plugins/cms-isolate/sandbox-args.ts";

const dir = mkdtempSync(join(tmpdir(), "nsbox-parity-"));
const PARITY_JOB = `t${process.pid}-parity`;
const PARITY_CMS = `t${process.pid}-parity`;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  forgetRanges([`updater-${PARITY_JOB}`, `cms-${PARITY_CMS}`]);
});

const RESOLV = "/run/nsbox-resolv/web";
/** A zone `web` with a DNS server, without reading the host's zones. */
const facts: PlanFacts = { zoneResolvConf: (name) => (name === "web" ? RESOLV : undefined) };

class Launched {
  constructor(
    readonly spec: NormalSpec,
    readonly options: ExecuteOptions,
  ) {}
}
let last: Launched | undefined;
/** Instead of the exec: remembers what the core was handed (the entry turns the throw into an exit code). */
const launch: Launch = (spec, options = {}) => {
  last = new Launched(spec, options);
  throw last;
};

async function launched(f: () => Promise<unknown>): Promise<Launched> {
  try {
    await f();
  } catch (e) {
    if (e instanceof Launched) return e;
    throw e;
  }
  throw new Error("run returned without handing a sandbox to the core");
}

async function planned(args: string[]): Promise<NormalSpec> {
  return JSON.parse(String(await planCommand(["--json", "--config-dir", dir, ...args], rootCtx, { facts }))) as NormalSpec;
}

const ran = (args: string[]) => launched(() => runCommand(["--config-dir", dir, ...args], rootCtx, { launch, facts }));

/** A plugin command, through the entry like `nsbox NAME SUB ...`. */
function ranCommand(words: string[]): Promise<Launched> {
  const io: CliIo = { stdout: () => {}, context: () => rootCtx, launch, facts };
  const spy = spyOn(process.stderr, "write").mockImplementation(() => true);
  last = undefined;
  return launched(async () => {
    try {
      await main(["bun", "nsbox", ...words], io);
      if (last) throw last;
      throw new Error("the command did not hand a sandbox to the core");
    } finally {
      spy.mockRestore();
    }
  });
}

function expectSameSandbox(plan: NormalSpec, run: NormalSpec): void {
  expect(describeSpec(run)).toEqual(describeSpec(plan));
  expect(wireRecords(run)).toEqual(wireRecords(plan));
}

describe("plan and run show the same steps", () => {
  test("every built-in plugin is covered below", () => {
    expect(BUILTIN_PLUGINS.map((p) => p.name).sort()).toEqual(["cms-isolate", "httpd-worker", "netzone", "updater"]);
  });

  test("httpd-worker: plan --plugin, run --plugin and its run command", async () => {
    const socket = `unix:${dir}/worker.sock`;
    const args = ["--plugin", "httpd-worker", "--listen", socket, "--hostname", "w", "--", "srv", "-x"];
    const plan = await planned(args);
    expect(plan.process.env.LISTEN_FDS).toBe("1");
    expectSameSandbox(plan, (await ran(args)).spec);
    const command = await ranCommand(["httpd-worker", "run", "--config-dir", dir, "--listen", socket, "--hostname", "w", "--", "srv", "-x"]);
    try {
      expectSameSandbox(plan, command.spec);
      expect(command.options.host?.passFds).toHaveLength(1);
    } finally {
      for (const fd of command.options.host?.passFds ?? []) closeSync(fd);
    }
  });

  test("netzone: plan --plugin, run --plugin and run --zone, the zone's resolv.conf included", async () => {
    const plan = await planned(["--plugin", "netzone", "--in-zone", "web", "--", "true"]);
    expect(plan.network).toEqual({ mode: "zone", zone: "web" });
    // At the file a symlinked /etc/resolv.conf leads to (rootCtx: systemd-resolved's stub).
    expect(plan.mounts).toContainEqual(expect.objectContaining({ kind: "bind", src: RESOLV, dst: rootCtx.host.resolvConf, readonly: true }));
    expect(plan.mounts.filter((m) => m.dst === rootCtx.host.resolvConf)).toHaveLength(1);
    expectSameSandbox(plan, (await ran(["--plugin", "netzone", "--in-zone", "web", "--", "true"])).spec);
    expectSameSandbox(plan, (await ran(["--zone", "web", "--", "true"])).spec);
    expectSameSandbox(await planned(["--zone", "web", "--", "true"]), plan);
  });

  test("updater: its run command starts `nsbox run` with options that plan shows the same", async () => {
    // `run` records a named sandbox's id range on the host: a name of this test's own, forgotten after.
    const { job } = parseJob([PARITY_JOB, "--state", "/var/lib/apt-check", "--ro", "/etc/pki", "--", "apt-get", "update"], "usage");
    const args = runArgs(job).slice(1);
    const plan = await planned(args);
    expect(plan.security.capabilities).toHaveLength(5);
    expectSameSandbox(plan, (await ran(args)).spec);
  });

  test("cms-isolate: its run command hands the core the sandbox its run options plan, plus PHP's session dir", async () => {
    // A code dir of the test's own, readable by the instance's range; a free port; the record in `dir`.
    const code = join(dir, "code");
    mkdirSync(code, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const instance = parseInstance([PARITY_CMS, "--code", code, "--data", join(dir, "data"), "--listen", `127.0.0.1:${port}`, "--", "sh", "-c", "exit 0"], "usage");
    const plan = await planned(sandboxArgs(instance, undefined));
    const command = await ranCommand(["cms-isolate", "--config-dir", dir, "run", ...instanceArgs(instance)]);
    const sessions = (s: NormalSpec) => s.mounts.filter((m) => m.dst === SESSION_DIR);
    expect(sessions(command.spec)).toEqual([{ kind: "tmpfs", dst: SESSION_DIR, mode: 0o1733, size: 0 }]);
    const without = (s: NormalSpec): NormalSpec => ({ ...s, mounts: s.mounts.filter((m) => m.dst !== SESSION_DIR && !SESSION_DIR.startsWith(`${m.dst}/`) ) });
    expectSameSandbox(without(plan), without(command.spec));
    expect(command.spec.network.publish).toEqual(plan.network.publish);
  });

  test("a zone member's prepared network namespace is host wiring: the spec's records stay as planned", async () => {
    const plan = await planned(["--zone", "web", "--", "true"]);
    const bytes = (host: Parameters<typeof encodeWire>[1]) => new TextDecoder().decode(encodeWire(plan, host)).split("\0");
    const plain = bytes({});
    const wired = bytes({ netns: 7, nsFds: [7] });
    // Joined through the fd instead of made by clone(2); nothing else of the spec differs.
    expect(wired).toContain("/proc/self/fd/7");
    expect(Number(wired[wired.indexOf("clone") + 1]) & 0x40000000).toBe(0);
    expect(Number(plain[plain.indexOf("clone") + 1]) & 0x40000000).not.toBe(0);
    const withoutNet = (t: string[]) => t.filter((x, i) => !(t[i - 1] === "clone" || ["join", "net", "/proc/self/fd/7", "ns-fd", "7"].includes(x)));
    expect(withoutNet(wired)).toEqual(withoutNet(plain));
  });

  test("a zone that does not exist stops plan and run alike, before anything is made", async () => {
    const none: PlanFacts = {
      zoneResolvConf: (name) => {
        throw new UsageError(`no zone ${name}`);
      },
    };
    await expect(planCommand(["--zone", "nope", "--", "true"], rootCtx, { facts: none })).rejects.toThrow("no zone nope");
    await expect(runCommand(["--zone", "nope", "--", "true"], rootCtx, { launch, facts: none })).rejects.toThrow("no zone nope");
  });
});
