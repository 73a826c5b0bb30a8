import { describe, expect, test } from "bun:test";
import { NsboxError, UsageError } from "../../src/base/errors.ts";
import type { CliIo } from "../../src/cli/index.ts";
import { explainCommand, parseLiveRequest } from "../../src/cli/explain.ts";
import type { Explanation } from "../../src/model/explain.ts";
import { rootCtx } from "../helpers.ts";

function capture(): { io: CliIo; out: () => string } {
  let out = "";
  return { io: { stdout: (d) => void (out += String(d)), context: () => rootCtx }, out: () => out };
}

describe("explain: which form", () => {
  test("a lone NAME or --pid PID (with --json and log flags) is a running sandbox", () => {
    expect(parseLiveRequest(["web"])).toEqual({ name: "web", flags: new Map() });
    expect(parseLiveRequest(["web", "--json"])?.flags.has("json")).toBe(true);
    expect(parseLiveRequest(["--pid", "42", "--quiet"])).toMatchObject({ pid: "42" });
    expect(parseLiveRequest(["--pid=42"])).toMatchObject({ pid: "42" });
  });
  test("anything with sandbox options or `--` explains a command instead", () => {
    expect(parseLiveRequest(["--", "true"])).toBeUndefined();
    expect(parseLiveRequest(["--share", "net", "--", "true"])).toBeUndefined();
    expect(parseLiveRequest(["web", "other"])).toBeUndefined();
    expect(parseLiveRequest([])).toBeUndefined();
  });
});

describe("explain -- COMMAND", () => {
  test("text: the summary of the sandbox run would build", () => {
    const c = capture();
    explainCommand(["--net", "none", "--", "true"], c.io);
    expect(c.out()).toContain("namespaces: new user, mnt, pid, net, uts, ipc, cgroup\n");
    expect(c.out()).toContain("network: none: nothing: no interface is up, not even loopback\n");
  });
  test("--json: the same as data", () => {
    const c = capture();
    explainCommand(["--json", "--bind", "/srv", "/srv", "--", "true"], c.io);
    const e = JSON.parse(c.out()) as Explanation;
    expect(e.filesystem!.writable).toContainEqual({ path: "/srv", what: "host /srv: writes reach the host" });
  });
  test("usage errors: no command, --pid with sandbox options", () => {
    expect(() => explainCommand(["--net", "none"], capture().io)).toThrow(UsageError);
    expect(() => explainCommand(["--pid", "1", "--net", "none", "--", "true"], capture().io)).toThrow(UsageError);
  });
  test("an unknown sandbox name says how to explain a command instead", () => {
    try {
      explainCommand(["no-such-sandbox-here"], capture().io);
      throw new Error("expected an error");
    } catch (e) {
      expect(e).toBeInstanceOf(NsboxError);
      expect((e as NsboxError).hint).toContain("nsbox explain -- no-such-sandbox-here");
    }
  });
});
