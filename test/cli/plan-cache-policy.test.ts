import { describe, expect, test } from "bun:test";
import { LOG_FLAGS } from "../../src/cli/log-flags.ts";
import { isCacheablePlan, PURE_OPTIONS, UNCACHED_OPTIONS } from "../../src/cli/plan-cache-policy.ts";
import { planFromArgs, PROFILE_FLAG } from "../../src/cli/sandbox-command.ts";
import { SANDBOX_OPTIONS } from "../../src/cli/sandbox-options.ts";
import { encodeWire } from "../../src/native/wire.ts";
import { rootCtx, userCtx } from "../helpers.ts";

const planned = (args: string[], ctx = rootCtx) => planFromArgs(args, LOG_FLAGS, "nsbox run", ctx);
const cacheable = (...args: string[]) => {
  const { uses, extras } = planned([...args, "--", "true"]);
  return isCacheablePlan(uses, extras);
};

describe("which run lines the plan cache keeps", () => {
  test("every sandbox option has been read and put in exactly one list", () => {
    const names = SANDBOX_OPTIONS.map((o) => o.name).sort();
    const listed = [...PURE_OPTIONS, ...Object.keys(UNCACHED_OPTIONS)].sort();
    expect(listed).toEqual(names);
  });
  test("options that read only argv and the context are kept, with the log flags", () => {
    expect(cacheable()).toBe(true);
    expect(cacheable("--ro-bind", "/srv", "/srv", "--tmpfs", "/x", "--setenv", "A", "1", "--net", "none", "--quiet")).toBe(true);
    expect(cacheable("--seccomp", "strict", "--memory", "64M", "--verbose", "--root", "host")).toBe(true);
    expect(cacheable("--state", "/srv/app", "--keep-fd", "3")).toBe(true);
    expect(cacheable("--net", "none", "--publish", "127.0.0.1:8080:80")).toBe(true);
    // A name's range is claimed again and compared at each hit (cli/run-cache.ts).
    expect(isCacheablePlan([{ name: "name", values: ["web"] }], new Map())).toBe(true);
  });
  test("options that read files, libseccomp or recorded state are not", () => {
    const only = (name: string, ...values: string[]) => isCacheablePlan([{ name: "tmpfs", values: ["/a"] }, { name, values }], new Map());
    expect(cacheable("--seccomp-deny", "ptrace")).toBe(false);
    expect(only("join", "net=/run/netns/x")).toBe(false);
    expect(only("zone", "lan")).toBe(false);
    expect(only("seccomp", "/etc/nsbox/policy.toml")).toBe(false);
    expect(only("a-future-option")).toBe(false);
  });
  test("a profile makes a line uncacheable, whatever it holds", () => {
    const { uses } = planned(["--", "true"]);
    expect(isCacheablePlan(uses, new Map([[PROFILE_FLAG.name, ["/p.toml"]]]))).toBe(false);
  });
  test("the options used are reported in order with their values", () => {
    expect(planned(["--tmpfs", "/a", "--setenv", "K", "V", "--", "true"]).uses).toEqual([
      { name: "tmpfs", values: ["/a"] },
      { name: "setenv", values: ["K", "V"] },
    ]);
  });
});

describe("a cached plan is the plan", () => {
  // An entry holds the spec as JSON: what the stage is handed from it must be byte for byte the same.
  const lines = [
    [],
    ["--ro-bind", "/srv", "/srv", "--bind-try", "/nope", "/nope", "--symlink", "../x", "/y", "--dir", "/d"],
    ["--root", "host", "--net", "host", "--cap-add", "net_bind_service", "--rlimit", "NOFILE=10:20", "--uid", "5"],
    ["--seccomp", "none", "--no-init", "--clearenv", "--setenv", "A", "b c", "--keep-fd", "3", "--memory", "64M"],
    ["--unshare", "all", "--chdir", "/tmp", "--hostname", "h", "--propagation", "private", "--die-with-parent"],
  ];
  test("root only: idmapped binds and maps of other ids", () => {
    const { spec } = planned(["--idmap-bind", "/a", "/b", "0:1000", "--map-users", "0:100000:65536", "--", "true"]);
    expect(encodeWire(JSON.parse(JSON.stringify(spec)))).toEqual(encodeWire(spec));
  });
  for (const [i, args] of lines.entries()) {
    for (const [who, ctx] of [["root", rootCtx], ["user", userCtx]] as const) {
      test(`line ${i} (${who}): the JSON round trip encodes to the same wire`, () => {
        const { spec } = planned([...args, "--", "sh", "-c", "echo ok"], ctx);
        const back = JSON.parse(JSON.stringify(spec));
        expect(encodeWire(back)).toEqual(encodeWire(spec));
        expect(back).toEqual(spec);
      });
    }
  }
});
