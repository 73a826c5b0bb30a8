// Attacks on netzone's isolation on the real kernel, in a throwaway world
// (test/priv/net-fixtures/netzone-audit.ts): the cloud metadata service from each policy, a member
// spoofing a LAN source on a host that already forwards, the host's ruleset flushed while
// zones exist (before and while members run), and --dns servers behind another interface.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { describeRoot } from "./harness.ts";
import { throwawayWorld } from "./net-fixtures/lib.ts";

const FIXTURE = resolve(import.meta.dir, "net-fixtures/netzone-audit.ts");

function scenario<T = Record<string, any>>(name: string): T {
  const r = Bun.spawnSync([...throwawayWorld(), process.execPath, FIXTURE, name], {
    stdin: "ignore",
    timeout: 170_000,
    env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  const stdout = r.stdout.toString();
  if (r.exitCode !== 0) throw new Error(`scenario ${name} exited ${r.exitCode}:\n${r.stderr.toString()}\n${stdout}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

const none = { tcp: false, udp: false, icmp: false };

describeRoot("netzone under attack (in throwaway namespaces)", () => {
  test("the metadata service (169.254.169.254) behind the uplink: reached by the host, by no zone (not even lan)", () => {
    const f = scenario("linkLocal");
    expect(f.created).toEqual([0, 0]);
    expect(f.control.tcp).toBe("internet:t");
    expect(f.web).toEqual(none);
    expect(f.lab["169.254.169.254"]).toEqual(none);
    // The lan zone still reaches its LAN: the drop is link-local's, not the zone's.
    expect(f.lab["10.99.0.2"]).toEqual({ tcp: "lan:t", udp: "lan:u", icmp: true });
  }, 120_000);

  test("a member with a LAN host's address (real root, CAP_NET_ADMIN) cannot bounce its server's answer onto the LAN", () => {
    const f = scenario("spoof");
    expect(f.created).toBe(0);
    // The member ran and its honest datagram was answered: the spoofed one was dropped.
    expect(f.code).toBe(0);
    expect(f.sent).toBe("internet:honest");
    expect(f.lanReceived).toBe("control");
  }, 120_000);

  test("a member with another member's address, or its MAC too (real root, CAP_NET_ADMIN), draws none of its traffic", () => {
    const f = scenario("impersonate");
    expect(f.created).toBe(0);
    expect(f.mac).toBe(true);
    const victim = { tcp: "victim:t", udp: "victim:u", icmp: true };
    expect(f.before).toEqual(victim);
    expect(f.arp).toEqual(victim);
    expect(f.macToo).toEqual(victim);
  }, 120_000);

  test("IPv6 turned back on for the bridge and a member, forwarded by the host: the zone's table still drops it", () => {
    const f = scenario("ipv6");
    expect(f.created).toBe(0);
    expect(f.bridgeV6).toBe("0");
    expect(f.withTable).toEqual(["control"]);
    // Without the zone's table the same datagram arrives: the IPv6 path itself works.
    expect(f.withoutTable).toEqual(["member", "control"]);
  }, 120_000);

  test("the host's ruleset flushed while members run: each member's own table keeps its zone's policy; the payload cannot flush it", () => {
    const f = scenario("mirror");
    expect(f.created).toEqual([0, 0]);
    expect(f.flushed).toBe("");
    // Without CAP_NET_ADMIN over its namespace (also with it in its own user namespace) the
    // payload cannot remove the table; the host's own LAN address stays closed to every member
    // (to a lan member too: the host's addresses at create go to the host's rules).
    for (const m of ["web", "lab", "webCap"]) expect({ m, flush: f.after[m].flush, code: f.after[m].code }).toEqual({ m, flush: "flush=1", code: 0 });
    for (const m of ["web", "lab", "webCap"]) expect({ m, reach: f.after[m].reach["10.99.0.1"] }).toEqual({ m, reach: none });
    // Nothing new enters a member from another zone; the host itself still reaches it.
    expect(f.after.lab.reach[f.server]).toEqual(none);
    expect(f.hostToMember).toEqual({ tcp: "member:t", udp: "member:u", icmp: true });
    // The LAN peer got the lan member's datagram and no internet member's, the internet peer the
    // internet members' and not the lan member's. Real root with CAP_NET_ADMIN (--share user)
    // owns the member's namespace: it can flush the table, and its datagrams go everywhere.
    expect(f.after.webRoot.flush).toBe("flush=0");
    expect(f.lanReceived).toEqual(["control", "lab", "webRoot"]);
    expect(f.internetReceived).toEqual(["control", "web", "webCap", "webRoot"]);
  }, 180_000);

  test("--dns servers reached through another interface than the zone's way out are masqueraded, so they answer (port 53 only)", () => {
    const f = scenario("dnsElsewhere");
    expect(f.created).toEqual([0, 0]);
    expect({ tcp: f.web.tcp, udp: f.web.udp }).toEqual({ tcp: "lan-dns:t", udp: "lan-dns:u" });
    expect({ tcp: f.lab.tcp, udp: f.lab.udp }).toEqual({ tcp: "internet-dns:t", udp: "internet-dns:u" });
    expect(f.other).toEqual({ web: none, lab: none });
  }, 120_000);

  test("the host's ruleset flushed: new members refused, show says so, gc puts the tables back and the policy holds again", () => {
    const f = scenario("flush");
    expect(f.created).toEqual([0, 0]);
    expect(f.before).toEqual(none);
    for (const z of ["web", "lab"]) {
      expect({ z, code: f.after[z].code }).toEqual({ z, code: 125 });
      expect(f.after[z].stderr.split("\n")).toHaveLength(1);
      expect(f.after[z].stderr).toContain(`table inet nsbox_${z}`);
      expect(f.after[z].stderr).toContain("nsbox_forward_guard");
      expect(f.after[z].reach).toEqual({});
    }
    expect(f.show.stdout).toContain("nftables: MISSING table inet nsbox_web");
    expect(f.gc.code).toBe(0);
    // gc --only zone-firewall: a throwaway world does not hide the host's cgroups or state stamps.
    expect(f.gc.stdout.split("\n").sort()).toEqual([
      "restored table inet nsbox_forward_guard (missing from the ruleset)",
      "restored table inet nsbox_lab (missing from the ruleset)",
      "restored table inet nsbox_web (missing from the ruleset)",
    ]);
    expect(f.tables).toEqual(["table inet nsbox_forward_guard", "table inet nsbox_lab", "table inet nsbox_web"]);
    expect(f.restored.web["10.99.0.1"]).toEqual(none);
    expect(f.restored.web["10.99.0.2"]).toEqual(none);
    expect(f.restored.web["198.51.100.2"]).toEqual({ tcp: "internet:t", udp: "internet:u", icmp: true });
    expect(f.restored.lab["198.51.100.2"]).toEqual(none);
    expect(f.restored.lab["10.99.0.1"]).toEqual(none);
    expect(f.restored.lab["10.99.0.2"]).toEqual({ tcp: "lan:t", udp: "lan:u", icmp: true });
  }, 180_000);
});
