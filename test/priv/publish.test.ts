// --publish on the real kernel, in a throwaway network namespace (test/priv/net-fixtures/
// publish.ts): a server in `--net none` reached through the host port, large bodies and many
// connections relayed whole both ways, half-close, no listener in the sandbox's processes, no way
// to the host's loopback, the port closed once the sandbox ends (killed payload, SIGTERM), a
// port in use refused with one line; as root and as an unprivileged user; a zone member (root).
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { describeRoot } from "./harness.ts";

const FIXTURE = resolve(import.meta.dir, "net-fixtures/publish.ts");

function scenario(who: "root" | "nobody", name = "all"): Record<string, any> {
  const r = Bun.spawnSync(
    ["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c", 'mount -t tmpfs nsbox-net-test /run && exec "$@"', "sh", process.execPath, FIXTURE, who, name],
    { stdin: "ignore", timeout: 120_000, env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } },
  );
  const stdout = r.stdout.toString();
  if (r.exitCode !== 0) throw new Error(`publish fixture (${who}) exited ${r.exitCode}:\n${r.stderr.toString()}\n${stdout}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describeRoot("--publish (in a throwaway network namespace)", () => {
  for (const who of ["root", "nobody"] as const) {
    test(
      `as ${who}: relayed whole, held by the supervisor alone, closed with the sandbox`,
      () => {
        const f = scenario(who);
        expect(f.get).toContain("hello from the sandbox");
        // 8 MiB up, then (after our half-close) 8 MiB down, checked byte for byte.
        expect(f.big).toBe(true);
        expect(f.concurrentOk).toBe(64);
        expect(f.v6big).toBe(true);
        // The host listener: found, in the supervisor, in none of the sandbox's processes.
        expect(f.listenerFound).toBe(true);
        expect(f.supervisorHolds).toBe(true);
        expect(f.insideComms).toContain("python3");
        expect(f.insideHolding).toEqual([]);
        // The host's loopback services stay out of reach from inside; the host still reaches them.
        expect(f.hostLoopbackFromInside).toBe("ConnectionRefusedError");
        expect(f.hostServiceFromHost).toBe("host service\n");
        // A killed payload ends the run (the init passes 128+9 on), SIGTERM is forwarded; the port closes.
        expect(f.payloadFound).toBe(true);
        expect(f.killedExit).toBe(137);
        expect(f.afterKill).toBe("ECONNREFUSED");
        expect(f.termExit).toBe(143);
        expect(f.afterTerm).toBe("ECONNREFUSED");
        for (const k of ["recordsAfterKill", "recordsAfterTerm", "recordsAfterInUse"]) expect(f[k]).toEqual([]);
        expect(f.inUse.code).toBe(125);
        expect(f.inUse.lines).toEqual(["nsbox: --publish 127.0.0.1:18092: the address is in use (another server listens there)"]);
        expect(f.leakedMounts).toEqual([]);
        if (who === "root") {
          expect(f.zone).toMatchObject({ created: 0, big: true, exit: 143, after: "ECONNREFUSED", removed: 0 });
          expect(f.zone.get).toContain("hello from the sandbox");
        }
      },
      150_000,
    );
  }
});
