// Plugins through the compiled dist/nsbox: a third-party plugin installed from a path, run, its
// commands, refused when tampered with, removed without a trace; and every failure one line
// with the right exit code and plugins.toml unchanged. Always a temp --config-dir: the real
// /etc/nsbox and /var/lib/nsbox are never touched.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { appendFileSync, chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describeRoot, nsbox, tempDir, type Result } from "./harness.ts";

const HELLO = resolve(import.meta.dir, "../../examples/hello-plugin");
const FIXTURES = resolve(import.meta.dir, "../fixtures/plugins");

let dir: string;
beforeEach(() => {
  dir = tempDir("nsbox-plugins-");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = () => join(dir, "plugins.toml");
const configBytes = () => (existsSync(config()) ? readFileSync(config()) : undefined);
/** dist/nsbox with --config-dir after the first word (an option of run, plan, plugin and plugin commands). */
const ns = (args: string[], env?: Record<string, string>): Result => nsbox([args[0]!, "--config-dir", dir, ...args.slice(1)], { env });
/** One line on stderr, starting with `nsbox: `, no stack trace, and the exit code. */
function expectOneLine(r: Result, code: number, text: string): void {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: expect.stringContaining(text) });
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toStartWith("nsbox: ");
  expect(r.stderr).not.toContain("    at ");
}

describeRoot("third-party plugin: the example", () => {
  test("installs from a path, shows in list, runs through --plugin and its commands", () => {
    expect(ns(["plugin", "add", HELLO, "--set", "from=alice"]).code).toBe(0);
    expect(readdirSync(join(dir, "plugins/hello")).sort()).toEqual(["greeting.ts", "index.ts", "package.json"]);

    const list = ns(["plugin", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\nhello +1\.0\.0 +installed +enabled +Example plugin/);
    expect(JSON.parse(ns(["plugin", "list", "--json"]).stdout)).toContainEqual(expect.objectContaining({ name: "hello", kind: "installed", enabled: true }));

    const run = ns(["run", "--plugin", "hello", "--greeting", "x", "--", "sh", "-c", "echo $GREETING; hostname"]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: "x\nhello\n" });
    expect(ns(["run", "--plugin", "hello", "--shout", "--hostname", "mine", "--", "sh", "-c", "echo $GREETING; hostname"]).stdout).toBe("HELLO\nmine\n");

    expect(ns(["hello", "say", "bob"])).toMatchObject({ code: 0, stdout: "hello, bob (from alice)\n" });
    expect(ns(["hello", "greet", "--greeting", "hey", "--net", "none", "--", "sh", "-c", "echo $GREETING"])).toMatchObject({ code: 0, stdout: "hey\n" });
    expect(ns(["hello", "greet", "--", "sh", "-c", "exit 7"]).code).toBe(7);

    // Its state (setup's "added", say's counter) lives beside: remove takes all of it.
    expect(readdirSync(join(dir, "hello")).sort()).toEqual(["added", "said"]);
    expect(ns(["plugin", "remove", "hello"]).code).toBe(0);
    expect(existsSync(join(dir, "plugins/hello"))).toBe(false);
    expect(existsSync(join(dir, "hello"))).toBe(false);
    expect(readFileSync(config(), "utf8")).not.toContain("hello");
    expectOneLine(ns(["hello", "say"]), 2, "unknown command 'hello'");
  });

  test("refused once its file or a parent directory is writable by others, or its content changed", () => {
    expect(ns(["plugin", "add", HELLO]).code).toBe(0);
    const installed = join(dir, "plugins/hello");
    const works = () => ns(["run", "--plugin", "hello", "--", "true"]).code === 0;
    expect(works()).toBe(true);

    for (const path of [join(installed, "index.ts"), join(installed, "greeting.ts"), installed, join(dir, "plugins"), dir]) {
      const mode = (require("node:fs").statSync(path).mode as number) & 0o7777;
      chmodSync(path, mode | 0o002);
      // plugins.toml is checked too: the directory holding both refuses it first.
      expectOneLine(ns(["run", "--plugin", "hello", "--", "true"]), 125, `${path} is writable by others`);
      expectOneLine(ns(["hello", "say"]), 125, `${path} is writable by others`);
      chmodSync(path, mode);
      expect(works()).toBe(true);
    }

    appendFileSync(join(installed, "greeting.ts"), "\n// changed\n");
    expectOneLine(ns(["run", "--plugin", "hello", "--", "true"]), 125, "plugin hello: refused: its files changed since it was installed: greeting.ts changed (sha256 mismatch)");
    expect(ns(["plugin", "list"]).stdout).toMatch(/\nhello +1\.0\.0 +installed +refused /);
    writeFileSync(join(installed, "extra.ts"), "");
    chmodSync(join(installed, "extra.ts"), 0o644);
    expect(ns(["run", "--plugin", "hello", "--", "true"]).stderr).toContain("(and 1 more)");

    // A refused plugin is removed without running its teardown; nothing of it stays.
    const removed = ns(["plugin", "remove", "hello"]);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toContain("not running its teardown");
    expect(existsSync(installed)).toBe(false);
    expect(existsSync(join(dir, "hello"))).toBe(false);
  });

  test("a one-file plugin installs too, and NSBOX_STATE_DIR moves installs and state", () => {
    const lib = tempDir("nsbox-plugins-lib-");
    try {
      const env = { NSBOX_STATE_DIR: lib };
      expect(ns(["plugin", "add", join(FIXTURES, "thrower.ts")], env).code).toBe(0);
      expect(existsSync(join(lib, "plugins/thrower/thrower.ts"))).toBe(true);
      expect(existsSync(join(dir, "plugins"))).toBe(false);
      expect(ns(["plugin", "remove", "thrower"], env).code).toBe(0);
      expect(readdirSync(join(lib, "plugins"))).toEqual([]);
    } finally {
      rmSync(lib, { recursive: true, force: true });
    }
  });
});

