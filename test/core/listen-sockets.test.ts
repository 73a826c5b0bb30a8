// The listening sockets nsbox opens for a worker, with real sockets on 127.0.0.1, ::1 and in a
// temporary directory (no root needed), and who may connect to an allowed unix socket.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeListeners, groupId, openListeners, type Listener } from "../../src/core/listen-sockets.ts";
import { parseListenAddress, type ListenAddress } from "../../src/model/sockaddr.ts";
import { checkAllowedSocket, hostId, mayWrite } from "../../src/core/unix-socket-access.ts";
import { NsboxError, UsageError } from "../../src/base/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "nsbox-listen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const addr = (t: string) => parseListenAddress(t) as ListenAddress;

/** A socket's options as /proc/net/tcp{,6} shows it: listening, by inode. */
function listening(table: string, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync(`/proc/net/${table}`, "utf8").split("\n").some((l) => l.includes(`:${hexPort} `) && / 0A /.test(l));
}

describe("openListeners", () => {
  test("TCP on IPv4 and IPv6 and a unix socket, in order; port 0 reports the port chosen", () => {
    const wanted = [addr("127.0.0.1:0"), addr("[::1]:0"), addr(`unix:${dir}/a.sock`)];
    let ls: Listener[] = [];
    try {
      ls = openListeners(wanted, { mode: 0o660 });
      expect(ls.map((l) => l.requested)).toEqual(["127.0.0.1:0", "[::1]:0", `unix:${dir}/a.sock`]);
      expect(ls[0]!.bound).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      expect(ls[1]!.bound).toMatch(/^\[::1\]:[1-9]\d*$/);
      expect(ls[2]!.bound).toBe(`unix:${dir}/a.sock`);
      expect(listening("tcp", Number(ls[0]!.bound.split(":")[1]))).toBe(true);
      expect(listening("tcp6", Number(ls[1]!.bound.split(":").at(-1)))).toBe(true);
      const st = lstatSync(`${dir}/a.sock`);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o660); // not the umask's 0755
      // Close-on-exec until execute() clears it for exactly these fds.
      const O_CLOEXEC = 0o2000000;
      for (const l of ls) expect(Number.parseInt(/^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${l.fd}`, "utf8"))![1]!, 8) & O_CLOEXEC).toBe(O_CLOEXEC);
    } finally {
      closeListeners(ls, wanted);
    }
    expect(() => lstatSync(`${dir}/a.sock`)).toThrow();
  });

  test("a stale socket file is replaced; a live one, or anything else at the path, is refused", () => {
    const path = `${dir}/b.sock`;
    const first = openListeners([addr(`unix:${path}`)], { mode: 0o600 });
    // A server that died leaves its file: close the socket only.
    closeListeners(first, []);
    expect(lstatSync(path).isSocket()).toBe(true);
    const second = openListeners([addr(`unix:${path}`)], { mode: 0o600 });
    try {
      expect(() => openListeners([addr(`unix:${path}`)], { mode: 0o600 })).toThrow(/a server is listening on/);
      expect(lstatSync(path).isSocket()).toBe(true); // the live one was left alone
    } finally {
      closeListeners(second, [addr(`unix:${path}`)]);
    }
    writeFileSync(`${dir}/file`, "x");
    expect(() => openListeners([addr(`unix:${dir}/file`)], { mode: 0o600 })).toThrow(/exists and is not a socket/);
    expect(readFileSync(`${dir}/file`, "utf8")).toBe("x");
    expect(() => openListeners([addr(`unix:${dir}/missing/x.sock`)], { mode: 0o600 })).toThrow(/directory does not exist/);
  });

  test("all or nothing: when one address fails, the ones opened before are closed and removed", () => {
    const taken = openListeners([addr("127.0.0.1:0")], { mode: 0o600 });
    try {
      const wanted = [addr(`unix:${dir}/c.sock`), addr(taken[0]!.bound)];
      const e = (() => {
        try {
          openListeners(wanted, { mode: 0o600 });
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(NsboxError);
      expect((e as Error).message).toBe(`${taken[0]!.bound}: the address is in use`);
      expect(() => lstatSync(`${dir}/c.sock`)).toThrow();
    } finally {
      closeListeners(taken, []);
    }
  });

  test("groups by gid or by name", () => {
    expect(groupId("0")).toBe(0);
    expect(groupId("4294967295")).toBeUndefined();
    expect(groupId("root")).toBe(0);
    expect(groupId("no-such-group-nsbox")).toBeUndefined();
  });
});

describe("allowed unix sockets", () => {
  test("write permission decides: owner, then group, then other; no supplementary groups", () => {
    const f = { uid: 0, gid: 0, mode: 0o755 };
    expect(mayWrite(f, 0, 0)).toBe(true);
    expect(mayWrite(f, 1879048192, 1879048192)).toBe(false);
    expect(mayWrite({ ...f, mode: 0o666 }, 1879048192, 1879048192)).toBe(true);
    expect(mayWrite({ ...f, gid: 1879048192, mode: 0o660 }, 1879048192, 1879048192)).toBe(true);
    expect(mayWrite({ uid: 5, gid: 5, mode: 0o077 }, 5, 5)).toBe(false); // the owner class decides
  });
  test("host ids through the map", () => {
    const map = [{ inside: 0, outside: 1879048192, count: 65536 }];
    expect(hostId(map, 0)).toBe(1879048192);
    expect(hostId(map, 33)).toBe(1879048225);
    expect(hostId(map, 65536)).toBeUndefined();
    expect(hostId([], 1000)).toBe(1000);
  });
  test("a missing path or a non-socket is a usage error; an unwritable socket a warning that says what to do", () => {
    expect(() => checkAllowedSocket(`${dir}/nope`, "--allow-unix", { uid: 1, gid: 1 })).toThrow(UsageError);
    writeFileSync(`${dir}/plain`, "");
    expect(() => checkAllowedSocket(`${dir}/plain`, "--allow-unix", { uid: 1, gid: 1 })).toThrow(/not a unix socket/);
    const path = `${dir}/d.sock`;
    const ls = openListeners([addr(`unix:${path}`)], { mode: 0o600 });
    try {
      const owner = lstatSync(path);
      expect(checkAllowedSocket(path, "--allow-unix", { uid: owner.uid, gid: owner.gid })).toBeUndefined();
      const w = checkAllowedSocket(path, "--allow-unix", { uid: 1879048192, gid: 1879048192 });
      expect(w).toContain("host uid 1879048192 gid 1879048192, which may not write this socket");
      expect(w).toContain("mode 0600");
      expect(w).toContain("EACCES");
      chmodSync(path, 0o666);
      expect(checkAllowedSocket(path, "--allow-unix", { uid: 1879048192, gid: 1879048192 })).toBeUndefined();
    } finally {
      closeListeners(ls, [addr(`unix:${path}`)]);
    }
  });
});
