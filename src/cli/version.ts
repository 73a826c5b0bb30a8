// nsbox's version, from package.json: for `--version` at the entry and for cac's help.
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
