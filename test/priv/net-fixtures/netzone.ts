// The netzone matrix in a throwaway world: started by test/priv/netzone.test.ts under
// `unshare --net --mount` with a private tmpfs on /run (guard() refuses anything else). This
// namespace plays the host; an "internet" peer (198.51.100.2, behind a router at 203.0.113.2)
// and a "LAN" peer (10.99.0.2) live in namespaces made here. Zones are made with dist/nsbox,
// members probe TCP, UDP and ICMP, and everything made must be gone at the end.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { emit, guard, spawnNetns, until } from "./lib.ts";
import { BIND_FIXTURES, listen, must, NSBOX, nsbox, peerLink, PORT, probe, PROBE } from "./zone-world.ts";

guard();
const INTERNET = "198.51.100.2";
const LAN = "10.99.0.2";

function leftovers() {
  const links = JSON.parse(must(["ip", "-j", "link"])).map((l: { ifname: string }) => l.ifname).sort();
  const tables = must(["nft", "list", "tables"]).trim();
  const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d, { recursive: true }).map(String).sort() : []);
  return { links, tables, zones: walk("/run/nsbox/zones"), net: walk("/run/nsbox/net") };
}

/** Whether a zone member's veth (nzv*) is still on the host side. */
const memberLinks = () => leftovers().links.some((l: string) => l.startsWith("nzv"));

