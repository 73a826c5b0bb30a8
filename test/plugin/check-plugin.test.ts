import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { checkPlugin, COMMAND_NAMES } from "../../src/plugin/check-plugin.ts";
import { definePlugin, type NsboxPlugin } from "../../src/plugin/define.ts";
import { PluginError } from "../../src/base/errors.ts";
import { createRegistry } from "../../src/plugin/registry.ts";
import { BUILTIN_PLUGINS } from "../../src/cli/builtin-plugins.ts";
import { createCli } from "../../src/cli/index.ts";
import { RESERVED_FLAGS } from "../../src/cli/plugin-args.ts";

const good = definePlugin({
  name: "demo",
  apiVersion: 1,
  version: "1.0.0",
  description: "a demo",
  options: v.object({ level: v.optional(v.number(), 1) }),
  plan: (_o, ctx) => ctx.base,
  commands: [{ name: "show", description: "show it", usage: "", run: () => 0 }],
  hooks: { setup() {} },
});
const check = (p: unknown) => checkPlugin(p, { source: "/tmp/demo.ts", reservedFlags: RESERVED_FLAGS });
const problem = (p: unknown) => {
  try {
    check(p);
  } catch (e) {
    expect(e).toBeInstanceOf(PluginError);
    return { message: (e as PluginError).message, code: (e as PluginError).exitCode };
  }
  throw new Error("expected a refusal");
};

describe("checkPlugin", () => {
  test("accepts a well-formed plugin", () => {
    expect(check(good)).toBe(good as NsboxPlugin);
  });

  test("refuses, naming the plugin, with exit 125", () => {
    expect(problem({ ...good, apiVersion: 2 })).toEqual({ message: "plugin demo: it needs plugin API version 2; this nsbox implements version 1", code: 125 });
    expect(problem({ ...good, name: "exec" }).message).toBe("plugin exec: its name clashes with the nsbox command 'exec'");
    expect(problem({ ...good, plan: undefined }).message).toBe("plugin demo: plan must be a function");
    expect(problem({ ...good, options: v.object({ net: v.string() }) }).message).toBe("plugin demo: its option 'net' clashes with nsbox's own --net");
    expect(problem({ ...good, options: v.object({ init: v.boolean() }) }).message).toBe("plugin demo: its option 'init' clashes with nsbox's own --no-init");
    expect(problem({ ...good, options: v.object({ deep: v.object({}) }) }).message).toContain("option 'deep' (object) cannot be a flag");
    expect(problem({ ...good, hooks: { install() {} } }).message).toBe("plugin demo: unknown hook 'install' (hooks are setup and teardown)");
    expect(problem({ ...good, commands: [good.commands![0], good.commands![0]] }).message).toBe("plugin demo: it has two commands named 'show'");
    expect(problem({ ...good, config: v.object({ n: v.number() }) }).message).toBe("plugin demo: its config setting 'n' must be a string or a picklist");
  });

  test("without a usable name, the source is named", () => {
    expect(problem(null).message).toBe("plugin /tmp/demo.ts: it is not a plugin object (see docs/plugins.md)");
    expect(problem({ ...good, name: "Bad Name" }).message).toContain("plugin /tmp/demo.ts: its name \"Bad Name\" must be");
  });

  test("COMMAND_NAMES covers every command of the CLI", () => {
    const names = createCli().commands.map((c) => c.name);
    expect(names.filter((n) => !COMMAND_NAMES.includes(n))).toEqual([]);
  });
});

describe("registry", () => {
  test("the built-in plugins pass the check", () => {
    expect([...createRegistry(BUILTIN_PLUGINS, RESERVED_FLAGS).keys()]).toEqual(BUILTIN_PLUGINS.map((p) => p.name));
  });

  test("two plugins of one name are refused", () => {
    expect(() => createRegistry([good, { ...good }], RESERVED_FLAGS)).toThrow("plugin demo: two built-in plugins have this name");
  });
});
