// What the cms-isolate tests share: their directories, a free port, whether something accepts
// on it, a page from it, and whether a process is still there.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { stampPath } from "../../src/core/state-directories.ts";
import { tempDir } from "./harness.ts";

/** A temporary root with the plugin's config dir (cfg, made by nsbox), an empty code dir and a data dir. */
export function cmsRoot(prefix: string): { root: string; cfg: string; code: string } {
  const root = tempDir(prefix);
  chmodSync(root, 0o755); // the instances' ranges must reach the code below it
  const code = join(root, "code");
  mkdirSync(code, { mode: 0o755 });
  mkdirSync(join(root, "data"), { mode: 0o755 });
  return { root, cfg: join(root, "cfg"), code };
}

/**
 * Removes a cmsRoot and the stamps of the data dirs below it: they are state dirs, and a stamp
 * left behind would show under whichever name takes the released range's slot next.
 */
export function removeCmsRoot(root: string): void {
  const data = join(root, "data");
  for (const n of existsSync(data) ? readdirSync(data) : []) rmSync(stampPath(join(data, n)), { force: true });
  rmSync(root, { recursive: true, force: true });
}

/** A port nothing listens on now. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Whether something accepts connections on the host's 127.0.0.1:port. */
export function accepting(port: number): boolean {
  const r = Bun.spawnSync(["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stderr: "ignore" });
  return r.exitCode === 0;
}

export async function get(port: number, path = "/"): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).text();
}

/** Whether the process exists and has not ended (a zombie has). */
export const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
