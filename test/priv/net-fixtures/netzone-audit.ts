// Attacks on netzone's isolation in a throwaway world: started by test/priv/netzone-audit.test.ts
// under `unshare --net --mount` with a private tmpfs on /run (guard() refuses anything else). This
// namespace plays the host; a router namespace behind the uplink is the internet peer
// (198.51.100.2) and the cloud's metadata service (169.254.169.254); a LAN namespace is the LAN
// peer (10.99.0.2). Nothing leaves the namespaces made here.
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { emit, guard, spawnNetns, until, type Netns } from "./lib.ts";
import { BIND_FIXTURES, INSIDE, listen, must, NSBOX, nsbox, peerLink, PORT, probe, PROBE } from "./zone-world.ts";

guard();
const INTERNET = "198.51.100.2";
const INTERNET6 = "2001:db8:ff::2";
const METADATA = "169.254.169.254";
const LAN = "10.99.0.2";
const HOST_LAN = "10.99.0.1";

/** The host (this namespace) with an uplink to the internet and metadata peer, and a LAN. */
async function world(procs: Bun.Subprocess[]): Promise<{ inet: Netns; lan: Netns }> {
  must(["ip", "link", "set", "lo", "up"]);
  const inet = await spawnNetns();
  const lan = await spawnNetns();
  peerLink(inet, "up0", "r0", "203.0.113.1/30", "203.0.113.2/30");
  inet.run(["ip", "addr", "add", `${INTERNET}/32`, "dev", "lo"]);
  // A cloud's metadata service, reached through the uplink as on most clouds.
  inet.run(["ip", "addr", "add", `${METADATA}/32`, "dev", "lo"]);
  must(["ip", "route", "add", "default", "via", "203.0.113.2"]);
  must(["ip", "route", "add", `${METADATA}/32`, "via", "203.0.113.2"]);
  peerLink(lan, "lan0", "l0", `${HOST_LAN}/24`, `${LAN}/24`);
  procs.push(await listen(["nsenter", `--net=${inet.path}`, "--"], "internet", INTERNET));
  procs.push(await listen(["nsenter", `--net=${lan.path}`, "--"], "lan"));
  // A service of the host's (an sshd, a resolver), listening on every address.
  procs.push(await listen([], "host"));
  return { inet, lan };
}

const zoneLinks = () => JSON.parse(must(["ip", "-j", "link"])).map((l: { ifname: string }) => l.ifname).filter((n: string) => n.startsWith("nz"));

async function cleanup(procs: Bun.Subprocess[], peers: Netns[], zones: string[]): Promise<void> {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.exited));
  await until(() => !zoneLinks().some((l: string) => l.startsWith("nzv")), "the members' veths are gone");
  for (const z of zones) nsbox(["netzone", "rm", z, "--force"]);
  for (const n of peers) n.kill();
}

/** Link-local destinations (the metadata service) from each policy. */
async function linkLocal() {
  const procs: Bun.Subprocess[] = [];
  const { inet, lan } = await world(procs);
  try {
    const created = ["web --policy internet", "lab --policy lan"].map((a) => nsbox(["netzone", "create", ...a.split(" ")]).code);
    // Positive control: the host itself reaches the metadata service (the route works).
    const control = JSON.parse(must(["python3", PROBE, PORT, METADATA]))[METADATA];
    return { created, control, web: probe("web", [METADATA]).reach[METADATA], lab: probe("lab", [METADATA, LAN]).reach };
  } finally {
    await cleanup(procs, [inet, lan], ["web", "lab"]);
  }
}

/**
 * A UDP port under `enter` (nsenter into a peer) that records each datagram it receives; read up
 * to a "control" datagram sent last, whatever arrived before it was sent before it.
 */
