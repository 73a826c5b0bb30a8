// The completion scripts: valid shell (bash -n, zsh -n, fish -n), and they complete from the
// option tables: a bash run of the completion function itself, as bash calls it on Tab.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { VERSION } from "../../src/cli/version.ts";
import { createCli } from "../../src/cli/index.ts";
import { main } from "../../src/cli/entry.ts";
import { commandReference } from "../../src/cli/reference.ts";
import { SANDBOX_OPTIONS } from "../../src/cli/sandbox-options.ts";
import { definePlugin, PLUGIN_API_VERSION } from "../../src/plugin/define.ts";
import { BUILTIN_PLUGINS } from "../../src/cli/builtin-plugins.ts";
import { bashCompletion } from "../../src/reference/completion-bash.ts";
import { fishCompletion } from "../../src/reference/completion-fish.ts";
import { zshCompletion } from "../../src/reference/completion-zsh.ts";
import { rootCtx } from "../helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "nsbox-completion-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A plugin that is not built in: the scripts must pick it up from the plugin list alone. */
const newPlugin = definePlugin({
  name: "cron-job", apiVersion: PLUGIN_API_VERSION, version: "1.0.0", description: "runs jobs",
  options: v.strictObject({ schedule: v.pipe(v.string(), v.description("when to run")), mode: v.optional(v.picklist(["once", "every"]), "once") }),
  plan: (_o, ctx) => ctx.base,
  commands: [{ name: "list", description: "list jobs", usage: "[--json] [--since TIME]", run: () => 0 }],
});

const cli = createCli({ stdout: () => {}, context: () => rootCtx });
const ref = commandReference(cli, VERSION, [...BUILTIN_PLUGINS, newPlugin], [{ name: "third-party", description: "installed" }]);

