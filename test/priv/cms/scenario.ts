// Two DokuWiki instances from one code dir under `nsbox cms-isolate`, in a throwaway world:
// started by test/priv/cms-isolate.test.ts under `unshare --net --mount` with a private tmpfs on
// /run (guard() refuses anything else), so ports, records and sockets are this scenario's alone.
// Arguments: root | nobody (who runs nsbox), the test runner's pid. Prints one JSON line of facts
// for the test to judge.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stampPath } from "../../../src/core/state-directories.ts";
import { commOf, descendantsOf, waitFor } from "../harness.ts";
import { emit, guard, sh } from "../net-fixtures/lib.ts";
import { accepts, alive, type Caller, filesNaming, nobodyCaller, nsboxCgroupDirs, rootCaller } from "./callers.ts";
import { buildCodeDir, buildDataDir, startTitle } from "./dokuwiki-site.ts";
import { WikiClient } from "./wiki-client.ts";

guard("nsbox-net-test", "cms-isolate scenario");
const who = process.argv[2] === "nobody" ? "nobody" : "root";
const NSBOX = resolve(import.meta.dir, "../../../dist/nsbox");
const TAG = `${who[0]}${process.pid}`;
// Data and code live under /srv: inside an instance /tmp is its own, and /srv is empty but for
// what cms-isolate binds there (the os root shows no host data).
const top = `/srv/nsbox-cms-${TAG}`;
const hostTmpMarker = `nsbox-cms-hostmark-${TAG}`;
const names = { a: `wa${TAG}`, b: `wb${TAG}` };
const ports = { a: 18080, b: 18081, control: 18082 };
const USERS = { a: { login: "alice", password: "pw-a-" + TAG }, b: { login: "bob", password: "pw-b-" + TAG } };

const facts: Record<string, unknown> = { who, names };
const cleanups: (() => void)[] = [];
const sha = (f: string) => createHash("sha256").update(readFileSync(f)).digest("hex");
const nsOf = (pid: number) => Object.fromEntries(["pid", "mnt", "net", "user", "ipc", "uts"].map((k) => [k, readlinkSync(`/proc/${pid}/ns/${k}`)]));

const running = (c: Caller, name: string) => ls(c).some((e) => e.name === name && e.state === "running");

interface Listed {
  name: string;
  pid: number;
  state?: string;
  listen?: string;
}
function ls(c: Caller): Listed[] {
  const r = c.nsbox(["cms-isolate", "ls", "--json"]);
  if (r.code !== 0) throw new Error(`cms-isolate ls --json: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Listed[];
}

/** The instance's host pids (what ls names, and all below it) and its PHP server among them. */
function pidsOf(c: Caller, name: string): { listed: number; tree: number[]; php: number } {
  const e = ls(c).find((x) => x.name === name);
  if (!e) throw new Error(`${name} is not in cms-isolate ls`);
  const tree = [e.pid, ...descendantsOf(e.pid)];
  const php = tree.find((p) => commOf(p)?.startsWith("php"));
  if (!php) throw new Error(`no php process under ${name}'s pid ${e.pid}: ${tree.map((p) => `${p}:${commOf(p)}`).join(" ")}`);
  return { listed: e.pid, tree, php };
}

async function serves(port: number, name: string): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/doku.php?id=start`);
    return r.status === 200 && (await r.text()).includes(startTitle(name));
  } catch {
    return false;
  }
}

/** Login + edit + save through DokuWiki's forms; the page file as the host sees it afterwards. */
async function saveThrough(port: number, user: { login: string; password: string }, dataDir: string, page: string, text: string) {
  const w = new WikiClient(`http://127.0.0.1:${port}/`);
  const login = await w.login(user.login, user.password);
  const status = await w.savePage(page, text);
  const file = join(dataDir, "data/pages", `${page}.txt`);
  return { login, status, onHost: existsSync(file) ? readFileSync(file, "utf8") : null };
}