async function matrix() {
  must(["ip", "link", "set", "lo", "up"]);
  const inet = await spawnNetns();
  const lan = await spawnNetns();
  const procs: Bun.Subprocess[] = [];
  try {
    // The uplink: a router namespace at 203.0.113.2 that also is the internet peer 198.51.100.2.
    peerLink(inet, "up0", "r0", "203.0.113.1/30", "203.0.113.2/30");
    inet.run(["ip", "addr", "add", `${INTERNET}/32`, "dev", "lo"]);
    must(["ip", "route", "add", "default", "via", "203.0.113.2"]);
    peerLink(lan, "lan0", "l0", "10.99.0.1/24", `${LAN}/24`);
    procs.push(await listen(["nsenter", `--net=${inet.path}`, "--"], "internet", INTERNET));
    procs.push(await listen(["nsenter", `--net=${lan.path}`, "--"], "lan"));
    procs.push(await listen([], "host"));
    const forwardBefore = must(["cat", "/proc/sys/net/ipv4/ip_forward"]).trim();

    const created: Record<string, { code: number | null; stderr: string }> = {};
    for (const [name, args] of [
      ["web", ["--policy", "internet"]],
      ["lab", ["--policy", "lan"]],
      ["iso", ["--policy", "isolated"]],
      ["other", ["--policy", "internet", "--subnet", "10.123.0.0/24"]],
    ] as const) {
      const r = nsbox(["netzone", "create", name, ...args]);
      created[name] = { code: r.code, stderr: r.stderr.trim() };
    }
    const ls = nsbox(["netzone", "ls", "--json"]);
    const zones = JSON.parse(ls.stdout) as { name: string; subnet: string; gateway: string }[];
    const gw = Object.fromEntries(zones.map((z) => [z.name, z.gateway]));
    const show = nsbox(["netzone", "show", "web"]).stdout;

    // The host forwards zone traffic only: the LAN peer, routed through it to the internet peer
    // (return route on the router), gets nowhere while the forward guard stands, and through
    // once the guard is gone (so it was the guard, not a missing route). A missing guard refuses
    // new members until `nsbox gc` puts it back; zone removal at the end copes with it gone.
    inet.run(["ip", "route", "add", "10.99.0.0/24", "via", "203.0.113.1"]);
    lan.run(["ip", "route", "add", "default", "via", "10.99.0.1"]);
    const fromLan = () => JSON.parse(must(["nsenter", `--net=${lan.path}`, "--", "python3", PROBE, PORT, INTERNET]))[INTERNET];
    const guardTables = must(["nft", "list", "tables"]).trim();
    const guarded = fromLan();
    must(["nft", "delete", "table", "inet", "nsbox_forward_guard"]);
    const unguarded = fromLan();
    const refused = nsbox(["run", "--zone", "web", "--", "true"]);
    // Only the zone firewall: cgroups and state stamps are the host's even in this world.
    const gc = nsbox(["gc", "--only", "zone-firewall"]);

    // A long-running member of zone "other", listening: the target "another zone's member".
    procs.push(await listen([NSBOX, "run", "--zone", "other", ...BIND_FIXTURES, "--"], "member"));
    const otherLeases = readdirSync("/run/nsbox/zones/other.leases");
    const member = otherLeases[0]!;
    // A second member of the same zone gets another address, and cannot reach the first.
    const second = probe("other", [member], [], "ip -4 -o addr show eth0 | awk '{print $4}'; ");
    const hostAddrs = ["203.0.113.1", "10.99.0.1"];
    const cells = {
      web: probe("web", [INTERNET, LAN, ...hostAddrs, gw.web!, member]),
      lab: probe("lab", [INTERNET, LAN, ...hostAddrs, gw.lab!, member]),
      iso: probe("iso", [INTERNET, LAN, ...hostAddrs, gw.iso!, member]),
    };
    // The payload keeps CAP_NET_ADMIN and CAP_NET_RAW and tries to route or address its way out.
    // Real root owns the member's network namespace and first removes the zone's table there
    // (zone.ts mirrorTable), so the host's tables alone must hold.
    const tricks =
      "/usr/sbin/nft flush ruleset 2>&1; echo nft=$?; ip addr add 198.51.100.77/24 dev eth0 2>&1; ip route replace default via 10.99.0.1 dev eth0 onlink 2>&1; ip route add 198.51.100.0/24 dev eth0 2>&1; ip link set eth0 address 02:00:00:00:00:99 2>&1; ip -4 -o addr show eth0; echo tricks-done; ";
    // Real root (--share user): here the tricks take effect inside, and still lead nowhere.
    const root = ["--share", "user", "--cap-add", "CAP_NET_ADMIN,CAP_NET_RAW"];
    const capped = {
      lab: probe("lab", [INTERNET, ...hostAddrs, member], ["--cap-add", "CAP_NET_ADMIN,CAP_NET_RAW"], tricks),
      iso: probe("iso", [INTERNET, LAN, ...hostAddrs], ["--cap-add", "CAP_NET_ADMIN,CAP_NET_RAW"], tricks),
      web: probe("web", [LAN, ...hostAddrs, member], ["--cap-add", "CAP_NET_ADMIN,CAP_NET_RAW"], tricks),
      labRoot: probe("lab", [INTERNET, ...hostAddrs, member], root, tricks),
      isoRoot: probe("iso", [INTERNET, LAN, ...hostAddrs, member], root, tricks),
      webRoot: probe("web", [LAN, ...hostAddrs, member], root, tricks),
    };
    // Positive control: the host itself (output, not forward) still reaches the member at the end,
    // so "no member reached it" above means the policy, not a dead listener.
    const control = JSON.parse(must(["python3", PROBE, PORT, member]))[member];
    const rmBusy = nsbox(["netzone", "rm", "other"]);
    const stopped = procs.splice(2);
    for (const p of stopped) p.kill();
    await Promise.all(stopped.map((p) => p.exited));
    // A member's veth goes when the kernel frees its namespace, after the process is gone.
    await until(() => !memberLinks(), "the stopped members' veths are gone");
    must(["nft", "delete", "table", "inet", "nsbox_forward_guard"]);
    const rms = Object.fromEntries(["web", "lab", "iso", "other"].map((z) => [z, nsbox(["netzone", "rm", z]).code]));
    const after = leftovers();
    const forwardAfter = must(["cat", "/proc/sys/net/ipv4/ip_forward"]).trim();
    return { created, zones, show, guard: { tables: guardTables, guarded, unguarded, refused: { code: refused.code, stderr: refused.stderr.trim() }, gc: gc.stdout.trim() }, member, second, cells, capped, control, rmBusy: { code: rmBusy.code, stderr: rmBusy.stderr.trim() }, rms, after, forwardBefore, forwardAfter };
  } finally {
    for (const p of procs) p.kill();
    inet.kill();
    lan.kill();
  }
}

