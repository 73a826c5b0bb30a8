// nft.ts: the rendered text for nsbox's zone tables, and the refusal of anything that is not a
// literal address, name or number before libnftables is ever called.
import { describe, expect, test } from "bun:test";
import { NftError } from "../../../src/base/errors.ts";
import { nftClient, parseTableList, renderDeleteZoneTable, renderRule, renderZoneTable, zoneTableName, type ZoneTable } from "../../../src/core/net/nft.ts";
import { NsboxError, UsageError } from "../../../src/base/errors.ts";
import { openLibnftables, type Libnftables, type NftResult } from "../../../src/core/sys/libnftables.ts";

/** A libnftables that records batches and answers from a script. */
function fakeLib(answer: (cmd: string) => Partial<NftResult> = () => ({})) {
  const calls: { commands: string; json: boolean }[] = [];
  const lib: Libnftables = {
    run(commands, opts = {}) {
      calls.push({ commands, json: opts.json ?? false });
      return { ok: true, output: "", error: "", ...answer(commands) };
    },
  };
  return { lib, calls };
}

const dropB: ZoneTable = {
  zone: "test",
  chains: [{ name: "input", base: { type: "filter", hook: "input", priority: 0, policy: "accept" }, rules: [{ saddr: "10.200.0.2", verdict: "drop" }] }],
};

