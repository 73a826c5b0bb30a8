import { describe, expect, test } from "bun:test";
import { cac } from "cac";
import type { CliIo } from "../../src/cli/index.ts";
import { formatNsTable, registerNs } from "../../src/cli/ns.ts";
import { NsboxError } from "../../src/base/errors.ts";
import type { NsEntry } from "../../src/core/ns-list.ts";
import { NS_KINDS } from "../../src/model/schema.ts";
import { rootCtx } from "../helpers.ts";
import { fakeFacts } from "../core/fake-host.ts";

// One process in the host's namespaces and a netns held by a bind mount.
const links: Record<string, string> = {};
NS_KINDS.forEach((k, i) => (links[`/proc/1/ns/${k}`] = `${k}:[${4026531830 + i}]`));
const facts = fakeFacts({
  links,
  files: { "/proc/1/cmdline": "init\0", "/proc/self/mountinfo": "42 41 0:4 net:[4026532176] /run/netns/blue rw - nsfs nsfs rw\n" },
  owners: { "/proc/1": 0 },
  paths: ["/proc/self"],
});

async function runNs(args: string[]): Promise<{ out: string; code: number; message?: string }> {
  let out = "";
  const io: CliIo = { stdout: (d) => void (out += String(d)), context: () => rootCtx };
  const cli = cac("nsbox");
  registerNs(cli, io, { facts, nameOf: (ns) => (ns.path === "/run/netns/blue" ? "blue-box" : null) });
  try {
    cli.parse(["bun", "nsbox", "ns", ...args], { run: false });
    await cli.runMatchedCommand();
    return { out, code: 0 };
  } catch (e) {
    if (e instanceof NsboxError) return { out, code: e.exitCode, message: e.message };
    if (e instanceof Error && e.name === "CACError") return { out, code: 2, message: e.message };
    throw e;
  }
}

describe("nsbox ns", () => {
  test("ls prints aligned columns, the name (from the hook) or path in NAME/PATH", async () => {
    const { out, code } = await runNs(["ls", "--type", "net"]);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        "        NS  TYPE  NPROCS  PID  UID      USERNS  NAME/PATH  COMMAND",
        "4026531833  net        1    1    0  4026531830  -          init",
        "4026532176  net        0    -    -           -  blue-box   -",
        "",
      ].join("\n"),
    );
  });

  test("ls --json gives an array of entries", async () => {
    const entries = JSON.parse((await runNs(["ls", "--json"])).out) as NsEntry[];
    expect(entries).toHaveLength(NS_KINDS.length + 1);
    expect(entries.at(-1)).toEqual({ kind: "net", inode: 4026532176, nprocs: 0, pid: null, uid: null, command: null, owner: null, path: "/run/netns/blue", name: "blue-box" });
  });

  test("bad usage exits 2 and names the problem", async () => {
    expect(await runNs(["ls", "--type", "netz"])).toMatchObject({ code: 2, message: "--type: unknown namespace kind 'netz'" });
    expect(await runNs(["ls", "--type", "net", "--type", "pid"])).toMatchObject({ code: 2 });
    expect(await runNs(["ls", "--type"])).toMatchObject({ code: 2 });
    expect(await runNs(["ls", "extra"])).toMatchObject({ code: 2, message: "ns ls: unexpected argument 'extra'" });
    expect(await runNs(["frob"])).toMatchObject({ code: 2, message: "unknown ns subcommand 'frob'" });
    expect(await runNs(["rm"])).toMatchObject({ code: 2, message: "ns rm needs exactly one NAME" });
    expect(await runNs(["persist", "a/b"])).toMatchObject({ code: 2 });
    expect(await runNs([])).toMatchObject({ code: 2, message: "ns needs a subcommand" });
    expect(await runNs(["ls", "--bogus"])).toMatchObject({ code: 2 });
  });

  test("an empty list is just the header", () => {
    expect(formatNsTable([])).toBe("NS  TYPE  NPROCS  PID  UID  USERNS  NAME/PATH  COMMAND\n");
  });
});
