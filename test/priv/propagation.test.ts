// Mount propagation between the host and the sandbox. The "host" side runs in a throwaway mount
// namespace with private propagation (unshare -m), so no mount here ever reaches the real host.
import { expect, test } from "bun:test";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describeRoot, host, NSBOX, tempDir } from "./harness.ts";
import { NS, PATH, sh, specFile, STAGE, temp } from "./stage-driver.ts";

/**
 * In a private mount namespace: a shared tmpfs at D; start a sandbox that says it is ready and
 * waits, then mount a tmpfs with a marker at D/late from outside, let the sandbox go on, and
 * report whether it saw the marker. The two sides take turns through fifos in D, never by time.
 */
function seesLateHostMount(propagation: string): string {
  const d = tempDir();
  try {
    const script = `
      set -e
      mount -t tmpfs nsbox-test ${d}; mount --make-shared ${d}; mkdir ${d}/late
      mkfifo -m 666 ${d}/ready ${d}/go
      ${NSBOX} run --propagation ${propagation} --bind ${d} ${d} -- sh -c 'echo > ${d}/ready; read x < ${d}/go; cat ${d}/late/marker 2>/dev/null || echo absent' > ${d}.out &
      read x < ${d}/ready
      mount -t tmpfs nsbox-late ${d}/late; echo present > ${d}/late/marker
      echo > ${d}/go
      wait
      cat ${d}.out`;
    const r = host(`unshare -m --propagation private sh -c '${script.replace(/'/g, "'\\''")}'`);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  } finally {
    rmSync(`${d}.out`, { force: true });
    rmSync(d, { recursive: true, force: true });
  }
}

describeRoot("propagation", () => {
  test("a host mount made after start appears inside with slave (the default) and shared", () => {
    expect(seesLateHostMount("slave")).toBe("present");
    expect(seesLateHostMount("shared")).toBe("present");
  });

  test("and not with private", () => {
    expect(seesLateHostMount("private")).toBe("absent");
  });

  test("a mount made inside never appears on the host, even with shared propagation", () => {
    const d = tempDir();
    try {
      const script = `
        set -e
        mount -t tmpfs nsbox-test ${d}; mount --make-shared ${d}
        mkfifo -m 666 ${d}/ready ${d}/go
        ${NSBOX} run --propagation shared --bind ${d} ${d} --tmpfs ${d}/inner -- sh -c 'grep -c " ${d}/inner " /proc/self/mountinfo; echo > ${d}/ready; read x < ${d}/go' &
        read x < ${d}/ready
        grep -c " ${d}/inner " /proc/self/mountinfo || true
        echo > ${d}/go
        wait`;
      const r = host(`unshare -m --propagation private sh -c '${script.replace(/'/g, "'\\''")}'`);
      // Inside: the tmpfs is there (1). On the host, while the sandbox runs: nothing (0).
      expect(r.stdout.trim().split("\n")).toEqual(["1", "0"]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("unchanged: a mount whose mountinfo line is longer than 8 KiB is judged like any other", () => {
    // The stage alone, without a user namespace: in one, the kernel turns the copies of shared
    // mounts into slaves (mount_namespaces(7)) and nothing could leak anyway.
    const d = temp();
    // 12 names of 200 spaces: each space is 4 bytes (\040) in mountinfo, so the line of a bind
    // of it on /tmp (where the stage stages its root) is over 9 KiB.
    const long = join(d, ...Array<string>(12).fill(" ".repeat(200)));
    mkdirSync(long, { recursive: true });
    const spec = specFile(d, "spec.wire", "clone", NS, "propagation", "unchanged", "bind", "/", "/", 1, "env", PATH, ...sh("echo ran"));
    // The spec and the stage are opened before /tmp (where they may live: a checkout under /tmp)
    // is covered; the stage reads the spec with pread and is run through its fd.
    const script = `
      exec 4<"$SPEC" 5<"${STAGE}"
      mount --bind "$LONG" /tmp
      /proc/self/fd/5 --spec-fd 4; echo private=$?
      mount --make-shared /tmp
      /proc/self/fd/5 --spec-fd 4 2>&1; echo shared=$?`;
    const r = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "sh", "-c", script], { env: { PATH: PATH.slice(5), LONG: long, SPEC: spec } });
    expect(r.stdout.toString().trim().split("\n")).toEqual([
      "ran",
      "private=0",
      "nsbox: propagation: unchanged: / or /tmp is a shared mount, so the sandbox's mounts would appear on the host (use slave or private)",
      "shared=125",
    ]);
  });
});
