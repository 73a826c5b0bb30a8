import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { definePlugin, type NsboxPlugin } from "../../src/plugin/define.ts";
import { planWithPlugin, usePlugin } from "../../src/plugin/plan-with-plugin.ts";
import { loosenings } from "../../src/plugin/loosening.ts";
import { PluginError } from "../../src/plugin/plugin-error.ts";
import { planSpec } from "../../src/model/plan.ts";
import type { SandboxSpecInput } from "../../src/model/schema.ts";
import type { NormalSpec } from "../../src/model/normalize.ts";
import { UsageError } from "../../src/core/errors.ts";
import { newDraft, toSpecInput } from "../../src/cli/sandbox-options.ts";
import { rootCtx } from "../helpers.ts";

const base: SandboxSpecInput = toSpecInput(newDraft(rootCtx), ["sh", "-c", "echo $GREETING"]);
const normal = (input: unknown): NormalSpec => {
  const r = planSpec(input, rootCtx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.spec;
};

function plugin(plan: NsboxPlugin["plan"]): NsboxPlugin {
  return definePlugin({ name: "demo", apiVersion: 1, version: "1", description: "", options: v.object({ greeting: v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty")), "hi") }), plan });
}

const run = (p: NsboxPlugin, input: Record<string, unknown> = {}) => planWithPlugin(usePlugin(p, input), base, normal(base), rootCtx);
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PluginError);
    return { message: (e as PluginError).message, code: (e as PluginError).exitCode };
  }
  throw new Error("expected a refusal");
};

describe("planWithPlugin", () => {
  test("the plugin's spec, normalised, with its options validated and defaulted", () => {
    const p = plugin((o, ctx) => ({ ...ctx.base, hostname: "demo", process: { ...ctx.base.process, env: { GREETING: (o as { greeting: string }).greeting } } }));
    const spec = run(p);
    expect(spec.hostname).toBe("demo");
    expect(spec.process.env).toEqual({ GREETING: "hi" });
    expect(spec.process.argv).toEqual(["sh", "-c", "echo $GREETING"]);
  });

  test("a bad option value is a usage error naming the plugin", () => {
    expect(refusal(() => run(plugin((_o, ctx) => ctx.base), { greeting: "" }))).toEqual({ message: "plugin demo: × must not be empty → at greeting", code: 2 });
  });

  test("plan() throwing is one line, 125; a UsageError thrown keeps exit 2", () => {
    expect(refusal(() => run(plugin(() => { throw new Error("nope\n    at x (y.ts:1:1)"); })))).toEqual({ message: "plugin demo: plan() failed: nope", code: 125 });
    expect(refusal(() => run(plugin(() => { throw new UsageError("needs --net none"); })))).toEqual({ message: "plugin demo: needs --net none", code: 2 });
  });

  test("an invalid spec names the plugin and the path", () => {
    const r = refusal(() => run(plugin((_o, ctx) => ({ ...ctx.base, hostname: "not a hostname!" }))));
    expect(r.code).toBe(125);
    expect(r.message).toStartWith("plugin demo: its plan is not a valid sandbox: × must be 1-64 letters");
    expect(r.message).toContain("→ at hostname");
  });

  test("mutating ctx.base changes nothing the check compares with", () => {
    const p = plugin((_o, ctx) => {
      ctx.base.namespaces = { ipc: { mode: "host" } };
      return ctx.base;
    });
    expect(refusal(() => run(p)).message).toBe("plugin demo: refused: its sandbox is looser than the one asked for: it shares the host's ipc namespace");
  });
});

describe("loosenings", () => {
  const b = normal(base);
  const with_ = (change: (s: SandboxSpecInput) => SandboxSpecInput) => loosenings(b, normal(change(structuredClone(base))));

  test("nothing for a plan that only adds", () => {
    expect(with_((s) => ({ ...s, hostname: "x", mounts: [...s.mounts!, { kind: "bind", src: "/srv", dst: "/srv" }], limits: { memory: 1 << 30 } }))).toEqual([]);
  });

  test("each kind of opening up is named", () => {
    expect(with_((s) => ({ ...s, namespaces: { ...s.namespaces, ipc: { mode: "host" } } }))).toEqual(["it shares the host's ipc namespace"]);
    expect(with_((s) => ({ ...s, network: { mode: "host" } }))).toContain("it shares the host's net namespace");
    expect(with_((s) => ({ ...s, security: { capabilities: ["CAP_NET_ADMIN"] } }))).toEqual(["it keeps capabilities CAP_NET_ADMIN"]);
    expect(with_((s) => ({ ...s, security: { seccomp: { base: "none" } } }))[0]).toStartWith("its system call filter allows");
    expect(with_((s) => ({ ...s, security: { seccomp: { allow: ["ptrace"] } } }))).toEqual(["its system call filter allows ptrace"]);
    expect(with_((s) => ({ ...s, users: { mapHostRoot: true } }))).toEqual(["it maps real host root into the sandbox"]);
    expect(with_((s) => ({ ...s, mounts: [...s.mounts!, { kind: "bind", src: "/", dst: "/", readonly: true }] }))).toEqual(["it puts the host's / on / (asked for: --root os)"]);
    const hostRoot = toSpecInput({ ...newDraft(rootCtx), root: "host" }, ["true"]);
    expect(loosenings(normal(hostRoot), normal({ ...hostRoot, mounts: [...hostRoot.mounts!, { kind: "bind", src: "/", dst: "/" }] }))).toEqual(["it makes / writable"]);
    expect(with_((s) => ({ ...s, mounts: s.mounts!.filter((m) => m.dst !== "/proc/kcore") }))).toEqual(["it drops the mask of /proc/kcore"]);
    expect(with_((s) => ({ ...s, process: { ...s.process, newSession: false } }))).toEqual(["it keeps the caller's session"]);
  });

  test("limits may only go down", () => {
    const limited = normal({ ...base, limits: { memory: 1 << 30, pids: 100 } });
    expect(loosenings(limited, normal({ ...base, limits: { memory: 1 << 29, pids: 100 } }))).toEqual([]);
    expect(loosenings(limited, normal({ ...base, limits: { pids: 200 } }))).toEqual(["it raises the memory limit", "it raises the process limit"]);
  });
});
