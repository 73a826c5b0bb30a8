// netzone on the real kernel, in a throwaway world (test/priv/net-fixtures/netzone.ts): zones of
// each policy, members probing TCP, UDP and ICMP, a payload with CAP_NET_ADMIN trying to route
// its way out, two members of one zone, cleanup, and bad input that must leave nothing behind.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { describeRoot } from "./harness.ts";

const FIXTURE = resolve(import.meta.dir, "net-fixtures/netzone.ts");

function scenario<T = Record<string, any>>(name: string, ...args: string[]): T {
  const r = Bun.spawnSync(
    ["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c", 'mount -t tmpfs nsbox-net-test /run && exec "$@"', "sh", process.execPath, FIXTURE, name, ...args],
    { stdin: "ignore", timeout: 170_000, env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } },
  );
  const stdout = r.stdout.toString();
  if (r.exitCode !== 0) throw new Error(`scenario ${name} exited ${r.exitCode}:\n${r.stderr.toString()}\n${stdout}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

const none = { tcp: false, udp: false, icmp: false };

describeRoot("netzone (in throwaway namespaces)", () => {
  test(
    "the policy matrix: internet, lan, isolated; other zones, the host; CAP_NET_ADMIN tricks; cleanup",
    () => {
      const f = scenario("matrix");
      for (const z of ["web", "lab", "iso", "other"]) expect(f.created[z]).toEqual({ code: 0, stderr: expect.stringContaining(`zone ${z}`) });
      expect(f.show).toContain("IPv6: disabled");
      const { web, lab, iso } = f.cells;
      for (const c of [web, lab, iso]) expect(c.code).toBe(0);
      const INET = "198.51.100.2";
      const LAN = "10.99.0.2";
      const host = ["203.0.113.1", "10.99.0.1"];
      expect(web.reach[INET]).toEqual({ tcp: "internet:t", udp: "internet:u", icmp: true });
      expect(web.reach[LAN]).toEqual(none);
      expect(lab.reach[LAN]).toEqual({ tcp: "lan:t", udp: "lan:u", icmp: true });
      expect(lab.reach[INET]).toEqual(none);
      for (const c of [web, lab, iso]) {
        for (const h of host) expect(c.reach[h]).toEqual(none);
        expect(c.reach[f.member]).toEqual(none);
      }
      for (const a of Object.keys(iso.reach)) expect(iso.reach[a]).toEqual(none);
      // Gateways: not reachable as a service (the host's input chain), from any zone.
      for (const [c, z] of [[web, "web"], [lab, "lab"], [iso, "iso"]] as const) {
        const g = f.zones.find((x: { name: string }) => x.name === z).gateway;
        expect(c.reach[g]).toEqual(none);
      }
      // A second member of one zone: its own address, and no way to the first.
      expect(f.second.pre.trim()).not.toBe(`${f.member}/24`);
      expect(f.second.pre.trim()).toMatch(/^10\.123\.0\.\d+\/24$/);
      expect(f.second.reach[f.member]).toEqual(none);
      // With CAP_NET_ADMIN and CAP_NET_RAW the payload still cannot leave its zone's policy.
      for (const c of Object.values(f.capped) as any[]) {
        expect(c.code).toBe(0);
        expect(c.pre).toContain("tricks-done");
        for (const a of Object.keys(c.reach)) expect(c.reach[a]).toEqual(none);
      }
      // As real root the payload did remove its own copy of the zone's table and re-address
      // itself: the host side still held. In its own user namespace it could do neither.
      for (const k of ["labRoot", "isoRoot", "webRoot"]) expect(f.capped[k].pre).toContain("nft=0");
      for (const k of ["labRoot", "isoRoot", "webRoot"]) expect(f.capped[k].pre).toContain("198.51.100.77/24");
      for (const k of ["lab", "iso", "web"]) expect(f.capped[k].pre).toContain("nft=1");
      for (const k of ["lab", "iso", "web"]) expect(f.capped[k].pre).toContain("Operation not permitted");
      expect(f.control).toEqual({ tcp: "member:t", udp: "member:u", icmp: true });
      // Forwarding is on for the zones, and for nothing else.
      expect(f.guard.tables).toContain("table inet nsbox_forward_guard");
      expect(f.guard.guarded).toEqual(none);
      expect(f.guard.unguarded).toEqual({ tcp: "internet:t", udp: "internet:u", icmp: true });
      // Without its guard a zone takes no new member, until gc puts the guard back (gc --only
      // zone-firewall: a throwaway world does not hide the host's cgroups or state stamps).
      expect(f.guard.refused.code).toBe(125);
      expect(f.guard.refused.stderr).toContain("table inet nsbox_forward_guard missing");
      expect(f.guard.gc.split("\n")).toEqual(["restored table inet nsbox_forward_guard (missing from the ruleset)"]);
      // A zone with a running member is not removed.
      expect(f.rmBusy.code).toBe(2);
      expect(f.rmBusy.stderr.split("\n")).toHaveLength(1);
      expect(f.rms).toEqual({ web: 0, lab: 0, iso: 0, other: 0 });
      expect(f.after.links).toEqual(["lan0", "lo", "up0"]);
      expect(f.after.tables).toBe("");
      expect(f.after.zones).toEqual([]);
      expect(f.after.net).toEqual([]);
      expect(f.forwardAfter).toBe(f.forwardBefore);
    },
    180_000,
  );

  test("bad input: one clear line, exit 2, nothing half-made", () => {
    const f = scenario("badInput");
    expect(f.ok).toBe(0);
    for (const [k, c] of Object.entries(f.cases) as [string, { code: number; stderr: string }][]) {
      expect({ k, code: c.code }).toEqual({ k, code: 2 });
      expect({ k, lines: c.stderr.split("\n").length }).toEqual({ k, lines: 1 });
    }
    expect(f.cases.prefix33.stderr).toContain("10.0.0.0/33");
    expect(f.cases.overlap.stderr).toContain("overlaps zone a");
    expect(f.cases.hostOverlap.stderr).toContain("overlaps the host's network");
    expect(f.cases.uplink.stderr).toContain("no such interface");
    expect(f.cases.slash.stderr).toContain("not a valid zone name");
    expect(f.after).toEqual(f.before);
    expect(f.rm).toBe(0);
    expect(f.end.tables).toBe("");
    expect(f.end.zones).toEqual([]);
  });

  test("a killed member: its veth dies with its namespace; gc removes its record, the next run reuses its address", () => {
    const f = scenario("killed");
    expect(f.ok).toBe(0);
    expect(f.running.links).toEqual(["lo", "nz-k", expect.stringMatching(/^nzv/)]);
    expect(f.running.zones).toEqual(["k.json", "k.leases", "k.leases/10.87.0.2"]);
    expect(f.running.net).toHaveLength(1);
    // One resolv.conf per zone (planning binds it, so `plan` shows it); it goes with the zone.
    expect(f.running.resolv).toEqual(["k"]);
    expect(f.dead.links).toEqual(["lo", "nz-k"]);
    expect(f.gc.code).toBe(0);
    expect(f.members).toEqual([]);
    expect(f.next).toBe("10.87.0.2/24");
    expect(f.rm).toBe(0);
    expect(f.end).toEqual({ links: ["lo"], tables: "", zones: [], net: [], resolv: [] });
  });

  for (const mode of ["brnf", "nobrnf"]) {
    test(`members of one zone: apart unless --peers, never the gateway (${mode === "brnf" ? "with" : "without"} br_netfilter)`, () => {
      const f = scenario("peers", mode);
      expect(f.brnf).toBe(mode === "brnf" ? "1" : "0");
      const reached = { tcp: "peer:t", udp: "peer:u", icmp: true };
      expect(f.p).toEqual({ ok: 0, code: 0, member: reached, gateway: none });
      expect(f.q).toEqual({ ok: 0, code: 0, member: none, gateway: none });
    });
  }
});
