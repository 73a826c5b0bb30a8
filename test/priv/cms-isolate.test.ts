// `nsbox cms-isolate` with a real CMS: two DokuWiki instances (Debian's package, php-cli) from
// one read-only code dir, each with its own data dir, in a throwaway network namespace
// (test/priv/cms/scenario.ts). A's PHP plays an attacker (test/priv/cms/probe.php) against B, the
// code dir, the host's /tmp and loopback; then A's server is killed and B must not notice.
// Run as root, and as nobody (no subordinate ids) with its own config, state and runtime dirs.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { missingDokuwiki } from "./cms/dokuwiki-site.ts";
import { describeRoot, forgetRanges } from "./harness.ts";
import { throwawayWorld } from "./net-fixtures/lib.ts";

const SCENARIO = resolve(import.meta.dir, "cms/scenario.ts");
const missing = missingDokuwiki();
if (missing && process.env.CI) throw new Error(`test/priv/cms-isolate needs DokuWiki: ${missing} (apt-get install dokuwiki php-cli php-fpm)`);

function scenario(who: "root" | "nobody"): Record<string, any> {
  const r = Bun.spawnSync(
    [...throwawayWorld(), process.execPath, SCENARIO, who, String(process.pid)],
    { stdin: "ignore", timeout: 170_000, env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } },
  );
  const stdout = r.stdout.toString();
  if (r.exitCode !== 0) throw new Error(`scenario ${who} exited ${r.exitCode}:\n${r.stderr.toString()}\n${stdout}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

/** The sandbox names cms-isolate gives instances (their id ranges are recorded by name). */
const sandboxNames = (f: Record<string, any>) => Object.values(f.names as Record<string, string>).map((n) => `cms-${n}`);

const ESRCH = 3;

function judge(f: Record<string, any>): void {
  expect(f.error).toBeUndefined();
  // Each serves its own start page, not the other's; login + edit + save land in its own data.
  expect(f.startA).toEqual({ own: true, other: false });
  expect(f.startB).toEqual({ own: true, other: false });
  expect(f.saveA).toEqual({ login: true, status: 200, onHost: `written through ${f.names.a}` });
  expect(f.saveB).toEqual({ login: true, status: 200, onHost: `written through ${f.names.b}` });
  expect(f.crossLogin).toBe(false);

  // Distinct pid and mnt (and net, ipc, uts, user) namespaces for A, B and the host; neither
  // instance shares one with the test runner either.
  for (const k of ["pid", "mnt", "net", "ipc", "uts", "user"]) {
    expect(new Set([f.ns.a[k], f.ns.b[k], f.ns.host[k]]).size).toBe(3);
    expect([f.ns.a[k], f.ns.b[k]]).not.toContain(f.ns.runner[k]);
  }

  const a = f.probeA;
  expect(a.hostname).toBe(f.names.a);
  expect(a.env).toEqual({ CMS_NAME: f.names.a, CMS_DATA: f.data.a });
  // A cannot find B among its processes (by pid or cmdline): it sees only its own few.
  expect(a.markerSeen).toBe(false);
  expect(Object.values(a.procs as Record<string, string | null>).some((c) => c?.includes(f.names.b))).toBe(false);
  expect(Object.keys(a.procs).length).toBeLessThan(6);
  // Nor list, read or write B's data; nor write the code dir.
  expect(a.victim).toEqual({ stat: false, list: false, listData: false, readUsers: false, readStart: false, create: false, appendStart: false });
  expect(a.codeWrite).toEqual({ create: false, append: false, mkdir: false });
  // The host's /tmp is not A's; A's own /tmp is private (B and the host do not see its file).
  expect(a.tmp.hostMarker).toBe(false);
  expect(a.tmp.wroteMine).toBe(true);
  expect(a.tmp.readMine).toBe(true);
  expect(a.tmp.list).toContain(f.mineA);
  expect(f.probeB.tmp.list).not.toContain(f.mineA);
  expect(f.probeB.tmp.hostMarker).toBe(false);
  expect(f.afterProbe.mineOnHost).toBe(false);
  // Signals: B's host pids and the host's own pid do not exist for A; every pid A sees but its
  // own ancestry is refused or gone.
  expect(a.kills.length).toBe(6);
  for (const k of a.kills) expect({ pid: k.pid, ok: k.ok, errno: k.errno }).toEqual({ pid: k.pid, ok: false, errno: ESRCH });
  for (const o of a.others) expect(o.ok).toBe(false);
  // Connections: B's listen address and the host's loopback service are out of reach.
  for (const v of Object.values(a.connect)) expect(v).toMatch(/^failed/);
  expect(f.afterProbe).toMatchObject({ bAlive: true, bServes: true, pwnedInB: false, bStartUnchanged: true, codeUnchanged: true, mineOnHost: false, hostConnections: 0 });

  // Killing A's server tears A down; B keeps its pid, serves and saves.
  expect(f.afterKillA).toMatchObject({ aLeft: [], aPortListening: false, aRunning: false, aRecords: [], aCgroupsLeft: [], bSamePid: true, bServes: true });
  expect(f.afterKillA.bSave).toEqual({ login: true, status: 200, onHost: `saved after ${f.names.a} died` });

  expect(f.afterDownA).toEqual({ code: 0, stderr: "", listed: false, files: [], dataKept: true });

  // Down B: no process, record, cgroup, listener or mount left; its data kept.
  expect(f.afterDownB).toEqual({ code: 0, stderr: "", bLeft: [], listed: [], records: [], cgroupsLeft: [], listening: [], mounts: [], dataKept: true });
  expect(f.hostMarkerRemoved).toBe(true);
}

describeRoot("cms-isolate: two real DokuWiki instances that cannot see each other", () => {
  test.skipIf(!!missing)(
    "as root: own pages and saves, A's probe finds nothing of B, the code dir or the host; killing A leaves B whole",
    () => {
      const f = scenario("root");
      try {
        judge(f);
        // The control: the same probe served without nsbox does see, read, write, signal, connect.
        expect(f.control.markerSeen).toBe(true);
        expect(f.control.victim).toMatchObject({ list: true, readUsers: true, create: true });
        expect(f.control.codeCreate).toBe(true);
        expect(f.control.hostMarker).toBe(true);
        expect(f.control.kills[0]).toMatchObject({ sig: 0, ok: true });
        expect(f.control.sleeperSignal).toBe("SIGTERM");
        expect(f.control.connect).toEqual(["connected"]);
        // Started by root, each instance had cgroups of its own (its memory and pids limits).
        expect(f.cgroupsA.length).toBeGreaterThan(0);
        // Started by root, an instance runs as an unprivileged host range, A's not B's.
        expect(f.hostUid.a).not.toBe(0);
        expect(f.hostUid.b).not.toBe(0);
        expect(f.hostUid.a).not.toBe(f.hostUid.b);
      } finally {
        forgetRanges(sandboxNames(f));
      }
    },
    180_000,
  );

  test.skipIf(!!missing)(
    "as nobody (no subordinate ids): the same isolation, through mount, pid and net namespaces",
    () => {
      const f = scenario("nobody");
      judge(f);
      expect(f.hostUid).toEqual({ a: 65534, b: 65534 });
    },
    180_000,
  );
});
