// Helpers for the network fixtures. Each fixture runs as its own process, started by a test in a
// fresh network namespace (unshare --net) with a private tmpfs on /run; the guard refuses to run
// anywhere else, so nothing here can touch the host's interfaces, routes or nftables.
import { readFileSync, readlinkSync } from "node:fs";
import { closeNetns, openNetns } from "../../../src/core/sys/netns-window.ts";

export { childrenOf, descendantsOf } from "../proc-tree.ts";

/**
 * Refuses to go on in the host's network namespace or with the host's /run: the process must have
 * been started with unshare --net and a tmpfs named `tmpfsSource` on /run (`who` names it in errors).
 */
export function guard(tmpfsSource = "nsbox-net-test", who = "net fixture"): void {
  // The parent (the test runner, or a shell) is in the namespace we were started from.
  if (readlinkSync("/proc/self/ns/net") === readlinkSync(`/proc/${process.ppid}/ns/net`)) {
    throw new Error(`${who}: refusing to run in its parent's network namespace (start it with unshare --net)`);
  }
  const run = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")).filter((f) => f[4] === "/run").at(-1);
  const fstype = run ? run[run.indexOf("-") + 1] : undefined;
  if (fstype !== "tmpfs" || run?.[run.indexOf("-") + 2] !== tmpfsSource) {
    throw new Error(`${who}: refusing to run without the private tmpfs on /run (records would go to the host's /run/nsbox)`);
  }
}

/**
 * The argv prefix that runs a command in a throwaway world, which guard(tmpfsSource) accepts: a
 * new network namespace and a private mount namespace with a tmpfs named `tmpfsSource` on /run.
 */
export function throwawayWorld(tmpfsSource = "nsbox-net-test"): string[] {
  return ["unshare", "--net", "--mount", "--propagation", "private", "--", "sh", "-c", `mount -t tmpfs ${tmpfsSource} /run && exec "$@"`, "sh"];
}

/** Runs `script --inside` (this Bun) in a throwaway world, output inherited; its exit status. */
export function runInThrowawayWorld(script: string, tmpfsSource: string): number {
  const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const r = Bun.spawnSync([...throwawayWorld(tmpfsSource), process.execPath, script, "--inside"], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, PATH } });
  return r.exitCode ?? 1;
}

/** Waits until `cond` holds, checking every 10 ms; throws naming `what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await Bun.sleep(10);
  }
}

export interface Sh {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function sh(argv: string[], timeout = 10_000): Sh {
  const r = Bun.spawnSync(argv, { stdin: "ignore", timeout, env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** A second network namespace, held by a child `unshare --net sleep`; refer to it by fd or pid. */
export interface Netns {
  pid: number;
  fd: number;
  path: string;
  /** The prefix that runs a command inside it: `nsenter --net=PATH --`. */
  enter: string[];
  /** Runs argv inside it (nsenter --net). */
  run(argv: string[], timeout?: number): Sh;
  kill(): void;
}

export async function spawnNetns(holdSeconds = 60): Promise<Netns> {
  const own = readlinkSync("/proc/self/ns/net");
  const child = Bun.spawn(["unshare", "--net", "--", "sleep", String(holdSeconds)], { stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  const path = `/proc/${child.pid}/ns/net`;
  // unshare(1) unshares, then execs sleep: wait until the child is in its own namespace.
  const end = Date.now() + 5000;
  for (;;) {
    let ns: string | undefined;
    try {
      ns = readlinkSync(path);
    } catch {}
    if (ns && ns !== own) break;
    if (Date.now() > end) throw new Error("the namespace holder did not unshare in 5 s");
    await Bun.sleep(5);
  }
  const fd = openNetns(path);
  return {
    pid: child.pid,
    fd,
    path,
    enter: ["nsenter", `--net=${path}`, "--"],
    run: (argv, timeout) => sh(["nsenter", `--net=${path}`, "--", ...argv], timeout),
    kill() {
      closeNetns(fd);
      child.kill("SIGKILL");
    },
  };
}

/** One ICMP echo from inside `ns` (ping -c1 -W1), retried a few times for a link that is coming up. */
export function pingFrom(ns: Netns, address: string, attempts = 3): boolean {
  for (let i = 0; i < attempts; i++) {
    if (ns.run(["ping", "-n", "-c1", "-W1", address]).code === 0) return true;
  }
  return false;
}

/** `ip -j addr` as {ifindex, ifname, family, local, prefixlen} rows, sorted. */
export function ipAddrRows(json: string): string[] {
  const links = JSON.parse(json) as { ifindex: number; ifname: string; addr_info: { family: string; local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info.map((a) => `${l.ifindex} ${l.ifname} ${a.family === "inet" ? 4 : 6} ${a.local}/${a.prefixlen}`)).sort();
}

export function emit(facts: unknown): void {
  console.log(JSON.stringify(facts));
}