async function probe(port: number, params: Record<string, string>): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${port}/probe.php?${new URLSearchParams(params)}`);
  const text = await r.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`probe on port ${port} answered ${r.status}: ${text.slice(0, 500)}`);
  }
}

/** The host's loopback service the instances must not reach: counts connections. */
let hostConnections = 0;
const hostService = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open() { hostConnections++; }, data() {} } });
cleanups.push(() => hostService.stop(true));

const mountsBefore = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]);
const newMounts = () => readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]).filter((m) => !mountsBefore.includes(m));
const listeningPorts = () => sh(["ss", "-Hltn"]).stdout.trim().split("\n").filter(Boolean).map((l) => Number(l.trim().split(/\s+/)[3]!.split(":").at(-1)));

try {
  sh(["ip", "link", "set", "lo", "up"]);
  mkdirSync(top, { mode: 0o755 });
  cleanups.push(() => rmSync(top, { recursive: true, force: true }));
  const caller = who === "root" ? rootCaller(NSBOX, join(top, "state")) : nobodyCaller(NSBOX, join(top, "caller"));
  if (who === "nobody") cleanups.unshift(() => caller.nsbox(["cms-isolate", "down", "--all"]));
  else cleanups.unshift(() => { for (const n of Object.values(names)) caller.nsbox(["cms-isolate", "down", n]); });
  const code = buildCodeDir(join(top, "code"));
  const data = { a: buildDataDir(join(top, "a"), names.a, USERS.a), b: buildDataDir(join(top, "b"), names.b, USERS.b) };
  // An unprivileged caller can give an instance only what it owns itself.
  if (who === "nobody") for (const d of Object.values(data)) sh(["chown", "-R", "65534:65534", d]);
  facts.data = data;
  // A state dir's stamp outlives its sandbox (docs/ids.md), a test's does not.
  if (who === "root") cleanups.push(() => Object.values(data).forEach((d) => rmSync(stampPath(d), { force: true })));
  const codeHash = sha(join(code, "doku.php"));
  // The host's /tmp gets a marker of this scenario's own (removed at the end).
  writeFileSync(`/tmp/${hostTmpMarker}`, "host\n");
  cleanups.push(() => rmSync(`/tmp/${hostTmpMarker}`, { force: true }));

  // Up: two instances from the one code dir.
  for (const k of ["a", "b"] as const) {
    // cgroup limits need root: an unprivileged caller turns them off (cms-isolate's rule).
    const limits = who === "nobody" ? ["--memory", "none", "--pids", "none"] : [];
    const r = caller.nsbox(["cms-isolate", "up", names[k], "--code", code, "--data", data[k], "--listen", `127.0.0.1:${ports[k]}`, ...limits]);
    facts[`up_${k}`] = { code: r.code, stderr: r.stderr };
    if (r.code !== 0) throw new Error(`cms-isolate up ${names[k]}: exit ${r.code}: ${r.stderr}`);
  }
  // DokuWiki's first page compiles much of its PHP: generous on a loaded machine.
  for (const k of ["a", "b"] as const) await waitFor(() => serves(ports[k], names[k]), `${names[k]} serves its start page`, 30_000);
  facts.listed = ls(caller).map((e) => ({ ...e }));

  // Each serves its own start page; login + edit + save persists in its own data dir.
  facts.startA = { own: await serves(ports.a, names.a), other: await serves(ports.a, names.b) };
  facts.startB = { own: await serves(ports.b, names.b), other: await serves(ports.b, names.a) };
  facts.saveA = await saveThrough(ports.a, USERS.a, data.a, "notes", `written through ${names.a}`);
  facts.saveB = await saveThrough(ports.b, USERS.b, data.b, "notes", `written through ${names.b}`);
  // B's user is not A's: A refuses bob's password.
  facts.crossLogin = await new WikiClient(`http://127.0.0.1:${ports.a}/`).login(USERS.b.login, USERS.b.password);

  const A = pidsOf(caller, names.a);
  const B = pidsOf(caller, names.b);
  // The scenario plays the host (its own mount and network namespaces); the test runner is the
  // real host's.
  facts.ns = { a: nsOf(A.php), b: nsOf(B.php), host: nsOf(process.pid), runner: nsOf(Number(process.argv[3] ?? process.ppid)) };
  const hostUidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
  facts.hostUid = { a: hostUidOf(A.php), b: hostUidOf(B.php) };

  // A's probe, aimed at B, the code dir, the host's /tmp and loopback.
  const mine = `a-own-${TAG}`;
  facts.mineA = mine;
  facts.probeA = await probe(ports.a, {
    victimData: data.b,
    victimPids: [B.php, B.listed, process.pid].join(","),
    marker: `127.0.0.1:${ports.b}`,
    code,
    hostTmpMarker,
    mine,
    connect: `127.0.0.1:${ports.b},127.0.0.1:${hostService.port}`,
    killVisible: "1",
  });
  facts.probeB = await probe(ports.b, { hostTmpMarker, mine: `b-own-${TAG}` });
  facts.afterProbe = {
    bAlive: alive(B.php),
    bServes: await serves(ports.b, names.b),
    pwnedInB: existsSync(join(data.b, "data/pages/pwned.txt")),
    bStartUnchanged: !readFileSync(join(data.b, "data/pages/start.txt"), "utf8").includes("pwned"),
    codeUnchanged: sha(join(code, "doku.php")) === codeHash && !existsSync(join(code, "pwned.php")) && !existsSync(join(code, "pwned-dir")),
    mineOnHost: existsSync(`/tmp/${mine}`),
    hostConnections,
  };

  // Control, root only: the same probe served by php -S on the host (no nsbox) does see, read,
  // write, signal and connect; so the probe's "no" above is the sandbox's doing.
  if (who === "root") {
    const victim = buildDataDir(join(top, "control-victim"), "control", USERS.a);
    const scratch = join(top, "control-code");
    mkdirSync(scratch);
    // A process whose cmdline carries the marker (its argv[0]).
    const sleeper = Bun.spawn(["sleep", "300"], { argv0: `nsbox-cms-control-${TAG}`, stdin: "ignore" });
    const server = Bun.spawn(["php", "-S", `127.0.0.1:${ports.control}`, "-t", code], { env: { CMS_DATA: data.a, PATH: "/usr/bin:/bin" }, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    cleanups.unshift(() => server.kill("SIGKILL"), () => sleeper.kill("SIGKILL"));
    await waitFor(() => accepts(ports.control), "the control server listens");
    const p = await probe(ports.control, { victimData: victim, victimPids: String(sleeper.pid), marker: `nsbox-cms-control-${TAG}`, code: scratch, hostTmpMarker, mine: `c-own-${TAG}`, connect: `127.0.0.1:${hostService.port}` });
    await sleeper.exited;
    facts.control = { markerSeen: p.markerSeen, victim: p.victim, codeCreate: p.codeWrite.create, hostMarker: p.tmp.hostMarker, kills: p.kills, connect: Object.values(p.connect), sleeperSignal: sleeper.signalCode };
    rmSync(`/tmp/c-own-${TAG}`, { force: true });
    server.kill("SIGKILL");
    await server.exited;
  }

  // Kill A's server on the host: A goes away whole; B is untouched.
  const aCgroups = nsboxCgroupDirs(A.php);
  facts.cgroupsA = aCgroups;
  const bPidBefore = B.php;
  process.kill(A.php, "SIGKILL");
  await waitFor(() => A.tree.every((p) => !alive(p)), `every process of ${names.a} is gone`);
  await waitFor(async () => !(await accepts(ports.a)), `port ${ports.a} is closed`);
  await waitFor(() => !running(caller, names.a), `${names.a} is not listed as running`);
  facts.afterKillA = {
    aLeft: A.tree.filter(alive),
    aPortListening: listeningPorts().includes(ports.a),
    aRunning: running(caller, names.a),
    aStatus: ls(caller).find((e) => e.name === names.a)?.state ?? "not listed",
    aRecords: filesNaming(caller.runtimeRoot, names.a),
    aCgroupsLeft: aCgroups.filter((d) => existsSync(d)),
    bSamePid: alive(bPidBefore) && pidsOf(caller, names.b).php === bPidBefore,
    bServes: await serves(ports.b, names.b),
    bSave: await saveThrough(ports.b, USERS.b, data.b, "after", `saved after ${names.a} died`),
  };

  // Down A (stopped already): its definition goes too, its data stays.
  const downA = caller.nsbox(["cms-isolate", "down", names.a]);
  facts.afterDownA = { code: downA.code, stderr: downA.stderr, listed: ls(caller).some((e) => e.name === names.a), files: filesNaming(caller.pluginStateRoot, names.a), dataKept: existsSync(join(data.a, "data/pages/notes.txt")) };

  // Down B: nothing of it left.
  const bTree = pidsOf(caller, names.b).tree;
  const bCgroups = nsboxCgroupDirs(B.php);
  const down = caller.nsbox(["cms-isolate", "down", names.b]);
  await waitFor(() => bTree.every((p) => !alive(p)), `every process of ${names.b} is gone`);
  facts.afterDownB = {
    code: down.code,
    stderr: down.stderr,
    bLeft: bTree.filter(alive),
    listed: ls(caller).map((e) => e.name),
    records: [...filesNaming(caller.runtimeRoot, names.b), ...filesNaming(caller.pluginStateRoot, names.b)],
    cgroupsLeft: bCgroups.filter((d) => existsSync(d)),
    listening: listeningPorts().filter((p) => p === ports.a || p === ports.b),
    mounts: newMounts(),
    dataKept: existsSync(join(data.b, "data/pages/after.txt")),
  };
} catch (e) {
  facts.error = (e as Error).stack ?? String(e);
} finally {
  for (const c of cleanups) {
    try {
      c();
    } catch {}
  }
  facts.hostMarkerRemoved = !existsSync(`/tmp/${hostTmpMarker}`);
  emit(facts);
}
