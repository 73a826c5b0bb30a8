// hello: the example third-party plugin (docs/plugins.md). `nsbox run --plugin hello` puts a
// greeting in the sandboxed command's $GREETING and names the sandbox's host "hello"; its
// commands print a greeting (`hello say`) or run a command with one (`hello greet`).
// A third-party plugin cannot import valibot or nsbox from where it is installed: everything
// comes from the `api` its default export is called with. Type-only imports are erased at load.
import type { PluginApi } from "nsbox/plugin";
import { greetingText, type GreetingOptions } from "./greeting.ts";

export default function hello({ definePlugin, v, UsageError }: PluginApi) {
  const Options = v.strictObject({
    greeting: v.optional(
      v.pipe(v.string(), v.nonEmpty("must not be empty"), v.maxLength(64, "must be at most 64 characters"), v.description("what $GREETING says inside")),
      "hello",
    ),
    shout: v.optional(v.pipe(v.boolean(), v.description("upper-case the greeting")), false),
  });

  /** `--greeting TEXT` and `--shout` at the start of a command's args; the rest unchanged. */
  function commandOptions(args: readonly string[]): { options: GreetingOptions; rest: string[] } {
    const input: Record<string, unknown> = {};
    let i = 0;
    for (; i < args.length; i++) {
      if (args[i] === "--shout") input.shout = true;
      else if (args[i] === "--greeting") {
        if (args[i + 1] === undefined) throw new UsageError("--greeting needs a value (TEXT)");
        input.greeting = args[++i];
      } else break;
    }
    const parsed = v.safeParse(Options, input);
    if (!parsed.success) throw new UsageError(`--greeting: ${parsed.issues[0].message}`);
    return { options: parsed.output, rest: args.slice(i) };
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
          const { options, rest } = commandOptions(args);
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
          const { options, rest } = commandOptions(args);
          const { spec, command } = ctx.sandbox(rest);
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