function saved(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function shell(argv: string[]): { code: number | null; out: string; err: string } {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { PATH: "/usr/bin:/bin", HOME: dir } });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("bash", () => {
  const script = saved("nsbox.bash", bashCompletion(ref));

  test("bash -n accepts it", () => {
    expect(shell(["bash", "-n", script])).toMatchObject({ code: 0, err: "" });
  });

  /** COMPREPLY after _nsbox for these words (the last is the one being completed). */
  function complete(...words: string[]): string[] {
    const driver = [
      `source ${script}`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}`,
      "_nsbox", 'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join("\n");
    const r = shell(["bash", "-c", driver]);
    expect(r.err).toBe("");
    return r.out.split("\n").filter(Boolean).sort();
  }

  test("nsbox run --ro completes to the ro-bind options", () => {
    const expected = SANDBOX_OPTIONS.map((o) => `--${o.name}`).filter((n) => n.startsWith("--ro")).sort();
    expect(expected).toEqual(["--ro-bind", "--ro-bind-try", "--root"]);
    expect(complete("nsbox", "run", "--ro")).toEqual(expected);
  });

  test("commands, words, choices and the values of two-value flags", () => {
    expect(complete("nsbox", "ex")).toEqual(["exec", "explain", "export"]);
    expect(complete("nsbox", "export", "")).toEqual(["oci", "systemd"]);
    expect(complete("nsbox", "export", "systemd", "--via", "")).toEqual(["native", "nsbox", "plan"]);
    expect(complete("nsbox", "run", "--net", "")).toEqual(["host", "loopback", "none"]);
    // --bind SRC DST: after both values, flags again.
    expect(complete("nsbox", "run", "--bind", "/usr", "/usr", "--net", "")).toEqual(["host", "loopback", "none"]);
    expect(complete("nsbox", "run", "--bind", "/us")).toContain("/usr");
    expect(complete("nsbox", "run", "--hostname", "--net")).toEqual([]); // a value, not a flag
    expect(complete("nsbox", "completion", "")).toEqual(["bash", "fish", "zsh"]);
  });

  test("after -- comes the command to run", () => {
    expect(complete("nsbox", "run", "--", "bas")).toContain("bash");
  });

  test("plugins complete: their names, commands and flags, a new one included", () => {
    expect(complete("nsbox", "run", "--plugin", "")).toEqual(["cms-isolate", "cron-job", "httpd-worker", "netzone", "third-party", "updater"]);
    expect(complete("nsbox", "run", "--plugin", "cron-job", "--sch")).toEqual(["--schedule"]);
    expect(complete("nsbox", "run", "--plugin", "cron-job", "--mode", "")).toEqual(["every", "once"]);
    expect(complete("nsbox", "cron-job", "")).toEqual(["list"]);
    expect(complete("nsbox", "cron-job", "list", "--s")).toEqual(["--since"]);
    expect(complete("nsbox", "netzone", "")).toEqual(["create", "ls", "rm", "show"]);
    expect(complete("nsbox", "httpd-worker", "run", "--li")).toEqual(["--listen"]);
    expect(complete("nsbox", "cms-isolate", "")).toEqual(["down", "exec", "logs", "ls", "run", "status", "unit", "up"]);
    expect(complete("nsbox", "cms-isolate", "up", "wiki", "--php")).toEqual(["--php-ini"]);
    // A plugin command's usage text names its flags and their choices.
    expect(complete("nsbox", "netzone", "create", "lab", "--policy", "")).toEqual(["internet", "isolated", "lan"]);
  });
});

describe("zsh", () => {
  const script = saved("_nsbox", zshCompletion(ref));
  const zsh = Bun.which("zsh");
  if (!zsh && process.env.CI) throw new Error("test/reference/completion needs zsh (apt-get install zsh)");

  test.skipIf(!zsh)("zsh -n accepts it", () => {
    expect(shell(["zsh", "-n", script])).toMatchObject({ code: 0, err: "" });
  });

  test.skipIf(!zsh)("the walk offers the same values (zsh's completion builtins stubbed)", () => {
    const driver = [
      "compdef() { :; }",
      'compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@"; }',
      '_describe() { local -a menu=("${(@P)4}"); print -rl -- "${(@)menu%%:*}"; }',
      "_files() { print -r -- @files; }",
      `source ${script}`,
      'words=(nsbox run --ro); CURRENT=3; _nsbox | grep -- "^--ro"',
      'words=(nsbox run --root ""); CURRENT=4; _nsbox',
      'words=(nsbox run --bind /usr ""); CURRENT=5; _nsbox',
    ].join("\n");
    const r = shell(["zsh", "-f", "-c", driver]);
    expect(r.err).toBe("");
    expect(r.out.split("\n").filter(Boolean)).toEqual(["--root", "--ro-bind", "--ro-bind-try", "os", "host", "empty", "@files"]);
  });
});

describe("fish", () => {
  const fish = Bun.which("fish");
  if (!fish && process.env.CI) throw new Error("test/reference/completion needs fish (apt-get install fish)");
  test.skipIf(!fish)("fish -n accepts it", () => {
    expect(shell(["fish", "-n", saved("nsbox.fish", fishCompletion(ref))])).toMatchObject({ code: 0, err: "" });
  });

  test.skipIf(!fish)("fish completes from it (complete -C)", () => {
    const script = saved("nsbox-run.fish", fishCompletion(ref));
    const names = (line: string) => {
      const r = shell(["fish", "--no-config", "-c", `source ${script}; complete -C ${JSON.stringify(line)}`]);
      expect(r.err).toBe("");
      return r.out.split("\n").filter(Boolean).map((l) => l.split("\t")[0]).sort();
    };
    expect(names("nsbox run --ro")).toEqual(["--ro-bind", "--ro-bind-try", "--root"]);
    expect(names("nsbox export ")).toEqual(["oci", "systemd"]);
    expect(names("nsbox run --plugin cron-job --sch")).toEqual(["--schedule"]);
  });

  test("every command and sandbox option is in it", () => {
    const text = fishCompletion(ref);
    for (const c of ref.commands) expect(text).toContain(`-a '${c.name}'`);
    for (const o of SANDBOX_OPTIONS) expect(text).toContain(`-l ${o.name}`);
  });
});

describe("nsbox completion SHELL", () => {
  async function run(...args: string[]): Promise<{ code: number; out: string }> {
    let out = "";
    const code = await main(["bun", "nsbox", "completion", ...args, "--config-dir", dir], { stdout: (d) => void (out += String(d)), context: () => rootCtx });
    return { code, out };
  }

  test("prints the script on stdout", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await run(shell);
      expect(r.code).toBe(0);
      expect(r.out).toContain("nsbox");
    }
    expect((await run("zsh")).out.startsWith("#compdef nsbox\n")).toBe(true);
  });

  test("an unknown shell is a usage error", async () => {
    expect((await run("tcsh")).code).toBe(2);
    expect((await run("toString")).code).toBe(2);
  });
});
