// Test preload: quiet logs, and the stage built once (test files import it through the driver).
import { existsSync } from "node:fs";
import { setLogLevel } from "../src/core/log.ts";

setLogLevel(Number(process.env.NSBOX_TEST_LOG ?? 0));

if (!existsSync(`${import.meta.dir}/../dist/nsbox-stage`) || !existsSync(`${import.meta.dir}/../dist/nsbox-probe`)) {
  const r = Bun.spawnSync([process.execPath, "scripts/build.ts", "--stage-only"], { cwd: `${import.meta.dir}/..`, stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error("could not build dist/nsbox-stage (see above)");
}
