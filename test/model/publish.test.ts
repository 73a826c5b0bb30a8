// --publish in the model and on the command line: the flag's text, the rules, what plan and
// explain show, and what saved plans and exports say they cannot carry.
import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/base/errors.ts";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { unsavable } from "../../src/core/save-plan.ts";
import { describeSpec } from "../../src/model/describe.ts";
import { explainSpec, formatExplanation } from "../../src/model/explain.ts";
import { ociBundle, type OciFacts } from "../../src/model/export-oci.ts";
import { systemdUnitNative } from "../../src/model/export-systemd.ts";
import { planSpec } from "../../src/model/plan.ts";
import { describePublish, parsePublish, publishAddressProblem } from "../../src/model/publish.ts";
import { rootCtx } from "../helpers.ts";

const plan = (...args: string[]) => planFromArgs([...args, "--", "srv"], [], "nsbox run", { ...rootCtx, env: {} }).spec;
const usageError = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error("expected a UsageError");
};
const issuesOf = (network: object, namespaces: object = {}) => {
  const r = planSpec({ process: { argv: ["srv"] }, network, namespaces }, rootCtx);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};

describe("the flag's text", () => {
  test("HOSTADDR:PORT[:INNERPORT], IPv4 and bracketed IPv6, canonical", () => {
    expect(parsePublish("127.0.0.1:8080")).toEqual({ host: "127.0.0.1:8080", port: 8080 });
    expect(parsePublish("127.0.0.1:8080:80")).toEqual({ host: "127.0.0.1:8080", port: 80 });
    expect(parsePublish("[::1]:8080")).toEqual({ host: "[::1]:8080", port: 8080 });
    expect(parsePublish("[0:0::1]:8080:9")).toEqual({ host: "[::1]:8080", port: 9 });
    expect(parsePublish("0.0.0.0:443:8443")).toEqual({ host: "0.0.0.0:443", port: 8443 });
  });
  test("bad input says what is wrong", () => {
    expect(parsePublish("8080")).toContain("is not HOSTADDR:PORT[:INNERPORT]");
    expect(parsePublish("localhost:8080")).toContain("'localhost' is not an IPv4 address");
    expect(parsePublish("127.0.0.1:0")).toContain("needs a port from 1 to 65535");
    expect(parsePublish("127.0.0.1:65536")).toContain("is not a port");
    expect(parsePublish("127.0.0.1:80:0")).toContain("'0' is not a port inside (1-65535)");
    expect(parsePublish("127.0.0.1:80:65536")).toContain("is not a port inside");
    expect(parsePublish("127.0.0.1:80:8:9")).toContain("is not HOSTADDR:PORT[:INNERPORT]");
    expect(parsePublish("::1:8080")).toContain("is not HOSTADDR:PORT[:INNERPORT]");
    expect(publishAddressProblem("unix:/run/a.sock")).toContain("a TCP address");
  });
  test("the option: repeatable, kept by a later --net or --zone, a usage error naming the flag", () => {
    const s = plan("--publish", "127.0.0.1:8080:80", "--net", "none", "--publish", "[::1]:9000");
    expect(s.network).toEqual({ mode: "none", publish: [{ host: "127.0.0.1:8080", port: 80 }, { host: "[::1]:9000", port: 9000 }] });
    expect(plan("--net", "none").network.publish).toBeUndefined();
    expect(usageError(() => plan("--publish", "127.0.0.1"))).toStartWith("--publish: '127.0.0.1' is not HOSTADDR:PORT[:INNERPORT]");
  });
});

