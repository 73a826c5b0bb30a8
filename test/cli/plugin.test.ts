// `nsbox plugin ...`, `plan --plugin` and `nsbox NAME SUBCOMMAND` in-process (the entry with a
// capturing io), on a temp --config-dir holding plugins.toml, installs and state.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { nsboxInProcess } from "./in-process.ts";

const HELLO = resolve(import.meta.dir, "../../examples/hello-plugin");
let dir: string;

const nsbox = (...args: string[]) => nsboxInProcess(dir, args);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "nsbox-cli-plugins-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("nsbox plugin", () => {
  test("list shows the built-ins as available, as text and JSON", async () => {
    const text = await nsbox("plugin", "list", "--config-dir", dir);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^NAME +VERSION +KIND +STATE +DESCRIPTION\ncms-isolate +\S+ +built-in +available .*\nhttpd-worker +\S+ +built-in +available /);
    const json = JSON.parse((await nsbox("plugin", "list", "--json", "--config-dir", dir)).out);
    expect(json[0]).toMatchObject({ name: "cms-isolate", kind: "built-in", enabled: false });
    expect(json[1]).toMatchObject({ name: "httpd-worker", kind: "built-in", enabled: false });
  });

  test("add PATH installs; list, info, plan and the plugin's commands use it", async () => {
    expect(await nsbox("plugin", "add", HELLO, "--set", "from=alice", "--config-dir", dir)).toMatchObject({ code: 0 });
    expect(readFileSync(join(dir, "plugins.toml"), "utf8")).toContain('[hello.config]\n"from" = "alice"');
    const list = JSON.parse((await nsbox("plugin", "list", "--json", "--config-dir", dir)).out);
    expect(list.find((r: { name: string }) => r.name === "hello")).toEqual({ name: "hello", version: "1.0.0", kind: "installed", enabled: true, description: "Example plugin: greets the sandboxed command through $GREETING" });

    const info = JSON.parse((await nsbox("plugin", "info", "hello", "--json", "--config-dir", dir)).out);
    expect(info.options).toEqual([
      { flag: "--greeting TEXT", type: "string", required: false, default: "hello", help: "what $GREETING says inside" },
      { flag: "--shout", type: "boolean", required: false, default: false, help: "upper-case the greeting" },
    ]);
    expect(info.commands.map((c: { name: string }) => c.name)).toEqual(["say", "greet"]);
    expect((await nsbox("plugin", "info", "hello", "--config-dir", dir)).out).toContain("Example:\n  nsbox plugin add ./examples/hello-plugin");

    const plan = await nsbox("plan", "--json", "--config-dir", dir, "--plugin", "hello", "--greeting", "hey", "--shout", "--hostname", "mine", "--", "sh", "-c", "echo $GREETING");
    expect(plan.code).toBe(0);
    const spec = JSON.parse(plan.out);
    expect(spec.process.env.GREETING).toBe("HEY");
    expect(spec.hostname).toBe("mine"); // the caller's flag wins over the plugin's default
    expect(JSON.parse((await nsbox("plan", "--json", "--plugin", "hello", "--config-dir", dir, "--", "true")).out).hostname).toBe("hello");

    expect(await nsbox("hello", "say", "--config-dir", dir, "--greeting", "hi", "bob")).toMatchObject({ code: 0, out: "hi, bob (from alice)\n" });
    expect(await nsbox("hello", "say", "--config-dir", dir)).toMatchObject({ code: 0, out: "hello (from alice)\n" });
    expect(readFileSync(join(dir, "hello/said"), "utf8")).toBe("2");
    expect(await nsbox("hello", "--config-dir", dir)).toMatchObject({ code: 2, out: expect.stringContaining("nsbox hello say") });
    expect(await nsbox("hello", "say", "--help", "--config-dir", dir)).toMatchObject({ code: 0, out: expect.stringContaining("usage: nsbox hello say") });

    expect(await nsbox("plugin", "remove", "hello", "--config-dir", dir)).toMatchObject({ code: 0 });
    expect(existsSync(join(dir, "plugins/hello"))).toBe(false);
    expect(existsSync(join(dir, "hello"))).toBe(false);
    expect(readFileSync(join(dir, "plugins.toml"), "utf8")).not.toContain("hello");
  });

  test("errors are one line with the right exit code, and change nothing", async () => {
    const before = existsSync(join(dir, "plugins.toml")) ? readFileSync(join(dir, "plugins.toml"), "utf8") : undefined;
    const cases: [string[], number, string][] = [
      [["plugin", "add", "no-such-plugin"], 2, "nsbox: no built-in plugin named no-such-plugin"],
      [["plugin", "add", "./missing"], 2, "nsbox: no plugin file or folder at ./missing"],
      [["plugin", "frobnicate"], 2, "nsbox: unknown plugin subcommand 'frobnicate'"],
      [["plugin", "remove", "hello"], 2, "nsbox: plugin hello is not added"],
      [["plugin", "add", HELLO, "--force"], 2, "nsbox: --force does not apply to plugin add"],
      [["run", "--plugin", "hello", "--", "true"], 2, "nsbox: no plugin named hello"],
      [["nosuchcommand"], 2, "nsbox: unknown command 'nosuchcommand'"],
      [["plan", "--plugin", "httpd-worker", "--listen", "nonsense", "--", "true"], 2, "nsbox: plugin httpd-worker: × 'nonsense'"],
    ];
    for (const [args, code, message] of cases) {
      const r = await nsbox(...args, "--config-dir", dir);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(r.err).toStartWith(message);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    }
    expect(existsSync(join(dir, "plugins.toml")) ? readFileSync(join(dir, "plugins.toml"), "utf8") : undefined).toBe(before);
  });
});
