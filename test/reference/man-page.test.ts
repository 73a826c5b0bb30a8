// nsbox(1): rendered by man-db and groff without a warning, and it documents what the parser
// takes (every command, every sandbox option, the built-in plugins).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { VERSION } from "../../src/cli/entry.ts";
import { createCli } from "../../src/cli/index.ts";
import { commandReference, EXIT_STATUS } from "../../src/cli/reference.ts";
import { SANDBOX_OPTIONS } from "../../src/cli/sandbox-options.ts";
import { BUILTIN_PLUGINS } from "../../src/plugin/registry.ts";
import { manPage, roffText } from "../../src/reference/man-page.ts";
import { rootCtx } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "nsbox-man-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = createCli({ stdout: () => {}, context: () => rootCtx });
const page = manPage(commandReference(cli, VERSION, BUILTIN_PLUGINS), { description: pkg.description, exitStatus: EXIT_STATUS });

const BUILT = join(import.meta.dir, "../../dist/nsbox.1");
const man = Bun.which("man");
if (!man && process.env.CI) throw new Error("test/reference/man-page needs man-db and groff-base (apt-get install man-db groff-base)");

/** `man -l` with every groff warning on (groff's "w"; its "all" leaves out undefined macros); stdout is the page. */
function render(text: string, name: string): { code: number | null; out: string; err: string } {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = Bun.spawnSync([man!, "--warnings=w", "-l", file], { stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/bin:/bin", HOME: dir, MANWIDTH: "80", LANG: "C.UTF-8", MANPAGER: "cat", PAGER: "cat" } });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe.skipIf(!man)("man -l", () => {
  test("a page with a mistake gets a warning (the check can fail)", () => {
    expect(render('.TH X 1\n.SH A\n.XX unknown macro\n', "bad.1").err).toContain("warning");
  });

  test("renders nsbox.1 without warnings", () => {
    const r = render(page, "nsbox.1");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("NSBOX(1)");
    // Every command and option, spelled with plain hyphens in the output.
    for (const c of cli.commands) expect(r.out).toContain(`nsbox ${c.name}`);
    for (const o of SANDBOX_OPTIONS) expect(r.out).toContain(`--${o.name}`);
    for (const p of BUILTIN_PLUGINS) expect(r.out).toContain(`nsbox ${p.name}`);
    expect(r.out).toContain("EXIT STATUS");
  });
});

test.skipIf(!existsSync(BUILT))("the build wrote this page to dist/nsbox.1", () => {
  expect(readFileSync(BUILT, "utf8")).toBe(page);
});

describe("roffText", () => {
  test("escapes what roff would read as markup", () => {
    expect(roffText("a\\b")).toBe("a\\eb");
    expect(roffText("--bind")).toBe("\\-\\-bind");
    expect(roffText(".hidden")).toBe("\\&.hidden");
    expect(roffText("'quote")).toBe("\\(aqquote");
    expect(roffText("see `nsbox plan`")).toBe("see \\fBnsbox plan\\fR");
  });
});