describe("renderZoneTable", () => {
  test("declare, delete, define: one atomic replace", () => {
    expect(renderZoneTable(dropB)).toBe(
      [
        "table inet nsbox_test",
        "delete table inet nsbox_test",
        "table inet nsbox_test {",
        "\tchain input {",
        "\t\ttype filter hook input priority 0; policy accept;",
        "\t\tip saddr 10.200.0.2 drop",
        "\t}",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("a zone's NAT and forwarding, v4 and v6", () => {
    const text = renderZoneTable({
      zone: "web-1",
      chains: [
        {
          name: "forward",
          base: { type: "filter", hook: "forward", priority: 0, policy: "drop" },
          rules: [
            { ct: ["established", "related"], verdict: "accept" },
            { iifname: "nsbox-web-1", saddr: "10.88.0.0/24", verdict: "accept" },
            { iifname: "nsbox-web-1", saddr: "fd00:88::/64", proto: "tcp", dport: 443, counter: true, verdict: "accept" },
            { proto: "icmpv6", verdict: "accept" },
            { verdict: { jump: "deny" } },
          ],
        },
        { name: "deny", rules: [{ daddr: "203.0.113.7", verdict: "reject" }] },
        {
          name: "postrouting",
          base: { type: "nat", hook: "postrouting", priority: 100 },
          rules: [{ saddr: "10.88.0.7/24", oifname: "eth0", verdict: "masquerade" }],
        },
        {
          name: "prerouting",
          base: { type: "nat", hook: "prerouting", priority: -100 },
          rules: [
            { proto: "tcp", dport: 8080, verdict: { dnat: "10.88.0.2", port: 80 } },
            { daddr: "fd00::1", proto: "udp", dport: 53, verdict: { dnat: "fd00:88::2", port: 53 } },
            { saddr: "10.88.0.2", verdict: { snat: "198.51.100.1" } },
          ],
        },
      ],
    });
    expect(text.split("\n")).toEqual([
      "table inet nsbox_web-1",
      "delete table inet nsbox_web-1",
      "table inet nsbox_web-1 {",
      "\tchain forward {",
      "\t\ttype filter hook forward priority 0; policy drop;",
      "\t\tct state established,related accept",
      '\t\tiifname "nsbox-web-1" ip saddr 10.88.0.0/24 accept',
      '\t\tiifname "nsbox-web-1" ip6 saddr fd00:88::/64 tcp dport 443 counter accept',
      "\t\tmeta l4proto ipv6-icmp accept",
      "\t\tjump deny",
      "\t}",
      "\tchain deny {",
      "\t\tip daddr 203.0.113.7 reject",
      "\t}",
      "\tchain postrouting {",
      "\t\ttype nat hook postrouting priority 100;",
      // host bits of a network are cleared
      '\t\toifname "eth0" ip saddr 10.88.0.0/24 masquerade',
      "\t}",
      "\tchain prerouting {",
      "\t\ttype nat hook prerouting priority -100;",
      "\t\ttcp dport 8080 dnat ip to 10.88.0.2:80",
      "\t\tip6 daddr fd00::1 udp dport 53 dnat ip6 to [fd00:88::2]:53",
      "\t\tip saddr 10.88.0.2 snat ip to 198.51.100.1",
      "\t}",
      "}",
      "",
    ]);
  });

  test("/32 and /128 networks render as plain addresses", () => {
    expect(renderRule({ saddr: "10.0.0.1/32", daddr: "10.0.0.0/8", verdict: "accept" })).toBe("ip saddr 10.0.0.1 ip daddr 10.0.0.0/8 accept");
    expect(renderRule({ saddr: "FD00::1/128", verdict: "drop" })).toBe("ip6 saddr fd00::1 drop");
  });

  test("several addresses of one family: an anonymous set, each validated; none, or both families, refused", () => {
    expect(renderRule({ daddr: ["10.0.0.0/8", "10.0.2.15/32", "192.168.1.0/24"], verdict: "drop" })).toBe("ip daddr { 10.0.0.0/8, 10.0.2.15, 192.168.1.0/24 } drop");
    expect(renderRule({ iifname: "eth0", saddr: ["10.87.0.1"], verdict: "accept" })).toBe('iifname "eth0" ip saddr 10.87.0.1 accept');
    expect(() => renderRule({ daddr: ["10.0.0.0/8", "fc00::/7"], verdict: "drop" })).toThrow("mixes IPv4 and IPv6");
    expect(() => renderRule({ daddr: [], verdict: "drop" })).toThrow("an empty list");
    expect(() => renderRule({ daddr: ["10.0.0.1", "example.com"], verdict: "drop" })).toThrow(UsageError);
    expect(() => renderRule({ daddr: ["10.0.0.1 } drop; flush ruleset; {"], verdict: "drop" })).toThrow(UsageError);
    expect(() => renderRule({ nfproto: "ipv6", daddr: ["10.0.0.1", "10.0.0.2"], verdict: "drop" })).toThrow(UsageError);
  });

  test("a family match: meta nfproto, before any address, which must agree with it", () => {
    expect(renderRule({ iifname: "nz-z", nfproto: "ipv6", verdict: "drop" })).toBe('iifname "nz-z" meta nfproto ipv6 drop');
    expect(renderRule({ nfproto: "ipv4", daddr: "10.0.0.0/8", verdict: "accept" })).toBe("meta nfproto ipv4 ip daddr 10.0.0.0/8 accept");
  });

  test("removal is one batch that succeeds whether or not the table exists", () => {
    expect(renderDeleteZoneTable("test")).toBe("table inet nsbox_test\ndelete table inet nsbox_test\n");
  });

  const hostileRules: [string, unknown][] = [
    ["saddr with a command", { saddr: "10.0.0.1; flush ruleset", verdict: "drop" }],
    ["saddr hostname", { saddr: "example.com", verdict: "drop" }],
    ["daddr with a brace", { daddr: "10.0.0.1 } ; table ip x {", verdict: "drop" }],
    ["daddr with a newline", { daddr: "10.0.0.1\nflush ruleset", verdict: "drop" }],
    ["quoted address", { saddr: '"10.0.0.1"', verdict: "drop" }],
    ["prefix too long", { saddr: "10.0.0.0/33", verdict: "drop" }],
    ["v6 prefix too long", { saddr: "fd00::/129", verdict: "drop" }],
    ["mixed families", { saddr: "10.0.0.1", daddr: "fd00::1", verdict: "drop" }],
    ["dnat to a hostname", { verdict: { dnat: "evil.example" } }],
    ["dnat family against the match", { saddr: "10.0.0.1", verdict: { dnat: "fd00::2" } }],
    ["snat with a command", { verdict: { snat: "1.2.3.4; flush ruleset" } }],
    ["ifname with a quote", { iifname: 'eth0" accept; flush ruleset; "', verdict: "drop" }],
    ["ifname too long", { oifname: "a-very-long-interface", verdict: "drop" }],
    ["port out of range", { proto: "tcp", dport: 70000, verdict: "drop" }],
    ["port as text", { proto: "tcp", dport: "80; flush ruleset", verdict: "drop" }],
    ["dport without proto", { dport: 80, verdict: "drop" }],
    ["unknown proto", { proto: "sctp; flush ruleset", verdict: "drop" }],
    ["unknown verdict", { verdict: "accept; flush ruleset" }],
    ["jump to a bad chain", { verdict: { jump: "x; flush ruleset" } }],
    ["ct state injection", { ct: ["established; flush ruleset"], verdict: "accept" }],
    ["nfproto against the address", { nfproto: "ipv6", saddr: "10.0.0.1", verdict: "drop" }],
    ["nfproto injection", { nfproto: "ipv6; flush ruleset", verdict: "drop" }],
    ["dnat port 0", { verdict: { dnat: "10.0.0.2", port: 0 } }],
  ];
  test.each(hostileRules)("refuses %s", (_, rule) => {
    expect(() => renderRule(rule as never)).toThrow(UsageError);
  });

  test("errors say where: table, chain, rule", () => {
    const bad = { zone: "z", chains: [{ name: "c", rules: [{ verdict: "accept" as const }, { saddr: "example.com", verdict: "drop" as const }] }] };
    expect(() => renderZoneTable(bad)).toThrow('nft table inet nsbox_z: chain c, rule 2: not an IP address: "example.com"');
  });

  test.each(["", "UPPER", "a b", "a;b", "-lead", "x".repeat(33), "a\nb", "a\"", "nsbox_x}"])("refuses zone name %j", (zone) => {
    expect(() => zoneTableName(zone)).toThrow(UsageError);
  });

  test.each(["", "1st", "a-b", "a;b", "Chain", "x".repeat(33)])("refuses chain name %j", (name) => {
    expect(() => renderZoneTable({ zone: "z", chains: [{ name, rules: [] }] })).toThrow(UsageError);
  });

  test("refuses bad base chain fields", () => {
    const base = (b: object) => ({ zone: "z", chains: [{ name: "c", base: b as never, rules: [] }] });
    expect(() => renderZoneTable(base({ type: "route; x", hook: "input", priority: 0 }))).toThrow(UsageError);
    expect(() => renderZoneTable(base({ type: "filter", hook: "ingress", priority: 0 }))).toThrow(UsageError);
    expect(() => renderZoneTable(base({ type: "filter", hook: "input", priority: 0.5 }))).toThrow(UsageError);
    expect(() => renderZoneTable(base({ type: "filter", hook: "input", priority: 0, policy: "reject" }))).toThrow(UsageError);
  });
});

describe("nftClient", () => {
  test("a hostile address never reaches libnftables", () => {
    const { lib, calls } = fakeLib();
    const nft = nftClient(lib);
    for (const saddr of ["10.0.0.1; flush ruleset", "example.com"]) {
      expect(() => nft.applyZoneTable({ zone: "test", chains: [{ name: "input", rules: [{ saddr, verdict: "drop" }] }] })).toThrow(UsageError);
    }
    expect(() => nft.deleteZoneTable("x; flush ruleset")).toThrow(UsageError);
    expect(calls).toEqual([]);
  });

  test("apply and delete run one batch each; listing asks for JSON", () => {
    const out = '{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "inet", "name": "nsbox_test", "handle": 3}}, {"table": {"family": "ip", "name": "nat", "handle": 1}}, {"table": {"family": "ip", "name": "nsbox_x", "handle": 2}}]}\n';
    const { lib, calls } = fakeLib((cmd) => (cmd === "list tables" ? { output: out } : {}));
    const nft = nftClient(lib);
    nft.applyZoneTable(dropB);
    nft.deleteZoneTable("test");
    expect(nft.listTables().map((t) => `${t.family} ${t.name}`)).toEqual(["inet nsbox_test", "ip nat", "ip nsbox_x"]);
    expect(nft.listZoneTables()).toEqual([{ family: "inet", name: "nsbox_test", handle: 3 }]);
    expect(calls.map((c) => [c.commands.split("\n")[0], c.json])).toEqual([
      ["table inet nsbox_test", false],
      ["table inet nsbox_test", false],
      ["list tables", true],
      ["list tables", true],
    ]);
  });

  test("libnftables' error becomes one line naming the table; the full text is the hint", () => {
    const error = "Error: Could not process rule: No such file or directory\nadd rule inet nsbox_test input drop\n^^^^\n";
    const { lib } = fakeLib(() => ({ ok: false, error }));
    let err: unknown;
    try {
      nftClient(lib).applyZoneTable(dropB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NftError);
    expect((err as NftError).message).toBe("nft table inet nsbox_test: Could not process rule: No such file or directory");
    expect((err as NftError).detail).toBe(error);
  });
});

test("parseTableList: empty output and entries without tables", () => {
  expect(parseTableList("")).toEqual([]);
  expect(parseTableList('{"nftables": [{"metainfo": {}}]}')).toEqual([]);
});

test("a missing libnftables fails clearly, naming the package", () => {
  let err: unknown;
  try {
    openLibnftables("libnftables-nsbox-test-missing.so.9");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NsboxError);
  expect((err as NsboxError).message).toContain("libnftables");
  expect((err as NsboxError).hint).toContain("libnftables1");
});
