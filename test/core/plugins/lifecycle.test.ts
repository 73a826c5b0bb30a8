// add → use → remove on a temp --config-dir, in-process: built-in and third-party plugins,
// failing setups, refusals, and that a failed add leaves plugins.toml byte for byte unchanged.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFileSync, chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { addPlugin } from "../../../src/core/plugins/add.ts";
import { findPlugin, listPlugins, openCatalog, type PluginCatalog } from "../../../src/core/plugins/catalog.ts";
import { pluginPaths } from "../../../src/core/plugins/paths.ts";
import { removePlugin } from "../../../src/core/plugins/remove.ts";
import { RESERVED_FLAGS } from "../../../src/cli/plugin-args.ts";
import { definePlugin } from "../../../src/plugin/define.ts";
import { createRegistry } from "../../../src/plugin/registry.ts";
import { NsboxError } from "../../../src/base/errors.ts";

const REPO = resolve(import.meta.dir, "../../..");
const HELLO = join(REPO, "examples/hello-plugin");
const FIXTURES = join(REPO, "test/fixtures/plugins");

const events: string[] = [];
const zone = definePlugin({
  name: "zone",
  apiVersion: 1,
  version: "2.0.0",
  description: "a built-in with hooks",
  options: v.object({}),
  config: v.object({ subnet: v.optional(v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be a CIDR")), "10.0.0.0/24") }),
  plan: (_o, ctx) => ctx.base,
  hooks: {
    setup(ctx) {
      events.push(`setup ${ctx.config.subnet}`);
      ctx.state.write("zone", ctx.config.subnet!);
      if (ctx.config.subnet === "10.9.9.9/32") throw new Error("no room");
    },
    teardown(ctx) {
      events.push(`teardown ${ctx.state.read("zone")}`);
    },
  },
});

let dir: string;
let catalog: PluginCatalog;
const open = () => openCatalog(pluginPaths(0, {}, "/", dir), createRegistry([zone], RESERVED_FLAGS), RESERVED_FLAGS, process.getuid!());
const configBytes = () => (existsSync(join(dir, "plugins.toml")) ? readFileSync(join(dir, "plugins.toml"), "utf8") : "(none)");
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NsboxError);
    return { message: (e as NsboxError).message, code: (e as NsboxError).exitCode };
  }
  throw new Error("expected a failure");
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "nsbox-plugins-"));
  catalog = open();
  events.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("built-in plugins", () => {
  test("add runs setup with validated settings and records them; remove runs teardown and removes state", async () => {
    expect(await findPlugin(catalog, "zone")).toMatchObject({ kind: "built-in", entry: undefined });
    expect(await addPlugin(catalog, { target: "zone", settings: [["subnet", "10.1.0.0/16"]], cwd: "/" })).toEqual({ name: "zone", kind: "built-in" });
    expect(events).toEqual(["setup 10.1.0.0/16"]);
    expect(open().config.zone).toMatchObject({ kind: "built-in", version: "2.0.0", config: { subnet: "10.1.0.0/16" } });
    expect(existsSync(join(dir, "zone/zone"))).toBe(true);
    expect(listPlugins(open())).toEqual([{ name: "zone", version: "2.0.0", kind: "built-in", enabled: true, description: "a built-in with hooks" }]);
    await removePlugin(open(), "zone");
    expect(events).toEqual(["setup 10.1.0.0/16", "teardown 10.1.0.0/16"]);
    expect(existsSync(join(dir, "zone"))).toBe(false);
    expect(open().config).toEqual({});
  });

  test("a failing setup is torn down, leaves no state and no config", async () => {
    const before = configBytes();
    expect(await failure(addPlugin(catalog, { target: "zone", settings: [["subnet", "10.9.9.9/32"]], cwd: "/" }))).toEqual({ message: "plugin zone: setup failed (undone): no room", code: 125 });
    expect(events).toEqual(["setup 10.9.9.9/32", "teardown 10.9.9.9/32"]);
    expect(existsSync(join(dir, "zone"))).toBe(false);
    expect(configBytes()).toBe(before);
  });

  test("bad settings, unknown names and double adds are usage errors that change nothing", async () => {
    await addPlugin(catalog, { target: "zone", settings: [], cwd: "/" });
    const before = configBytes();
    expect(await failure(addPlugin(open(), { target: "zone", settings: [], cwd: "/" }))).toMatchObject({ message: "plugin zone is already added", code: 2 });
    expect(await failure(addPlugin(open(), { target: "netzone", settings: [], cwd: "/" }))).toEqual({ message: "no built-in plugin named netzone", code: 2 });
    await removePlugin(open(), "zone");
    const empty = configBytes();
    expect(await failure(addPlugin(open(), { target: "zone", settings: [["subnet", "x"]], cwd: "/" }))).toEqual({ message: "plugin zone: × must be a CIDR → at subnet", code: 2 });
    expect(await failure(addPlugin(open(), { target: "zone", settings: [["colour", "red"]], cwd: "/" }))).toEqual({ message: "plugin zone: unknown setting 'colour'", code: 2 });
    expect(configBytes()).toBe(empty);
    expect(before).not.toBe(empty);
    expect(await failure(removePlugin(open(), "zone"))).toEqual({ message: "plugin zone is not added", code: 2 });
  });
});

