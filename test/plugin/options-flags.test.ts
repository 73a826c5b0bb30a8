import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { flagUsage, kebabCase, optionFlags, parseOptionFlags, validateOptions } from "../../src/plugin/options-flags.ts";
import { UsageError } from "../../src/base/errors.ts";

const Schema = v.pipe(
  v.strictObject({
    greeting: v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty"), v.description("what to say")), "hello"),
    port: v.optional(v.pipe(v.number(), v.integer("must be an integer"), v.maxValue(65535, "must be a port")), 8080),
    shout: v.optional(v.boolean(), false),
    mode: v.optional(v.picklist(["fast", "safe"]), "safe"),
    listen: v.pipe(v.array(v.pipe(v.string(), v.startsWith("/", "must be an absolute path"))), v.metadata({ metavar: "ADDR" })),
    dataDir: v.string(),
  }),
  v.check((o) => o.port !== 1, "port 1 is not allowed"),
);

// Run options of the table the CLI passes in: --bind takes 2 values, --setenv 2, --net 1.
const other = (name: string) => ({ bind: 2, setenv: 2, net: 1, "no-init": 0 } as Record<string, number>)[name];

describe("optionFlags", () => {
  test("derives kebab-case flags with kinds, defaults, help and metavars", () => {
    const flags = optionFlags(Schema);
    expect(flags.map((f) => [f.name, f.kind, f.required, f.default])).toEqual([
      ["greeting", "string", false, "hello"],
      ["port", "number", false, 8080],
      ["shout", "boolean", false, false],
      ["mode", "choice", false, "safe"],
      ["listen", "list", true, undefined],
      ["data-dir", "string", true, undefined],
    ]);
    expect(flags[0]!.help).toBe("what to say");
    expect(flags.map(flagUsage)).toEqual(["--greeting TEXT", "--port N", "--shout", "--mode fast|safe", "--listen ADDR (repeatable)", "--data-dir TEXT"]);
    expect(kebabCase("allowUnix")).toBe("allow-unix");
  });

  test("refuses entries that cannot be flags, and non-object schemas", () => {
    expect(() => optionFlags(v.object({ nested: v.object({ a: v.string() }) }))).toThrow("option 'nested' (object) cannot be a flag");
    expect(() => optionFlags(v.object({ n: v.array(v.number()) }))).toThrow("option 'n' (array) cannot be a flag");
    expect(() => optionFlags(v.string())).toThrow("must be a valibot object schema");
  });
});

describe("parseOptionFlags", () => {
  const flags = optionFlags(Schema);

  test("takes the plugin's flags out and leaves run options and the command in order", () => {
    const r = parseOptionFlags(flags, ["--greeting", "hi", "--bind", "/a", "/b", "--listen", "/x", "--port=80", "--shout", "--listen", "/y", "--", "sh", "--greeting"], other);
    expect(r.input).toEqual({ greeting: "hi", listen: ["/x", "/y"], port: 80, shout: true });
    expect(r.rest).toEqual(["--bind", "/a", "/b", "--", "sh", "--greeting"]);
  });

  test("a run option's value that looks like a plugin flag stays the run option's", () => {
    const r = parseOptionFlags(flags, ["--setenv", "A", "--greeting", "--mode", "fast", "cmd"], other);
    expect(r.input).toEqual({ mode: "fast" });
    expect(r.rest).toEqual(["--setenv", "A", "--greeting", "cmd"]);
  });

  test("booleans: --x, --no-x, --x=false", () => {
    expect(parseOptionFlags(flags, ["--no-shout"], other).input).toEqual({ shout: false });
    expect(parseOptionFlags(flags, ["--shout=false"], other).input).toEqual({ shout: false });
    expect(() => parseOptionFlags(flags, ["--shout=maybe"], other)).toThrow(UsageError);
    // --no-init is a run option, not the negation of a plugin flag.
    expect(parseOptionFlags(flags, ["--no-init", "--", "x"], other).rest).toEqual(["--no-init", "--", "x"]);
  });

  test("a missing or non-numeric value is a usage error naming the flag", () => {
    expect(() => parseOptionFlags(flags, ["--greeting"], other)).toThrow("--greeting needs a value (TEXT)");
    expect(() => parseOptionFlags(flags, ["--greeting", "--"], other)).toThrow("--greeting needs a value");
    expect(() => parseOptionFlags(flags, ["--port", "80x"], other)).toThrow("--port: '80x' is not a number");
  });
});

describe("validateOptions", () => {
  test("fills defaults", () => {
    const r = validateOptions(Schema, { listen: ["/a"], dataDir: "/d" });
    expect(r).toEqual({ ok: true, value: { greeting: "hello", port: 8080, shout: false, mode: "safe", listen: ["/a"], dataDir: "/d" } });
  });

  test("renders the first issue with its path, and counts the rest", () => {
    expect(validateOptions(Schema, { listen: ["/a", "b"], dataDir: "/d" })).toEqual({ ok: false, message: "× must be an absolute path → at listen.1" });
    const r = validateOptions(Schema, { greeting: "", port: 70000, listen: [], dataDir: "/d" });
    expect(r).toEqual({ ok: false, message: "× must not be empty → at greeting (and 1 more)" });
    expect(validateOptions(Schema, { listen: [], dataDir: "/d", port: 1 })).toEqual({ ok: false, message: "× port 1 is not allowed" });
  });
});
