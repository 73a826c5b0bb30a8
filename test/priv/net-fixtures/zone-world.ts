// What the netzone fixtures share: dist/nsbox, the echo listener and the prober (bound into
// members read-only), veths to peer namespaces, and a member probing targets. Imported by
// fixtures that already passed guard() (lib.ts): nothing here checks where it runs.
import { resolve } from "node:path";
import { sh, type Netns } from "./lib.ts";

const ROOT = resolve(import.meta.dir, "../../..");
export const NSBOX = resolve(ROOT, "dist/nsbox");
export const ECHO = resolve(import.meta.dir, "echo.py");
export const PROBE = resolve(import.meta.dir, "probe.py");
// Inside a sandbox the checkout may be invisible (a clone under /tmp meets the private /tmp):
// the fixtures are bound in read-only at a path of their own.
export const INSIDE = "/run/nsbox-test-fixtures";
export const BIND_FIXTURES = ["--ro-bind", import.meta.dir, INSIDE];
export const PORT = "7007";

export type Reach = Record<string, { tcp: string | false; udp: string | false; icmp: boolean }>;

export function must(argv: string[]): string {
  const r = sh(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export const nsbox = (args: string[], timeout = 20_000) => sh([NSBOX, ...args], timeout);

/** A veth from this namespace (`host`, `hostAddr`) to `peer` (`inner`, `innerAddr`), both up. */
export function peerLink(peer: Netns, host: string, inner: string, hostAddr: string, innerAddr: string): void {
  must(["ip", "link", "add", host, "type", "veth", "peer", "name", inner, "netns", peer.path]);
  must(["ip", "addr", "add", hostAddr, "dev", host]);
  must(["ip", "link", "set", host, "up"]);
  peer.run(["ip", "link", "set", "lo", "up"]);
  peer.run(["ip", "addr", "add", innerAddr, "dev", inner]);
  peer.run(["ip", "link", "set", inner, "up"]);
}

/** The echo listener on `port` (PORT) under `argv` (a prefix: nsenter, nsbox run), once it says ready. */
export async function listen(argv: string[], tag: string, udpAddr?: string, port = PORT): Promise<Bun.Subprocess<"ignore", "pipe", "pipe">> {
  const echo = argv[0] === NSBOX ? `${INSIDE}/echo.py` : ECHO;
  const p = Bun.spawn([...argv, "python3", echo, port, tag, "170", ...(udpAddr ? [udpAddr] : [])], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const reader = p.stdout.getReader();
  const { value } = await Promise.race([reader.read(), Bun.sleep(8000).then(() => ({ value: undefined }))]);
  reader.releaseLock();
  if (!value || !new TextDecoder().decode(value).includes("ready")) throw new Error(`listener ${tag} did not start: ${await new Response(p.stderr).text()}`);
  return p;
}

/** A member of `zone` probing TCP and UDP on `port` (PORT) and ICMP to each target, after the shell text `pre`. */
export function probe(zone: string, targets: string[], extra: string[] = [], pre = "", port = PORT): { code: number | null; reach: Reach; stderr: string; pre: string } {
  const script = `${pre}exec python3 ${INSIDE}/probe.py ${port} ${targets.join(" ")}`;
  const r = nsbox(["run", "--zone", zone, ...BIND_FIXTURES, ...extra, "--", "sh", "-c", script], 40_000);
  const lines = r.stdout.trim().split("\n");
  let reach = {};
  try {
    reach = JSON.parse(lines.at(-1)!);
  } catch {}
  return { code: r.code, reach, stderr: r.stderr, pre: lines.slice(0, -1).join("\n") };
}
