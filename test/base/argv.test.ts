// The shared `--flag` tokenizer: the shapes it knows, the three ways to meet an unknown flag, words
// that start the command or are collected, `--`, and one-line usage errors naming the flag.
import { describe, expect, test } from "bun:test";
import { flagsOf, isHelpRequest, mentionsFlag, scanArgs, shapeTable, wordsOf } from "../../src/base/argv.ts";
import { ArgError } from "../../src/base/errors.ts";

const shape = shapeTable([
  { name: "bind", args: ["SRC", "DST"] },
  { name: "name", args: ["NAME"] },
  { name: "quiet", args: [] },
  { name: "shout", args: [], negatable: true },
]);
const flags = (args: string[], opts: Partial<Parameters<typeof scanArgs>[1]> = {}) =>
  flagsOf(scanArgs(args, { shape, ...opts })).map((f) => [f.name, f.values, f.negated]);
const error = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ArgError);
    return [(e as ArgError).flag, (e as ArgError).message];
  }
  throw new Error("expected an ArgError");
};

describe("scanArgs", () => {
  test("values by arity, inline first; the command starts at `--` or the first word", () => {
    const scan = scanArgs(["--bind=/a", "/b", "--name", "-x", "--quiet", "ls", "-l"], { shape });
    expect(flagsOf(scan).map((f) => [f.name, f.values, f.raw])).toEqual([
      ["bind", ["/a", "/b"], ["--bind=/a", "/b"]],
      ["name", ["-x"], ["--name", "-x"]],
      ["quiet", [], ["--quiet"]],
    ]);
    expect(scan.rest).toEqual(["ls", "-l"]);
    expect(scan.dashdash).toBe(false);
    const dd = scanArgs(["--quiet", "--", "--name"], { shape });
    expect([dd.rest, dd.dashdash]).toEqual([["--name"], true]);
  });
  test("a negatable switch: --x, --no-x, --x=false; others take no inline value", () => {
    expect(flags(["--shout", "--no-shout", "--shout=false"])).toEqual([["shout", [], false], ["shout", [], true], ["shout", ["false"], false]]);
    expect(error(() => flags(["--no-shout=1"]))).toEqual(["shout", "--no-shout takes no value"]);
    expect(error(() => flags(["--quiet=1"]))).toEqual(["quiet", "--quiet takes no value"]);
    expect(error(() => flags(["--no-quiet"]))).toEqual(["no-quiet", "unknown option '--no-quiet'"]);
  });
  test("missing values, `--` as a value, unknown options, a single-dash word", () => {
    expect(error(() => flags(["--bind", "/a"]))).toEqual(["bind", "--bind needs 2 values (SRC DST)"]);
    expect(error(() => flags(["--name", "--", "x"]))).toEqual(["name", "--name needs a value (NAME)"]);
    expect(error(() => flags(["--nope"]))).toEqual(["nope", "unknown option '--nope'"]);
    expect(error(() => flags(["-x"]))).toEqual(["-x", "unknown option '-x'"]);
    expect(flags(["-"])).toEqual([]);
  });
  test("unknown flags kept: with the next word unless it starts with '-' (guess), or alone", () => {
    const guess = scanArgs(["--other", "v", "--more", "--name", "n", "cmd"], { shape, unknown: "guess" });
    expect(flagsOf(guess).map((f) => [f.name, f.known, f.raw])).toEqual([
      ["other", false, ["--other", "v"]], ["more", false, ["--more"]], ["name", true, ["--name", "n"]],
    ]);
    expect(guess.rest).toEqual(["cmd"]);
    const alone = scanArgs(["--other", "v"], { shape, unknown: "alone" });
    expect([flagsOf(alone).map((f) => f.raw), alone.rest]).toEqual([[["--other"]], ["v"]]);
  });
  test("collected words: flags and words in any order, then what follows `--`", () => {
    const scan = scanArgs(["web", "--name", "n", "more", "--", "--x"], { shape, words: "collect" });
    expect(scan.items.map((i) => (i.kind === "word" ? i.value : i.name))).toEqual(["web", "name", "more"]);
    expect(wordsOf(scan)).toEqual(["web", "more", "--x"]);
  });
  test("the hint is carried for the message's end", () => {
    try {
      scanArgs(["--nope"], { shape, hint: "see nsbox run --help" });
    } catch (e) {
      expect((e as ArgError).hint).toBe("see nsbox run --help");
    }
  });
});

describe("quick looks before `--`", () => {
  test("help and named flags count only before `--`, alone or with =VALUE", () => {
    expect(isHelpRequest(["--net", "none", "-h"])).toBe(true);
    expect(isHelpRequest(["--", "ls", "--help"])).toBe(false);
    expect(mentionsFlag(["--plugin=hello", "--", "x"], ["--plugin"])).toBe(true);
    expect(mentionsFlag(["--plugins", "x"], ["--plugin"])).toBe(false);
  });
});
