import { describe, expect, test } from "bun:test";
import { parsePluginsToml, renderPluginsToml, tomlString, type PluginsConfig } from "../../src/plugin/plugins-config.ts";

const config: PluginsConfig = {
  hello: {
    kind: "installed", version: "1.0.0", description: 'says "hi"\tand\\more', entry: "index.ts", source: "/src/hello", added: "2025-01-01T00:00:00.000Z",
    config: { from: "alice", "odd key": "line\nbreak \u0001 ü" },
    files: { "index.ts": "a".repeat(64), "lib/x.ts": "b".repeat(64) },
  },
  "httpd-worker": { kind: "built-in", version: "0.1.0", config: {}, files: {} },
};

describe("plugins.toml", () => {
  test("escapes what TOML basic strings need", () => {
    expect(tomlString('a"b\\c\n\u007f')).toBe('"a\\"b\\\\c\\n\\u007f"');
  });

  test("renders tables that Bun.TOML reads back to the same config", () => {
    const text = renderPluginsToml(config);
    expect(text).toContain('[hello]\nkind = "installed"');
    expect(text).toContain('[hello.files]\n"index.ts" = "');
    expect(text.indexOf("[hello]")).toBeLessThan(text.indexOf("[httpd-worker]"));
    expect(parsePluginsToml(text)).toEqual({ ok: true, config });
  });

  test("an empty config is just the header", () => {
    expect(parsePluginsToml(renderPluginsToml({}))).toEqual({ ok: true, config: {} });
  });

  test("a malformed file is one message with the path of the problem", () => {
    expect(parsePluginsToml('[hello]\nkind = "magic"\n')).toEqual({ ok: false, message: expect.stringContaining("→ at hello.kind") });
    expect(parsePluginsToml('[hello]\nkind = "installed"\n[hello.files]\n"../x" = "00"\n')).toMatchObject({ ok: false });
    expect(parsePluginsToml("[hello\n")).toMatchObject({ ok: false, message: expect.stringContaining("not valid TOML") });
  });
});
