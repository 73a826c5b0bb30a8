// The compiled entry point: run the CLI and exit with its code. The only process.exit in nsbox.
import { runCli } from "./cli/index.ts";

process.exit(await runCli(process.argv));
