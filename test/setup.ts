// Test preload: quiet logs, the stage built once (test files import it through the driver), and
// what shared helpers made removed at the end of the run (run-temp.ts).
import { afterAll } from "bun:test";
import { existsSync } from "node:fs";
import { setLogLevel } from "../src/core/log.ts";
import { removeRunTemps } from "./run-temp.ts";

afterAll(removeRunTemps);

setLogLevel(Number(process.env.NSBOX_TEST_LOG ?? 0));

const built = ["nsbox-stage", "nsbox-probe", "seccomp-default.bpf"].every((f) => existsSync(`${import.meta.dir}/../dist/${f}`));
if (!built) {
  const r = Bun.spawnSync([process.execPath, "scripts/build.ts", "--stage-only"], { cwd: `${import.meta.dir}/..`, stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error("could not build dist/nsbox-stage (see above)");
}