describeRoot("plugin code is only ever the verified copy", () => {
  test("Bun's transpiler cache (under HOME) is neither written nor read for plugins", () => {
    const home = tempDir("nsbox-plugins-home-");
    try {
      // Bun caches the output of modules over 50 KB; an entry in a HOME another user can write
      // would stand in for the verified file.
      const big = join(dir, "big.ts");
      const lines = Array.from({ length: 4000 }, (_, i) => `export const x${i}: number = ${i};`);
      writeFileSync(big, `${lines.join("\n")}\nexport default ({ definePlugin, v }: any) => definePlugin({ name: "big", apiVersion: 1, version: "1", description: "", options: v.object({}), plan: (_o: unknown, ctx: any) => ctx.base });\n`);
      expect(ns(["plugin", "add", big], { HOME: home }).code).toBe(0);
      expect(ns(["run", "--plugin", "big", "--", "true"], { HOME: home }).code).toBe(0);
      expect(readdirSync(home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describeRoot("plugin failures: one line, the right exit code, plugins.toml unchanged", () => {
  test("add of an unknown built-in, a missing path, a bad API version, a name clash", () => {
    expect(ns(["plugin", "add", HELLO]).code).toBe(0);
    const before = configBytes();
    const cases: [string[], number, string][] = [
      [["plugin", "add", "no-such-plugin"], 2, "nsbox: no built-in plugin named no-such-plugin"],
      [["plugin", "add", "./missing"], 2, "nsbox: no plugin file or folder at ./missing"],
      [["plugin", "add", join(FIXTURES, "bad-api.ts")], 125, "nsbox: plugin future: it needs plugin API version 2; this nsbox implements version 1"],
      [["plugin", "add", join(FIXTURES, "named-run.ts")], 125, "nsbox: plugin run: its name clashes with the nsbox command 'run'"],
      [["plugin", "add", HELLO], 2, "nsbox: plugin hello is already installed"],
      [["plugin", "add", "httpd-worker", "--set", "x=1"], 2, "nsbox: plugin httpd-worker: takes no settings"],
    ];
    for (const [args, code, text] of cases) {
      expectOneLine(ns(args), code, text);
      expect(configBytes()).toEqual(before);
    }
    expect(readdirSync(join(dir, "plugins"))).toEqual(["hello"]);
  });

  test("a plugin that throws in plan(), or loosens the sandbox: 125, naming it", () => {
    expect(ns(["plugin", "add", join(FIXTURES, "thrower.ts")]).code).toBe(0);
    expect(ns(["plugin", "add", join(FIXTURES, "loosens.ts")]).code).toBe(0);
    const before = configBytes();
    expectOneLine(ns(["run", "--plugin", "thrower", "--", "true"]), 125, "nsbox: plugin thrower: plan() failed: this plugin refuses to plan");
    expectOneLine(ns(["plan", "--plugin", "thrower", "--", "true"]), 125, "plugin thrower: plan() failed");
    expectOneLine(ns(["run", "--plugin", "loosens", "--", "true"]), 125, "nsbox: plugin loosens: refused: its sandbox is looser than the one asked for: it shares the host's net namespace");
    expect(configBytes()).toEqual(before);
  });

  test("bad option values: 2, naming the plugin and the option", () => {
    expect(ns(["plugin", "add", HELLO]).code).toBe(0);
    const before = configBytes();
    expectOneLine(ns(["run", "--plugin", "hello", "--greeting", "", "--", "true"]), 2, "nsbox: plugin hello: × must not be empty → at greeting");
    expectOneLine(ns(["run", "--plugin", "hello", "--greeting", "x".repeat(65), "--", "true"]), 2, "× must be at most 64 characters → at greeting");
    expectOneLine(ns(["run", "--plugin", "hello", "--greeting"]), 2, "plugin hello: --greeting needs a value");
    expectOneLine(ns(["run", "--plugin", "hello", "--shout=loud", "--", "true"]), 2, "plugin hello: --shout: 'loud' is not true or false");
    expectOneLine(ns(["run", "--plugin", "nope", "--", "true"]), 2, "nsbox: no plugin named nope");
    expectOneLine(ns(["hello", "say", "--greeting", ""]), 2, "nsbox: plugin hello: --greeting: must not be empty");
    expect(configBytes()).toEqual(before);
  });

  test("a failing setup is undone: teardown ran, no state, no files, no config", () => {
    const before = configBytes();
    const marker = join(dir, "marker");
    expectOneLine(ns(["plugin", "add", join(FIXTURES, "setup-fails.ts"), "--set", `marker=${marker}`]), 125, "nsbox: plugin setup-fails: setup failed (undone): the disk is full");
    expect(readFileSync(marker, "utf8")).toBe("teardown ran");
    expect(existsSync(join(dir, "setup-fails"))).toBe(false);
    expect(readdirSync(join(dir, "plugins"))).toEqual([]);
    expect(configBytes()).toEqual(before);
  });
});