describe("third-party plugins", () => {
  test("install copies and hashes every file, loads the copy, and remove leaves nothing", async () => {
    expect(await addPlugin(catalog, { target: HELLO, settings: [["from", "alice"]], cwd: "/" })).toEqual({ name: "hello", kind: "installed" });
    const entry = open().config.hello!;
    expect(entry).toMatchObject({ kind: "installed", version: "1.0.0", entry: "index.ts", source: HELLO, config: { from: "alice" } });
    expect(Object.keys(entry.files)).toEqual(["greeting.ts", "index.ts", "package.json"]);
    expect(readFileSync(join(dir, "plugins/hello/index.ts"), "utf8")).toBe(readFileSync(join(HELLO, "index.ts"), "utf8"));
    const found = await findPlugin(open(), "hello");
    expect(found).toMatchObject({ kind: "installed" });
    expect(found!.plugin.name).toBe("hello");
    expect(existsSync(join(dir, "hello/added"))).toBe(true); // its setup hook's state
    await removePlugin(open(), "hello");
    expect(existsSync(join(dir, "plugins/hello"))).toBe(false);
    expect(existsSync(join(dir, "hello"))).toBe(false);
    expect(open().config).toEqual({});
  });

  test("a changed or added file, or one writable by others, is refused before any import", async () => {
    await addPlugin(catalog, { target: HELLO, settings: [], cwd: "/" });
    const installed = join(dir, "plugins/hello");
    chmodSync(join(installed, "index.ts"), 0o646);
    expect(await failure(findPlugin(open(), "hello"))).toMatchObject({ message: `plugin hello: refused: ${installed}/index.ts is writable by others`, code: 125 });
    chmodSync(join(installed, "index.ts"), 0o644);
    appendFileSync(join(installed, "greeting.ts"), "\n");
    expect((await failure(findPlugin(open(), "hello"))).message).toBe("plugin hello: refused: its files changed since it was installed: greeting.ts changed (sha256 mismatch)");
    expect(listPlugins(open()).find((r) => r.name === "hello")).toMatchObject({ problem: expect.stringContaining("sha256 mismatch") });
    // A refused plugin can still be removed (without running its code).
    await removePlugin(open(), "hello");
    expect(existsSync(installed)).toBe(false);
  });

  test("a single file installs; a copy of it outside is what was hashed", async () => {
    const src = join(dir, "src");
    cpSync(FIXTURES, src, { recursive: true });
    expect(await addPlugin(catalog, { target: join(src, "thrower.ts"), settings: [], cwd: "/" })).toEqual({ name: "thrower", kind: "installed" });
    expect(Object.keys(open().config.thrower!.files)).toEqual(["thrower.ts"]);
  });

  test("refusals at install leave plugins.toml, the install folder and the state untouched", async () => {
    await addPlugin(catalog, { target: HELLO, settings: [], cwd: "/" });
    const before = configBytes();
    const cases: [string, { message: string | RegExp; code: number }][] = [
      [join(FIXTURES, "bad-api.ts"), { message: "plugin future: it needs plugin API version 2; this nsbox implements version 1", code: 125 }],
      [join(FIXTURES, "named-run.ts"), { message: "plugin run: its name clashes with the nsbox command 'run'", code: 125 }],
      [HELLO, { message: "plugin hello is already installed", code: 2 }],
      ["./missing", { message: "no plugin file or folder at ./missing", code: 2 }],
      [join(FIXTURES, "setup-fails.ts"), { message: "plugin setup-fails: × Invalid key: Expected \"marker\" but received undefined → at marker", code: 2 }],
    ];
    for (const [target, expected] of cases) {
      expect(await failure(addPlugin(open(), { target, settings: [], cwd: dir }))).toEqual(expected as never);
      expect(configBytes()).toBe(before);
    }
    const marker = join(dir, "marker");
    expect(await failure(addPlugin(open(), { target: join(FIXTURES, "setup-fails.ts"), settings: [["marker", marker]], cwd: "/" }))).toEqual({ message: "plugin setup-fails: setup failed (undone): the disk is full", code: 125 });
    expect(readFileSync(marker, "utf8")).toBe("teardown ran");
    expect(existsSync(join(dir, "setup-fails"))).toBe(false);
    expect(existsSync(join(dir, "plugins/setup-fails"))).toBe(false);
    expect(configBytes()).toBe(before);
    expect(existsSync(join(dir, "plugins"))).toBe(true);
    expect(require("node:fs").readdirSync(join(dir, "plugins"))).toEqual(["hello"]);
  });
});