describe("rules", () => {
  const one = [{ host: "127.0.0.1:8080", port: 80 }];
  test("a network namespace of the sandbox's own: loopback, none or a zone's", () => {
    expect(issuesOf({ mode: "loopback", publish: one })).toEqual([]);
    expect(issuesOf({ mode: "none", publish: one })).toEqual([]);
    expect(issuesOf({ mode: "host", publish: one })).toContainEqual(expect.stringContaining("network.publish: --publish needs a network namespace of the sandbox's own"));
    expect(issuesOf({ mode: "none", publish: one }, { net: { mode: "join", path: "/run/netns/x" } })).toContainEqual(expect.stringContaining("--publish needs a network namespace"));
    // From flags: --net host and --share net, before or after the --publish.
    expect(() => plan("--publish", "127.0.0.1:8080", "--net", "host")).toThrow(/--publish needs a network namespace/);
    expect(() => plan("--share", "net", "--publish", "127.0.0.1:8080")).toThrow(/--publish needs a network namespace/);
  });
  test("duplicates (compared canonically) and the count", () => {
    expect(issuesOf({ publish: [...one, { host: "127.0.0.1:8080", port: 81 }] })).toEqual(["network.publish.1.host: --publish 127.0.0.1:8080 is given twice"]);
    expect(issuesOf({ publish: [{ host: "[::1]:80", port: 1 }, { host: "[0::1]:80", port: 2 }] })).toEqual(["network.publish.1.host: --publish [::1]:80 is given twice"]);
    expect(issuesOf({ publish: [...one, { host: "127.0.0.2:8080", port: 80 }] })).toEqual([]);
    const many = Array.from({ length: 17 }, (_, i) => ({ host: `127.0.0.1:${8000 + i}`, port: 80 }));
    expect(issuesOf({ publish: many })).toEqual(["network.publish: at most 16 --publish"]);
    expect(issuesOf({ publish: many.slice(0, 16) })).toEqual([]);
  });
  test("the schema refuses what the flag parser would", () => {
    expect(issuesOf({ publish: [{ host: "127.0.0.1:0", port: 80 }] })[0]).toContain("needs a port from 1 to 65535");
    expect(issuesOf({ publish: [{ host: "unix:/a", port: 80 }] })[0]).toContain("a TCP address");
    expect(issuesOf({ publish: [{ host: "127.0.0.1:80", port: 0 }] })[0]).toContain("must be a port from 1 to 65535");
    expect(issuesOf({ publish: [{ host: "127.0.0.1:80", port: 70000 }] })[0]).toContain("must be a port from 1 to 65535");
  });
});

describe("what plan, explain, plan --save and export say", () => {
  const s = plan("--net", "none", "--publish", "127.0.0.1:8080:80", "--publish", "[::1]:9000");
  test("plan: one line per publish, and the loopback it needs", () => {
    const lines = describeSpec(s);
    expect(lines).toContain("network: new namespace, only loopback up (for --publish), no other interface");
    expect(lines).toContain("network: publish 127.0.0.1:8080 → sandbox 127.0.0.1:80 (relayed by the supervisor)");
    expect(lines).toContain("network: publish [::1]:9000 → sandbox [::1]:9000 (relayed by the supervisor)");
    expect(describeSpec(plan("--net", "none"))).toContain("network: new namespace, no interface up (not even loopback)");
    expect(describePublish({ host: "127.0.0.1:8080", port: 8080 })).toBe("publish 127.0.0.1:8080 → sandbox 127.0.0.1:8080");
  });
  test("explain", () => {
    const e = explainSpec(s, {});
    expect(e.network.published).toEqual(["publish 127.0.0.1:8080 → sandbox 127.0.0.1:80", "publish [::1]:9000 → sandbox [::1]:9000"]);
    expect(formatExplanation(e)).toContain("  publish 127.0.0.1:8080 → sandbox 127.0.0.1:80 (the host reaches in; the sandbox gets no way out)");
  });
  test("a saved plan cannot carry it; systemd and OCI exports say what they cannot express", () => {
    expect(unsavable(s, false)).toBe("--publish (its listening sockets are opened at each start)");
    expect(unsavable(plan("--net", "none"), false)).toBeUndefined();
    const unit = systemdUnitNative({ description: "t" }, s);
    expect(unit).toContain("#   publish 127.0.0.1:8080 → sandbox 127.0.0.1:80: not expressible");
    const facts: OciFacts = { arch: "SCMP_ARCH_X86_64", hostRoot: [], exists: () => true };
    expect(ociBundle(s, facts).notes).toContainEqual(expect.stringContaining("publish [::1]:9000 → sandbox [::1]:9000: not expressible in config.json"));
  });
});
