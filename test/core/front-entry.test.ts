// The front's entries (src/native/FRONT.md) as nsbox writes them: the key's bytes, the entry's
// layout and sum, and which starts the front may make (the rest is nsbox's alone). The front
// itself reading them is test/priv/front*.test.ts.
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { encodeFrontEntry, frontInstalled, frontKey, frontRefusal } from "../../src/core/front-entry.ts";
import { DEFAULT_STAGE_PATH } from "../../src/core/stage-install.ts";
import { planFromArgs } from "../../src/cli/sandbox-command.ts";
import { encodeWire } from "../../src/native/wire.ts";
import { sha256Hex } from "../../src/native/sha256.ts";
import { rootCtx } from "../helpers.ts";

const NSBOX_BESIDE = join(dirname(DEFAULT_STAGE_PATH), "nsbox");
const plan = (...args: string[]) => planFromArgs([...args, "--", "true"], [], "nsbox run", rootCtx).spec;
const RECORD = { onExitUnlink: ["/run/nsbox/sandboxes/1.json", "/run/nsbox/names/pid-1"] };
const refusal = (spec = plan(), host: object = RECORD, stage = DEFAULT_STAGE_PATH) => frontRefusal(spec, host, stage);

describe("the key", () => {
  test("is argv after the program name, ids, cwd and the environment sorted bytewise, each token NUL-terminated", () => {
    const ctx = { ...rootCtx, uid: 7, gid: 8, cwd: "/srv", env: { b: "2", a: "1", A_B: "x", A: "=" } };
    expect(frontKey(["run", "--", "true"], ctx).toString("latin1")).toBe(
      ["nsbox-front-key", "1", "uid", "7", "gid", "8", "cwd", "/srv", "argc", "3", "run", "--", "true", "envc", "4", "A==", "A_B=x", "a=1", "b=2"].map((t) => `${t}\0`).join(""),
    );
  });
  test("differs with any argument, the environment, the cwd or an id", () => {
    const key = (argv: string[], ctx = rootCtx) => frontKey(argv, ctx).toString("hex");
    const base = key(["run", "--", "true"]);
    expect(key(["run", "--", "false"])).not.toBe(base);
    expect(key(["run", "--", "true"], { ...rootCtx, env: { ...rootCtx.env, X: "1" } })).not.toBe(base);
    expect(key(["run", "--", "true"], { ...rootCtx, cwd: "/x" })).not.toBe(base);
    expect(key(["run", "--", "true"], { ...rootCtx, gid: 1 })).not.toBe(base);
    expect(key(["run", "--", "true"])).toBe(base);
  });
});

describe("the entry", () => {
  test("a header of NUL-terminated tokens whose sum covers everything after it, then the wire", () => {
    const spec = plan();
    const st = statSync("/", { bigint: true });
    const wire = encodeWire(spec, {});
    const bytes = encodeFrontEntry({ stage: st, nsbox: st, kernel: ["6.1.0", "#1 SMP"], deps: [{ path: "/etc", type: "dir" }, { path: "/etc/subuid", dev: 1n, ino: 2n, mode: 0o100644n, size: 3n, mtimeNs: 4n, ctimeNs: 5n }, { path: "/srv", uid: 0n, mode: 0o40755n }], state: "/run/nsbox", spec, wire });
    const head = ["nsbox-front", "3", "sum"].map((t) => `${t}\0`).join("");
    expect(bytes.subarray(0, head.length).toString()).toBe(head);
    const sumEnd = bytes.indexOf(0, head.length);
    const body = bytes.subarray(sumEnd + 1);
    expect(bytes.subarray(head.length, sumEnd).toString()).toBe(sha256Hex(body));
    const id = [st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].map(String);
    const tokens = ["stage", ...id, "nsbox", ...id, "kernel", "6.1.0", "#1 SMP", "dep-type", "/etc", "dir", "dep", "/etc/subuid", "1", "2", "33188", "3", "4", "5", "dep-owner", "/srv", "0", "16877", "state", "/run/nsbox", "name", "", "record", JSON.stringify(spec), "wire"];
    const header = tokens.map((t) => `${t}\0`).join("");
    expect(body.subarray(0, Buffer.byteLength(header)).toString()).toBe(header);
    expect(Buffer.from(body.subarray(Buffer.byteLength(header))).equals(Buffer.from(wire))).toBe(true);
  });
  test("a named sandbox's entry carries its name, the record's and the name file's", () => {
    const spec = plan("--name", "web");
    const st = statSync("/", { bigint: true });
    const bytes = encodeFrontEntry({ stage: st, nsbox: st, kernel: ["6.1.0", "#1 SMP"], deps: [], state: "/run/nsbox", spec, wire: encodeWire(spec, {}) });
    expect(bytes.includes(Buffer.from(["state", "/run/nsbox", "name", "web", "record", JSON.stringify(spec), "wire", ""].join("\0")))).toBe(true);
  });
});

describe("which starts the front may make", () => {
  test("none unless the front is installed: nsbox runs from beside the installed stage", () => {
    expect(frontInstalled(NSBOX_BESIDE)).toBe(true);
    expect(frontInstalled("/usr/local/bin/nsbox")).toBe(false);
    expect(frontInstalled()).toBe(false);
  });
  test("a plain line, with the built-in filter or none, from the installed stage with nsbox beside it", () => {
    expect(refusal()).toBeUndefined();
    expect(refusal(plan(), { ...RECORD, seccompBpf: new Uint8Array(8) })).toBeUndefined();
    expect(refusal(plan("--seccomp", "strict"), { ...RECORD, seccompBpf: new Uint8Array(8) })).toBe("a seccomp filter compiled at start");
    expect(refusal(plan("--seccomp", "none"))).toBeUndefined();
  });
  test("a named one, whose name is one nsbox takes (it becomes a file name and a JSON string)", () => {
    expect(refusal(plan("--name", "web"))).toBeUndefined();
    expect(refusal({ ...plan("--name", "web"), name: "../web" })).toBe("a name the front cannot record");
  });
  test("not one nsbox prepares anything else for, prints anything at, or that runs another stage", () => {
    expect(refusal(plan(), RECORD, "/proc/self/fd/5")).toBe("the sandbox does not run the installed stage");
    expect(refusal(plan(), { ...RECORD, publish: [{ fd: 5, port: 80 }] })).toBe("the start prepares publish");
    expect(refusal(plan(), { ...RECORD, cgroups: { join: [], watch: [], remove: [] } })).toBe("the start prepares cgroups");
    expect(refusal(plan(), {})).toBe("the start prepares more than a record");
    expect(refusal(plan("--keep-fd", "5"))).toBe("--keep-fd");
    expect(refusal(plan("--state", "/var/lib/app:/data"))).toBe("a state directory");
    expect(refusal(plan("--ro-bind", "/srv/a", "/a"), { ...RECORD, noSymlinkBinds: [2] })).toBe("a bind on a way others can write");
    expect(refusal(plan("--cap-add", "CAP_SYS_ADMIN"))).toBe("warnings printed at start");
  });
});