async function datagramSink(enter: string[], addr: string, port: number, procs: Bun.Subprocess[]): Promise<{ upTo(word: string): Promise<string[]> }> {
  const family = addr.includes(":") ? 10 : 2;
  const p = Bun.spawn(
    [...enter, "python3", "-c", `import socket\ns=socket.socket(${family},2);s.bind(('${addr}',${port}));s.settimeout(60);print('ready',flush=True)\nwhile True:\n d=s.recvfrom(64)[0].decode();print(d,flush=True)`],
    { stdin: "ignore", stdout: "pipe", stderr: "inherit" },
  );
  procs.push(p);
  const reader = p.stdout.getReader();
  let got = "";
  const upTo = async (want: string) => {
    while (!got.split("\n").includes(want)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the datagram sink ended before it saw ${want}: ${got}`);
      got += new TextDecoder().decode(value);
    }
    const lines = got.trim().split("\n");
    got = "";
    return lines.filter((l) => l !== "ready");
  };
  await upTo("ready");
  return { upTo };
}

/**
 * A member that may give itself an address (real root with CAP_NET_ADMIN) sends from a LAN
 * host's address to its own server on the internet: masqueraded out, the server's answer comes
 * back to the host, is un-NATed to the LAN address and forwarded onto the LAN. On a host that
 * already forwarded (a router, a container host) nothing else stops it.
 */
async function spoof() {
  const procs: Bun.Subprocess[] = [];
  const { inet, lan } = await world(procs);
  try {
    writeFileSync("/proc/sys/net/ipv4/ip_forward", "1");
    const created = nsbox(["netzone", "create", "web", "--policy", "internet"]).code;
    // The LAN host's victim port prints what it receives, up to the host's own "control"
    // datagram, sent once the member is done: whatever the member caused arrived before it.
    const victim = await datagramSink(lan.enter, "0.0.0.0", 7008, procs);
    // Then an honest datagram from the lease, answered: the echo server answers in order, so the
    // spoofed datagram's answer, if any, left the internet peer before this one's came back.
    // Real root owns the member's network namespace: it removes the zone's table there first
    // (zone.ts mirrorTable), so what is tested is the host's own table.
    const send = [
      "/usr/sbin/nft flush ruleset",
      "LEASE=$(ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)",
      `ip addr add ${LAN}/32 dev eth0`,
      `python3 -c "import socket;s=socket.socket(2,2);s.bind(('${LAN}',7008));s.sendto(b'spoofed',('${INTERNET}',${PORT}));t=socket.socket(2,2);t.bind(('$LEASE',0));t.settimeout(5);t.sendto(b'honest',('${INTERNET}',${PORT}));print(t.recvfrom(64)[0].decode())"`,
    ].join(" && ");
    const r = nsbox(["run", "--zone", "web", "--share", "user", "--cap-add", "CAP_NET_ADMIN", "--", "sh", "-c", send], 20_000);
    must(["python3", "-c", `import socket;socket.socket(2,2).sendto(b'control',('${LAN}',7008))`]);
    const lanReceived = (await victim.upTo("control")).join("\n");
    return { created, sent: r.stdout.trim(), code: r.code, lanReceived };
  } finally {
    await cleanup(procs, [inet, lan], ["web"]);
  }
}

/**
 * The host's admin flushes the whole ruleset (`nft flush ruleset`, which nftables.service runs
 * first on every reload) while zones exist: what do members reach, and does nsbox notice?
 */
async function flush() {
  const procs: Bun.Subprocess[] = [];
  const { inet, lan } = await world(procs);
  try {
    const created = ["web --policy internet", "lab --policy lan"].map((a) => nsbox(["netzone", "create", ...a.split(" ")]).code);
    const before = probe("web", [HOST_LAN]).reach[HOST_LAN];
    must(["nft", "flush", "ruleset"]);
    const after = { web: probe("web", [HOST_LAN]), lab: probe("lab", [INTERNET, HOST_LAN]) };
    const show = nsbox(["netzone", "show", "web"]);
    // Only the zone firewall: cgroups and state stamps are the host's even in this world.
    const gc = nsbox(["gc", "--only", "zone-firewall"]);
    const tables = must(["nft", "list", "tables"]).trim().split("\n").sort();
    const restored = { web: probe("web", [HOST_LAN, LAN, INTERNET]), lab: probe("lab", [INTERNET, HOST_LAN, LAN]) };
    return {
      created,
      before,
      after: { web: { code: after.web.code, stderr: after.web.stderr.trim(), reach: after.web.reach }, lab: { code: after.lab.code, stderr: after.lab.stderr.trim(), reach: after.lab.reach } },
      show: { code: show.code, stdout: show.stdout, stderr: show.stderr.trim() },
      gc: { code: gc.code, stdout: gc.stdout.trim(), stderr: gc.stderr.trim() },
      tables,
      restored: { web: restored.web.reach, lab: restored.lab.reach },
      zones: existsSync("/run/nsbox/zones") ? readdirSync("/run/nsbox/zones").sort() : [],
    };
  } finally {
    await cleanup(procs, [inet, lan], ["web", "lab"]);
  }
}

/**
 * A member that says "ready", then waits for a line on stdin: it tries to flush its own ruleset,
 * sends the datagram `tag` to port 7010 of the LAN and the internet peer, and probes `targets`
 * (their services on PORT).
 */
async function waitingMember(zone: string, tag: string, extra: string[], targets: string[], procs: Bun.Subprocess[]) {
  const script = [
    "echo ready; read go",
    "/usr/sbin/nft flush ruleset 2>/dev/null; echo flush=$?",
    // A datagram its own table drops fails with EPERM there; the next one still goes.
    `for a in ${LAN} ${INTERNET}; do python3 -c "import socket,sys;socket.socket(2,2).sendto(b'${tag}',(sys.argv[1],7010))" $a 2>/dev/null; done`,
    `exec python3 ${INSIDE}/probe.py ${PORT} ${targets.join(" ")}`,
  ].join("; ");
  const p = Bun.spawn([NSBOX, "run", "--zone", zone, ...BIND_FIXTURES, ...extra, "--", "sh", "-c", script], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  procs.push(p);
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  if (!value || new TextDecoder().decode(value) !== "ready\n") throw new Error(`member ${tag} did not start: ${await new Response(p.stderr).text()}`);
  return {
    async go() {
      p.stdin.write("go\n");
      p.stdin.end();
      let out = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) out += new TextDecoder().decode(r.value);
      const code = await p.exited;
      const [flush, reach] = out.trim().split("\n");
      return { code, flush, reach: JSON.parse(reach ?? "{}") };
    },
  };
}

/**
 * The host's ruleset flushed while members run: each member's own copy of its zone's policy (a
 * table in its network namespace, which a flush of the host's cannot reach) keeps it closed. An
 * internet member reaches neither the LAN peer nor the host's LAN address; a lan member neither
 * the internet peer, the host's LAN address nor the other zone's member. Each still reaches what
 * its zone allows, and the host its members, which shows the flushed host forwards. The payload
 * cannot flush its own table, not even with CAP_NET_ADMIN in its own user namespace (the
 * member's network namespace belongs to the host's); real root (--share user) with
 * CAP_NET_ADMIN can, and then reaches the LAN.
 */
async function mirror() {
  const procs: Bun.Subprocess[] = [];
  const { inet, lan } = await world(procs);
  try {
    const created = ["web --policy internet", "lab --policy lan"].map((a) => nsbox(["netzone", "create", ...a.split(" ")]).code);
    const lanSink = await datagramSink(lan.enter, "0.0.0.0", 7010, procs);
    const inetSink = await datagramSink(inet.enter, INTERNET, 7010, procs);
    // A member of the internet zone serving on PORT: "another zone's member" to the lan member.
    procs.push(await listen([NSBOX, "run", "--zone", "web", ...BIND_FIXTURES, "--"], "member"));
    const server = readdirSync("/run/nsbox/zones/web.leases")[0]!;
    const members = {
      web: await waitingMember("web", "web", [], [HOST_LAN], procs),
      lab: await waitingMember("lab", "lab", [], [HOST_LAN, server], procs),
      webCap: await waitingMember("web", "webCap", ["--cap-add", "CAP_NET_ADMIN"], [HOST_LAN], procs),
      webRoot: await waitingMember("web", "webRoot", ["--share", "user", "--cap-add", "CAP_NET_ADMIN"], [], procs),
    };
    must(["nft", "flush", "ruleset"]);
    const flushed = must(["nft", "list", "ruleset"]).trim();
    const hostToMember = JSON.parse(must(["python3", PROBE, PORT, server]))[server];
    const after: Record<string, unknown> = {};
    for (const [name, m] of Object.entries(members)) after[name] = await m.go();
    must(["python3", "-c", `import socket;s=socket.socket(2,2);[s.sendto(b'control',(a,7010)) for a in ('${LAN}','${INTERNET}')]`]);
    return { created, flushed, server, hostToMember, after, lanReceived: (await lanSink.upTo("control")).sort(), internetReceived: (await inetSink.upTo("control")).sort() };
  } finally {
    await cleanup(procs, [inet, lan], ["web", "lab"]);
  }
}

/**
 * --dns servers the host reaches through another interface than the zone's way out: a resolver
 * on the LAN for an internet zone, one on the internet for a lan zone. Neither peer has a route
 * back to the zone's subnet, so answers come only if the host masquerades the queries.
 */
async function dnsElsewhere() {
  const procs: Bun.Subprocess[] = [];
  const { inet, lan } = await world(procs);
  try {
    const created = ["web --policy internet --dns " + LAN, "lab --policy lan --dns " + INTERNET].map((a) => nsbox(["netzone", "create", ...a.split(" ")]).code);
    procs.push(await listen(lan.enter, "lan-dns", undefined, "53"));
    procs.push(await listen(inet.enter, "internet-dns", INTERNET, "53"));
    const web = probe("web", [LAN], [], "", "53");
    const lab = probe("lab", [INTERNET], [], "", "53");
    // Port 53 only: the same peers' other port stays closed to these zones.
    const other = { web: probe("web", [LAN]).reach[LAN], lab: probe("lab", [INTERNET]).reach[INTERNET] };
    return { created, web: web.reach[LAN], lab: lab.reach[INTERNET], other };
  } finally {
    await cleanup(procs, [inet, lan], ["web", "lab"]);
  }
}

/** Starts argv and waits for its "ready" line (the echo listener's). */
async function ready(argv: string[], what: string): Promise<Bun.Subprocess<"ignore", "pipe", "pipe">> {
  const p = Bun.spawn(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!value || !new TextDecoder().decode(value).includes("ready")) throw new Error(`${what} did not start: ${await new Response(p.stderr).text()}`);
  return p;
}

/**
 * A member that may re-address itself (real root with CAP_NET_ADMIN) takes another member's
 * address and answers ARP for it, or takes its MAC too: the host must still deliver the other
 * member's traffic to the other member.
 */
async function impersonate() {
  must(["ip", "link", "set", "lo", "up"]);
  must(["ip", "link", "add", "up0", "type", "veth", "peer", "name", "up1"]);
  must(["ip", "addr", "add", "203.0.113.1/30", "dev", "up0"]);
  for (const l of ["up0", "up1"]) must(["ip", "link", "set", l, "up"]);
  must(["ip", "route", "add", "default", "via", "203.0.113.2"]);
  const procs: Bun.Subprocess[] = [];
  try {
    const created = nsbox(["netzone", "create", "iz", "--policy", "internet"]).code;
    procs.push(await ready([NSBOX, "run", "--zone", "iz", ...BIND_FIXTURES, "--", "python3", `${INSIDE}/echo.py`, PORT, "victim", "170"], "the victim"));
    const victim = readdirSync("/run/nsbox/zones/iz.leases")[0]!;
    const gateway = JSON.parse(nsbox(["netzone", "show", "iz", "--json"]).stdout).gateway;
    const victimMac = must(["ip", "-j", "neigh", "show", "dev", "nz-iz", victim]);
    const mac = (JSON.parse(victimMac)[0] ?? {}).lladdr;
    const hostProbe = () => JSON.parse(must(["python3", PROBE, PORT, victim]))[victim];
    const before = hostProbe();
    const out: Record<string, unknown> = {};
    for (const [mode, extra] of [["arp", ""], ["mac", `ip link set eth0 address ${mac}; `]] as const) {
      // The ping makes it ARP for the gateway with the victim's address as sender.
      const tricks = `${extra}ip addr flush dev eth0; ip addr add ${victim}/24 dev eth0; ip route add default via ${gateway}; ping -c1 -W1 ${gateway} >/dev/null 2>&1; `;
      const impostor = await ready(
        [NSBOX, "run", "--zone", "iz", ...BIND_FIXTURES, "--share", "user", "--cap-add", "CAP_NET_ADMIN", "--", "sh", "-c", `${tricks}exec python3 ${INSIDE}/echo.py ${PORT} impostor 170`],
        `the impostor (${mode})`,
      );
      out[mode] = hostProbe();
      impostor.kill();
      await impostor.exited;
    }
    return { created, mac: typeof mac === "string", before, arp: out.arp, macToo: out.mac };
  } finally {
    await cleanup(procs, [], ["iz"]);
  }
}

/** The first descendant of `pid` (by /proc children) in a network namespace other than ours. */
function memberNetns(pid: number): string | undefined {
  const own = readlinkSync("/proc/self/ns/net");
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    try {
      if (readlinkSync(`/proc/${p}/ns/net`) !== own) return `/proc/${p}/ns/net`;
      for (const t of readdirSync(`/proc/${p}/task`)) queue.push(...readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim().split(" ").filter(Boolean).map(Number));
    } catch {}
  }
  return undefined;
}

/**
 * The admin turns IPv6 back on (net.ipv6.conf.all.disable_ipv6=0 reaches the zone's bridge) and
 * the host forwards IPv6. A member that may send what it likes (real root: CAP_NET_ADMIN, or a
 * packet socket with CAP_NET_RAW, needs no IPv6 of its own) sends an IPv6 datagram to the
 * bridge's MAC for a peer on the internet: the zone's table must drop it. The member's side is
 * set up from here (its /proc/sys is read-only). With the table gone (the forward guard lets
 * nz-* through) the same datagram arrives, which shows the IPv6 path itself works.
 */
async function ipv6() {
  const procs: Bun.Subprocess[] = [];
  const { inet, lan } = await world(procs);
  try {
    const created = nsbox(["netzone", "create", "web", "--policy", "internet"]).code;
    const member = await ready([NSBOX, "run", "--zone", "web", "--", "sh", "-c", "echo ready; exec sleep 100"], "the member");
    procs.push(member);
    const ns = memberNetns(member.pid);
    if (!ns) throw new Error("the member's network namespace was not found");
    const inMember = (argv: string[]) => must(["nsenter", `--net=${ns}`, "--", ...argv]);
    // Such a member owns its network namespace and removes the zone's table there (zone.ts
    // mirrorTable): what is tested is the host's table.
    inMember(["nft", "flush", "ruleset"]);
    // The admin's sysctls, in this throwaway namespace only.
    writeFileSync("/proc/sys/net/ipv6/conf/all/disable_ipv6", "0");
    writeFileSync("/proc/sys/net/ipv6/conf/all/forwarding", "1");
    const bridgeV6 = readFileSync("/proc/sys/net/ipv6/conf/nz-web/disable_ipv6", "utf8").trim();
    must(["ip", "-6", "addr", "add", "fd00:87::1/64", "dev", "nz-web", "nodad"]);
    must(["ip", "-6", "addr", "add", "2001:db8:1::1/64", "dev", "up0", "nodad"]);
    must(["ip", "-6", "route", "add", "default", "via", "2001:db8:1::2"]);
    inet.run(["ip", "-6", "addr", "add", "2001:db8:1::2/64", "dev", "r0", "nodad"]);
    inet.run(["ip", "-6", "addr", "add", `${INTERNET6}/128`, "dev", "lo"]);
    // The host's input chain drops the member's neighbour solicitations: it names the gateway's
    // MAC (the bridge's, as its IPv4 ARP already told it) itself.
    const bridgeMac = JSON.parse(must(["ip", "-j", "link", "show", "nz-web"]))[0].address;
    inMember(["sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6"]);
    inMember(["ip", "-6", "addr", "add", "fd00:87::2/64", "dev", "eth0", "nodad"]);
    inMember(["ip", "-6", "neigh", "replace", "fd00:87::1", "lladdr", bridgeMac, "dev", "eth0", "nud", "permanent"]);
    inMember(["ip", "-6", "route", "add", "default", "via", "fd00:87::1"]);
    const sink = await datagramSink(inet.enter, "::", 7009, procs);
    const send = (word: string, enter: string[] = []) =>
      must([...enter, "python3", "-c", `import socket;socket.socket(10,2).sendto(b'${word}',('${INTERNET6}',7009))`]);
    send("member", ["nsenter", `--net=${ns}`, "--"]);
    send("control");
    const withTable = await sink.upTo("control");
    must(["nft", "delete", "table", "inet", "nsbox_web"]);
    send("member", ["nsenter", `--net=${ns}`, "--"]);
    send("control");
    const withoutTable = await sink.upTo("control");
    return { created, bridgeV6, withTable, withoutTable };
  } finally {
    await cleanup(procs, [inet, lan], ["web"]);
  }
}

const scenarios: Record<string, () => unknown> = { linkLocal, spoof, flush, mirror, dnsElsewhere, impersonate, ipv6 };
emit(await scenarios[process.argv[2]!]!());
