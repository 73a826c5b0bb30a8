import { expect, test } from "bun:test";
import { encodeWire, type HostWire } from "../../src/native/wire.ts";
import { planSpec } from "../../src/model/plan.ts";
import { rootCtx } from "../helpers.ts";

function tokens(input: object, host: HostWire = {}): string[] {
  const r = planSpec({ process: { argv: ["echo", "a b"], env: { PATH: "/bin" } }, ...input }, rootCtx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const text = new TextDecoder().decode(encodeWire(r.spec, host));
  expect(text.endsWith("end\0")).toBe(true);
  return text.slice(0, -1).split("\0");
}

test("the default sandbox on the wire", () => {
  expect(tokens({ mounts: [{ kind: "bind", src: "/", dst: "/", readonly: true }, { kind: "tmpfs", dst: "/tmp", mode: 0o1777 }] })).toEqual([
    "nsbox-wire", "1",
    "clone", String(0x10000000 | 0x00020000 | 0x20000000 | 0x40000000 | 0x04000000 | 0x08000000 | 0x02000000),
    "setgroups", "allow",
    "uidmap", "0", "1879048192", "65536",
    "gidmap", "0", "1879048192", "65536",
    "propagation", "slave",
    "bind", "/", "/", "1",
    "tmpfs", "/tmp", "1777", "0",
    "hostname", "nsbox",
    "lo-up",
    "uid", "0", "gid", "0", "cwd", "/",
    "env", "PATH=/bin",
    "init", "1", "new-session", "1", "die-with-parent", "0",
    "no-new-privs", "1", "caps", "0",
    "argv", "echo", "argv", "a b",
    "end",
  ]);
});

test("joins, host namespaces, kept fds and capabilities", () => {
  const t = tokens({
    namespaces: { net: { mode: "join", path: "/run/netns/x" }, user: { mode: "host" }, pid: { mode: "host" } },
    network: { mode: "none" },
    process: { argv: ["x"], keepFds: [3, 7] },
    security: { capabilities: ["CAP_NET_ADMIN", "CAP_CHOWN"] },
  });
  expect(t.slice(2, 4)).toEqual(["clone", String(0x00020000 | 0x04000000 | 0x08000000 | 0x02000000)]);
  expect(t).toContain("/run/netns/x");
  expect(t).not.toContain("uidmap");
  expect(t).not.toContain("lo-up");
  expect(t.join(" ")).toContain("keep-fd 3 keep-fd 7");
  expect(t.join(" ")).toContain(`caps ${(1n << 12n) | 1n}`);
  expect(t.join(" ")).toContain("init 0");
});

test("passed fds: pass-fd records in order, and LISTEN_PID set by the stage", () => {
  const r = planSpec({ process: { argv: ["srv"], env: { LISTEN_FDS: "2" } } }, rootCtx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const text = (host: object) => new TextDecoder().decode(encodeWire(r.spec, host)).split("\0").join(" ");
  expect(text({ passFds: [9, 7] })).toContain("pass-fd 9 pass-fd 7 env-pid LISTEN_PID");
  expect(text({})).not.toContain("pass-fd");
  expect(text({ passFds: [] })).not.toContain("env-pid");
});

test("published ports: publish FD PORT records from the host side; lo up for them even with net none", () => {
  const spec = (network: object) => {
    const r = planSpec({ process: { argv: ["srv"] }, network }, rootCtx);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.spec;
  };
  const text = (s: ReturnType<typeof spec>, host: object = {}) => new TextDecoder().decode(encodeWire(s, host)).split("\0").join(" ");
  const published = spec({ mode: "none", publish: [{ host: "127.0.0.1:8080", port: 80 }] });
  expect(text(published, { publish: [{ fd: 9, port: 80 }, { fd: 11, port: 443 }] })).toContain("publish 9 80 publish 11 443");
  expect(text(published)).toContain(" lo-up ");
  expect(text(spec({ mode: "none" }))).not.toContain("lo-up");
  expect(text(spec({ mode: "none" }))).not.toContain("publish");
});

test("--log: the log DIR NAME MAX record from the host side (MAX: one generation, half the cap)", () => {
  const r = planSpec({ process: { argv: ["srv"], log: { path: "/var/log/app/out.log", maxBytes: 8 << 20 } } }, rootCtx);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const text = (host: object) => new TextDecoder().decode(encodeWire(r.spec, host)).split("\0").join(" ");
  expect(text({ log: { dir: 9, name: "out.log", max: 4 << 20 } })).toContain(" log 9 out.log 4194304 ");
  expect(text({})).not.toContain(" log ");
});

test("an idmapped bind: flag 8, and its map from on-disk ids to the host ids of the sandbox's own", () => {
  const t = tokens({ mounts: [{ kind: "bind", src: "/srv/a", dst: "/a", idmap: [{ inside: 33, onDisk: 1000, count: 2 }] }] });
  const at = t.indexOf("bind");
  expect(t.slice(at, at + 4)).toEqual(["bind", "/srv/a", "/a", "8"]);
  const lines = t.flatMap((tok, i) => (tok === "bind-idmap" ? [t.slice(i, i + 6)] : []));
  expect(lines).toEqual([
    ["bind-idmap", "/a", "uid", "1000", String(1879048192 + 33), "2"],
    ["bind-idmap", "/a", "gid", "1000", String(1879048192 + 33), "2"],
  ]);
});

test("a state directory: flag 16, its path resolved again without following symlinks", () => {
  const t = tokens({ mounts: [{ kind: "bind", src: "/srv/a", dst: "/srv/a", state: true }] });
  const at = t.indexOf("bind");
  expect(t.slice(at, at + 4)).toEqual(["bind", "/srv/a", "/srv/a", "16"]);
});

test("a bind the host found on a way others can write: flag 16 on that bind alone", () => {
  const mounts = [
    { kind: "bind", src: "/srv/a/x", dst: "/x", readonly: true },
    { kind: "bind", src: "/srv/b", dst: "/b", readonly: true },
  ];
  const binds = (host: HostWire) => {
    const t = tokens({ mounts }, host);
    return t.flatMap((x, i) => (x === "bind" ? [t.slice(i, i + 4)] : []));
  };
  expect(binds({ noSymlinkBinds: [0] })).toEqual([["bind", "/srv/a/x", "/x", "17"], ["bind", "/srv/b", "/b", "1"]]);
  expect(binds({})).toEqual([["bind", "/srv/a/x", "/x", "1"], ["bind", "/srv/b", "/b", "1"]]);
});
