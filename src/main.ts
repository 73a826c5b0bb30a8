// The compiled entry point: run the CLI and exit with its code. The only process.exit in nsbox.
import { main } from "./cli/entry.ts";

process.exit(await main(process.argv));
