// `nsbox exec` by an unprivileged caller on the real kernel. The sandbox's init is not dumpable, so
// only root may open its /proc namespace files; the caller joins through its command's instead,
// once they check out as the sandbox's own, and is refused with one line when they do not (a
// command that moved itself into a user namespace of its own making).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describeRoot, host, NSBOX, tempDir, waitFor } from "./harness.ts";

let home = "";
const started: Bun.Subprocess[] = [];

beforeAll(() => {
  if (process.getuid?.() !== 0) return;
  home = tempDir("nsbox-exec-rootless-");
  chmodSync(home, 0o755);
  host(`cp ${NSBOX} ${home}/nsbox && chmod 755 ${home}/nsbox`);
  mkdirSync(join(home, "run"), { mode: 0o700 });
  chownSync(join(home, "run"), 65534, 65534);
});
afterAll(() => {
  for (const p of started) p.kill("SIGKILL");
  if (home) rmSync(home, { recursive: true, force: true });
});

/** The argv that runs this test's nsbox as nobody (no subordinate ids), in the test's runtime dir. */
const asNobody = (args: string[]) => ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", `XDG_RUNTIME_DIR=${join(home, "run")}`, "PATH=/usr/bin:/bin", `${home}/nsbox`, ...args];
const records = () => join(home, "run", "nsbox", "sandboxes");

/** Starts `nsbox run --name NAME OPTS -- sleep 30` as nobody; resolves with its command's pid (the sleep). */
async function start(name: string, opts: string[], command: string[] = ["sleep", "30"]): Promise<number> {
  const p = Bun.spawn(asNobody(["run", "--name", name, ...opts, "--", ...command]), { stdout: "ignore", stderr: "ignore" });
  started.push(p);
  // The supervisor keeps nsbox's pid; its init's child is the command once it runs sleep.
  let payload = 0;
  await waitFor(() => {
    if (!existsSync(join(records(), `${p.pid}.json`))) return false;
    const init = readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim().split(" ")[0];
    const child = init ? readFileSync(`/proc/${init}/task/${init}/children`, "utf8").trim().split(" ")[0] : "";
    payload = Number(child);
    return payload > 0 && readlinkSync(`/proc/${payload}/exe`).endsWith("/sleep");
  }, `${name} runs sleep`);
  return payload;
}

describeRoot("nsbox exec as an unprivileged caller", () => {
  test("joins the sandbox's own namespaces, under its restrictions", async () => {
    const payload = await start("rx-plain", []);
    const r = Bun.spawnSync(asNobody(["exec", "rx-plain", "--", "sh", "-c", "for k in user mnt pid net ipc uts; do readlink /proc/self/ns/$k; done; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"]));
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.toString().trim().split("\n");
    expect(lines.slice(0, 6)).toEqual(["user", "mnt", "pid", "net", "ipc", "uts"].map((k) => readlinkSync(`/proc/${payload}/ns/${k}`)));
    expect(lines.slice(6).map((l) => l.replace(/\s+/g, " "))).toEqual(["CapEff: 0000000000000000", "NoNewPrivs: 1", "Seccomp: 2"]);
  });

  test("a command in a user namespace it made itself is not joined: one line, 125", async () => {
    await start("rx-nested", ["--allow-userns"], ["unshare", "--user", "sleep", "30"]);
    const r = Bun.spawnSync(asNobody(["exec", "rx-nested", "--", "true"]));
    expect(r.exitCode).toBe(125);
    const err = r.stderr.toString();
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).toContain("cannot join sandbox rx-nested as uid 65534");
    expect(err).toContain("its user namespace is not one made below yours");
    expect(readdirSync(records()).filter((f) => f.endsWith(".json"))).toHaveLength(2);
  });
});
