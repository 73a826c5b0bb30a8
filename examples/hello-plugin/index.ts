// hello: the example third-party plugin (docs/plugins.md). `nsbox run --plugin hello` puts a
// greeting in the sandboxed command's $GREETING and names the sandbox's host "hello"; its
// commands print a greeting (`hello say`) or run a command with one (`hello greet`).
// A third-party plugin cannot import valibot or nsbox from where it is installed: everything
// comes from the `api` its default export is called with. Type-only imports are erased at load.
import type { ArgFlag, PluginApi } from "nsbox/plugin";
import { greetingText, type GreetingOptions } from "./greeting.ts";

export default function hello({ definePlugin, flagsOf, scanArgs, v, UsageError, wordsOf }: PluginApi) {
  const Options = v.strictObject({
    greeting: v.optional(
      v.pipe(v.string(), v.nonEmpty("must not be empty"), v.maxLength(64, "must be at most 64 characters"), v.description("what $GREETING says inside")),
      "hello",
    ),
    shout: v.optional(v.pipe(v.boolean(), v.description("upper-case the greeting")), false),
  });

  /** The commands' own flags, read with nsbox's tokenizer (a switch may be --no-shout). */
  const FLAGS = [{ name: "greeting", args: ["TEXT"] }, { name: "shout", args: [], negatable: true }];

  /** The options `--greeting TEXT` and `--shout` give, validated like the plugin's options. */
  function commandOptions(found: readonly ArgFlag[]): GreetingOptions {
    const input: Record<string, unknown> = {};
    for (const f of found) {
      if (f.name === "greeting") input.greeting = f.values[0];
      if (f.name === "shout") input.shout = !f.negated && f.values[0] !== "false";
    }
    const parsed = v.safeParse(Options, input);
    if (!parsed.success) throw new UsageError(`--greeting: ${parsed.issues[0].message}`);
    return parsed.output;
  }

  return definePlugin({
    name: "hello",
    apiVersion: 1,
    version: "1.0.0",
    description: "Example plugin: greets the sandboxed command through $GREETING",
    options: Options,
    config: v.strictObject({
      from: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, "must be a short name"), v.description("who `hello say` says the greeting is from"))),
    }),
    plan(options, ctx) {
      // Adds to the caller's sandbox, never replaces it: their --hostname and --setenv win
      // over the plugin's defaults, except for $GREETING, which is what they asked it for.
      const base = ctx.base;
      return {
        ...base,
        hostname: base.hostname ?? "hello",
        process: { ...base.process, env: { ...base.process.env, GREETING: greetingText(options) } },
      };
    },
    commands: [
      {
        name: "say",
        description: "print the greeting (and count, in the plugin's state, how often it did)",
        usage: "[--greeting TEXT] [--shout] [NAME]",
        run(args, ctx) {
          const scan = scanArgs(args, { shape: (name) => FLAGS.find((f) => f.name === name), words: "collect", hint: "usage: nsbox hello say [--greeting TEXT] [--shout] [NAME]" });
          const options = commandOptions(flagsOf(scan));
          const rest = wordsOf(scan);
          if (rest.length > 1) throw new UsageError("say takes at most one NAME");
          const count = Number(ctx.state.read("said") ?? "0") + 1;
          ctx.state.write("said", String(count));
          const from = ctx.config.from ? ` (from ${ctx.config.from})` : "";
          ctx.stdout(`${greetingText(options, rest[0])}${from}\n`);
          return 0;
        },
      },
      {
        name: "greet",
        description: "run COMMAND in a sandbox (the run options given) with $GREETING set",
        usage: "[--greeting TEXT] [--shout] [run options] -- COMMAND [ARG...]",
        run(args, ctx) {
          // Its flags and the run options in one pass: `--shout --net none -- sh` and `--net none --shout -- sh` alike.
          const { spec, command, flags } = ctx.sandbox(args, { flags: FLAGS });
          const options = commandOptions(flags);
          if (command.length === 0) throw new UsageError("greet needs a command after --");
          return { spec: { ...spec, process: { ...spec.process, env: { ...spec.process.env, GREETING: greetingText(options) } } } };
        },
      },
    ],
    hooks: {
      setup(ctx) {
        ctx.state.write("added", new Date().toISOString());
        ctx.log.info(`ready${ctx.config.from ? `, greeting from ${ctx.config.from}` : ""}`);
      },
      teardown(ctx) {
        ctx.log.info(`said hello ${ctx.state.read("said") ?? "0"} times; goodbye`);
      },
    },
    example: [
      "nsbox plugin add ./examples/hello-plugin --set from=alice",
      "nsbox run --plugin hello --greeting hi -- sh -c 'echo $GREETING from $(hostname)'",
      "nsbox hello say --greeting hi bob",
      "nsbox hello greet --shout --net none -- sh -c 'echo $GREETING'",
    ].join("\n"),
  });
}
