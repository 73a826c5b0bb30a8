// Writes dist/nsbox.1 from the command table, the sandbox options and the built-in plugins
// (src/reference/man-page.ts), so the man page says what this build's parser accepts.
// Run by scripts/build.ts after the stage is built (the CLI modules embed it).
import { writeFileSync } from "node:fs";
import pkg from "../package.json" with { type: "json" };
import { VERSION } from "../src/cli/entry.ts";
import { createCli } from "../src/cli/index.ts";
import { commandReference, EXIT_STATUS } from "../src/cli/reference.ts";
import { BUILTIN_PLUGINS } from "../src/plugin/registry.ts";
import { manPage } from "../src/reference/man-page.ts";

export const MAN_OUT = "dist/nsbox.1";

const cli = createCli({ stdout: () => {}, context: () => { throw new Error("the man page needs no plan context"); } });
writeFileSync(MAN_OUT, manPage(commandReference(cli, VERSION, BUILTIN_PLUGINS), { description: pkg.description, exitStatus: EXIT_STATUS }));