function badInput() {
  must(["ip", "link", "set", "lo", "up"]);
  // An uplink so that internet zones have a default route to take.
  must(["ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1"]);
  must(["ip", "addr", "add", "203.0.113.1/30", "dev", "up0"]);
  must(["ip", "link", "set", "up0", "up"]);
  must(["ip", "link", "set", "up1", "up"]);
  must(["ip", "route", "add", "default", "via", "203.0.113.2"]);
  const ok = nsbox(["netzone", "create", "a", "--subnet", "10.50.0.0/24"]);
  const before = leftovers();
  const cases = Object.fromEntries(
    (
      [
        ["prefix33", ["netzone", "create", "b", "--subnet", "10.0.0.0/33"]],
        ["overlap", ["netzone", "create", "b", "--subnet", "10.50.0.128/25"]],
        ["hostOverlap", ["netzone", "create", "b", "--subnet", "203.0.113.0/24"]],
        ["uplink", ["netzone", "create", "b", "--uplink", "nope0"]],
        ["slash", ["netzone", "create", "a/b"]],
        ["policy", ["netzone", "create", "b", "--policy", "open"]],
        ["hostname", ["netzone", "create", "b", "--dns", "example.com"]],
        ["dup", ["netzone", "create", "a"]],
        ["noZone", ["run", "--zone", "nope", "--", "true"]],
        ["badZone", ["run", "--zone", "A/B", "--", "true"]],
        ["rmNone", ["netzone", "rm", "nope"]],
      ] as const
    ).map(([k, argv]) => {
      const r = nsbox([...argv]);
      return [k, { code: r.code, stderr: r.stderr.trim() }];
    }),
  );
  const after = leftovers();
  const rm = nsbox(["netzone", "rm", "a"]).code;
  return { ok: ok.code, before, cases, after, end: leftovers(), rm };
}

/** A member killed with SIGKILL: its namespace (and veth) die with it; gc and the next lease clean the rest. */
async function killed() {
  must(["ip", "link", "set", "lo", "up"]);
  const ok = nsbox(["netzone", "create", "k", "--policy", "isolated", "--dns", "192.0.2.53"]).code;
  const p = Bun.spawn([NSBOX, "run", "--zone", "k", "--", "sleep", "30"], { stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  await until(
    () => existsSync("/run/nsbox/zones/k.leases") && readdirSync("/run/nsbox/zones/k.leases").length === 1 && memberLinks() && leftovers().net.length === 1 && existsSync("/run/nsbox-resolv/k"),
    "the member of zone k is up",
  );
  const running = { ...leftovers(), resolv: readdirSync("/run/nsbox-resolv") };
  p.kill("SIGKILL");
  await p.exited;
  await until(() => !memberLinks(), "the killed member's veth is gone");
  const dead = leftovers();
  // Only what the killed member left: cgroups and state stamps are the host's even in this world.
  const gc = nsbox(["gc", "--pid", String(p.pid)]);
  const show = JSON.parse(nsbox(["netzone", "show", "k", "--json"]).stdout);
  const next = nsbox(["run", "--zone", "k", "--", "sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'"]);
  const rm = nsbox(["netzone", "rm", "k"]).code;
  return { ok, running, dead, gc: { code: gc.code, stderr: gc.stderr.trim() }, members: show.members, next: next.stdout.trim(), rm, end: { ...leftovers(), resolv: readdirSync("/run/nsbox-resolv") } };
}

/**
 * Members of one zone, with and without --peers. With `nobrnf`, bridged frames skip the inet hooks
 * (bridge-nf-call-iptables=0, a per-namespace sysctl, written only in this throwaway namespace):
 * then only the isolated bridge ports keep members apart.
 */
async function peers(mode?: string) {
  must(["ip", "link", "set", "lo", "up"]);
  if (mode === "nobrnf") writeFileSync("/proc/sys/net/bridge/bridge-nf-call-iptables", "0");
  const out: Record<string, unknown> = { brnf: must(["cat", "/proc/sys/net/bridge/bridge-nf-call-iptables"]).trim() };
  for (const [zone, flags] of [["p", ["--peers"]], ["q", []]] as const) {
    const ok = nsbox(["netzone", "create", zone, "--policy", "isolated", ...flags]).code;
    const a = await listen([NSBOX, "run", "--zone", zone, ...BIND_FIXTURES, "--"], "peer");
    try {
      const first = readdirSync(`/run/nsbox/zones/${zone}.leases`)[0]!;
      const gw = JSON.parse(nsbox(["netzone", "show", zone, "--json"]).stdout).gateway;
      const b = probe(zone, [first, gw]);
      out[zone] = { ok, code: b.code, member: b.reach[first], gateway: b.reach[gw] };
    } finally {
      a.kill();
      await a.exited;
      nsbox(["netzone", "rm", zone]);
    }
  }
  return out;
}

const scenarios: Record<string, (arg?: string) => unknown> = { matrix, badInput, killed, peers };
const which = process.argv[2]!;
emit(await (scenarios[which] as (arg?: string) => unknown)(process.argv[3]));
