// A cms-isolate instance's log stays under its cap on disk however many requests it serves: a
// real DokuWiki (Debian's package, the fixtures of cms-isolate.test.ts) under `php -S`, which logs
// every request, driven with far more than the cap of request lines; `logs` still shows the
// newest, `logs --follow` goes on across the rotations, `down` removes every generation. The cap
// comes from the operator's setting (`plugin add cms-isolate --set log-max=`) or the instance's
// own --log-max.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildCodeDir, buildDataDir, missingDokuwiki, startTitle } from "./cms/dokuwiki-site.ts";
import { cmsRoot, freePort, get, removeCmsRoot } from "./cms-fixture.ts";
import { describeRoot, forgetRanges, NSBOX, nsbox, waitFor } from "./harness.ts";

const missing = missingDokuwiki();
if (missing && process.env.CI) throw new Error(`test/priv/cms-isolate-logcap needs DokuWiki: ${missing} (apt-get install dokuwiki php-cli)`);
const describeWiki = missing ? describe.skip : describeRoot;

const T = `l${process.pid}`;
const A = `${T}-a`;
const B = `${T}-b`;
let root = "";
let cfg = "";
const ports: Record<string, number> = {};

const cms = (args: string[]) => nsbox(["cms-isolate", "--config-dir", cfg, ...args]);
const state = () => join(cfg, "cms-isolate");
const sizeOf = (f: string) => (existsSync(f) ? statSync(f).size : 0);
const logOf = (name: string) => join(state(), `${name}.log`);
const onDisk = (name: string) => sizeOf(logOf(name)) + sizeOf(`${logOf(name)}.1`);

/** A request whose line in the server's log is about 6 KB, with a marker to find it by. */
const PAD = "x".repeat(6000);
const padded = (marker: string) => `/lib/images/blank.gif?${marker}=${PAD}`;

/** Collects a process's stdout as it comes. */
function collect(stream: ReadableStream<Uint8Array>): { text: () => string } {
  let text = "";
  void (async () => {
    for await (const chunk of stream) text += Buffer.from(chunk).toString();
  })();
  return { text: () => text };
}

describeWiki("cms-isolate: the instance's log under its cap", () => {
  beforeAll(() => {
    let code: string;
    ({ root, cfg, code } = cmsRoot("nsbox-cms-logcap-"));
    buildCodeDir(code);
    for (const n of [A, B]) {
      buildDataDir(join(root, "data", n), n, { login: "admin", password: `pw-${T}` });
      ports[n] = freePort();
    }
    // The operator's cap for every instance without one of its own: the smallest there is.
    const add = nsbox(["plugin", "add", "cms-isolate", "--config-dir", cfg, "--set", "log-max=64k"]);
    expect({ code: add.code, stderr: add.stderr }).toEqual({ code: 0, stderr: "nsbox: plugin: added cms-isolate\n" });
    for (const [n, own] of [[A, []], [B, ["--log-max", "128K"]]] as const) {
      const r = cms(["up", n, "--code", code, "--data", join(root, "data", n), "--listen", `127.0.0.1:${ports[n]}`, ...own]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    }
  });

  afterAll(() => {
    if (cfg) cms(["down", "--all"]);
    if (root) removeCmsRoot(root);
    forgetRanges([A, B].map((n) => `cms-${n}`));
  });

  test("250 KB of request lines through A (cap 64K, the operator's): both generations stay under it; logs shows the newest; --follow reads on across the rotations", async () => {
    const follow = Bun.spawn([NSBOX, "cms-isolate", "--config-dir", cfg, "logs", A, "--follow"], { stdout: "pipe", stderr: "pipe" });
    const followed = collect(follow.stdout);
    // Following: it printed what `up` wrote first.
    await waitFor(() => followed.text().includes(`up ${A}\n`), "logs --follow printed the log so far");
    const requests = 40;
    for (let i = 0; i < requests; i++) {
      // A real page now and then: DokuWiki itself serves through the same server and log.
      if (i % 10 === 0) expect(await get(ports[A]!, "/doku.php?id=start")).toContain(startTitle(A));
      await get(ports[A]!, padded(`m${i}-`));
      expect(onDisk(A)).toBeLessThanOrEqual(64 * 1024);
    }
    await waitFor(() => followed.text().includes(`m${requests - 1}-=`), "logs --follow printed the last request");

    // The older generation is full at half the cap: the log rotated, and the newest requests are kept.
    expect(sizeOf(`${logOf(A)}.1`)).toBe(32 * 1024);
    const logs = cms(["logs", A]);
    expect(logs.code).toBe(0);
    expect(logs.stdout.length).toBeLessThanOrEqual(64 * 1024);
    expect(logs.stdout).toContain(`[200]: GET /lib/images/blank.gif?m${requests - 1}-=`);
    expect(logs.stdout).not.toContain("?m0-=");
    // --follow printed the first request, long rotated away, through the last, in order and
    // never twice: it went on in each new file from its start.
    const seen = [...followed.text().matchAll(/\?m([0-9]+)-=/g)].map((m) => Number(m[1]));
    expect([seen[0], seen.at(-1)]).toEqual([0, requests - 1]);
    expect(seen.every((m, i) => i === 0 || m > seen[i - 1]!)).toBe(true);

    // down removes every generation; --follow ends with the log.
    expect(cms(["down", A]).code).toBe(0);
    expect(await follow.exited).toBe(0);
    expect(readdirSync(state()).filter((f) => f.startsWith(`${A}.`))).toEqual([]);
  });

  test("B's own --log-max 128K wins over the operator's 64K", async () => {
    for (let i = 0; i < 14; i++) await get(ports[B]!, padded(`b${i}-`));
    await waitFor(() => existsSync(logOf(B)) && readFileSync(logOf(B), "latin1").includes("?b13-="), "B's log has the last request");
    expect(sizeOf(`${logOf(B)}.1`)).toBe(64 * 1024);
    expect(onDisk(B)).toBeLessThanOrEqual(128 * 1024);
    expect(cms(["logs", B]).stdout).toContain("?b13-=");
  });
});
