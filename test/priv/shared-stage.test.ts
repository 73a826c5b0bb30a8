// The installed stage as what `nsbox run` execs: sandboxes then share one file's pages instead of
// a sealed memfd each. Only a stage that is this nsbox's own and root's alone is used, and never
// for a sandbox that may be host root (it could rewrite its init's executable: CVE-2019-5736).
// The host's /usr/local/lib is left alone: each case runs in a private mount namespace with a
// tmpfs of its own there, where the stage is installed.
import { expect, test } from "bun:test";
import { describeRoot, host, NSBOX } from "./harness.ts";

const INSTALLED = "/usr/local/lib/nsbox/nsbox-stage";

/** In a private mount namespace: a fresh /usr/local/lib, `prepare`, then the executable of a running `nsbox run [opts] -- sleep 30`. */
function stageOf(opts: string, prepare: string): { exe: string; stderr: string } {
  const script = `
    mount -t tmpfs -o mode=0755 nsbox-test /usr/local/lib
    ${NSBOX} stage install >/dev/null
    ${prepare}
    ${NSBOX} run ${opts} -- sleep 30 & pid=$!
    # Waits until the pid has exec'ed away from nsbox (the stage, or an early failure).
    for i in $(seq 2000); do
      exe=$(readlink /proc/$pid/exe 2>/dev/null) || break
      [ "$exe" != "${NSBOX}" ] && break
      sleep 0.01
    done
    echo "$exe"
    kill $pid; wait $pid 2>/dev/null || true`;
  const r = host(`unshare -m --propagation private sh -ec '${script.replaceAll("'", "'\\''")}'`);
  return { exe: r.stdout.trim(), stderr: r.stderr };
}

describeRoot("the installed stage, shared", () => {
  test("a sandbox with its own user namespace execs the installed stage", () => {
    expect(stageOf("", "").exe).toBe(INSTALLED);
  });
  test("a sandbox that may be host root keeps a sealed memfd", () => {
    expect(stageOf("--map-host-root", "").exe).toMatch(/^\/memfd:nsbox-stage/);
    expect(stageOf("--share user", "").exe).toMatch(/^\/memfd:nsbox-stage/);
  });
  test("an installed stage that is not this nsbox's, or that others may write, is not used", () => {
    expect(stageOf("", `echo >> ${INSTALLED}`).exe).toMatch(/^\/memfd:nsbox-stage/);
    expect(stageOf("", `chmod 0775 ${INSTALLED}`).exe).toMatch(/^\/memfd:nsbox-stage/);
    expect(stageOf("", `chmod 0777 /usr/local/lib/nsbox`).exe).toMatch(/^\/memfd:nsbox-stage/);
  });
});
