// RtnlClient over a scripted socket: the bytes it sends, how it matches answers by sequence
// number, multi-part dumps, and how kernel refusals become one clear SysError line.
import { describe, expect, test } from "bun:test";
import { RtnlClient } from "../../../src/core/net/client.ts";
import { NetlinkError } from "../../../src/base/errors.ts";
import { newLinkRequest, encodeRequest, parseMessages } from "../../../src/core/net/netlink.ts";
import { SysError, UsageError } from "../../../src/base/errors.ts";
import type { NetlinkSocket } from "../../../src/core/sys/netlink-socket.ts";
import { hex, LINK_VETH, SEQ, toHex } from "./fixtures.ts";

/** A socket that answers each sent request with datagrams built by `respond`. */
class ScriptedSocket implements NetlinkSocket {
  readonly fd = -1;
  readonly sent: Uint8Array[] = [];
  private queue: Uint8Array[] = [];
  closed = false;
  constructor(private readonly respond: (req: { type: number; seq: number; bytes: Uint8Array }, n: number) => Uint8Array[]) {}
  send(bytes: Uint8Array): void {
    const [m] = parseMessages(bytes);
    this.sent.push(bytes);
    this.queue.push(...this.respond({ type: m!.type, seq: m!.seq, bytes }, this.sent.length));
  }
  recv(): Uint8Array {
    const next = this.queue.shift();
    if (!next) throw new Error("the client waited for an answer that will never come");
    return next;
  }
  close(): void {
    this.closed = true;
  }
}

const le32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
};
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

/** An nlmsghdr with `payload`, as the kernel sends it. */
function msg(type: number, flags: number, seq: number, payload: Uint8Array): Uint8Array {
  const len = 16 + payload.length;
  const out = new Uint8Array((len + 3) & ~3);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, len, true);
  dv.setUint16(4, type, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, seq, true);
  dv.setUint32(12, 4321, true);
  out.set(payload, 16);
  return out;
}

/** NLMSG_ERROR for `req`: errno 0 is the ack; the request is echoed whole, as without NETLINK_CAP_ACK. */
function answer(req: { bytes: Uint8Array; seq: number }, errno = 0, extack?: string): Uint8Array {
  const reqLen = new DataView(req.bytes.buffer).getUint32(0, true);
  let payload = cat(le32(-errno), errno ? req.bytes.subarray(0, reqLen) : req.bytes.subarray(0, 16));
  let flags = errno ? 0 : 0x100; // acks are capped to the header
  if (extack) {
    const text = new TextEncoder().encode(`${extack}\0`);
    const tlv = new Uint8Array((4 + text.length + 3) & ~3);
    new DataView(tlv.buffer).setUint16(0, 4 + text.length, true);
    new DataView(tlv.buffer).setUint16(2, 1, true);
    tlv.set(text, 4);
    payload = cat(payload, new Uint8Array(((payload.length + 3) & ~3) - payload.length), tlv);
    flags |= 0x200;
  }
  return msg(2, flags, req.seq, payload);
}

const done = (seq: number, errno = 0, flags = 2) => msg(3, flags, seq, le32(-errno));
/** LINK_VETH (index 5, nsbox0) re-sequenced. */
const linkReply = (seq: number, flags = 2) => {
  const b = hex(LINK_VETH);
  new DataView(b.buffer).setUint32(8, seq, true);
  new DataView(b.buffer).setUint16(6, flags, true);
  return b;
};

describe("requests and acks", () => {
  test("createVeth sends the encoded request with NLM_F_ACK and returns on the ack", () => {
    const sock = new ScriptedSocket((req) => [answer(req)]);
    const c = new RtnlClient(sock, SEQ);
    c.createVeth("nsbox0", "nsbox1", 7);
    expect(sock.sent).toHaveLength(1);
    expect(toHex(sock.sent[0]!)).toBe(toHex(encodeRequest(newLinkRequest({ kind: "veth", name: "nsbox0", peer: { name: "nsbox1", nsFd: 7 } }), SEQ)));
  });

  test("each request gets the next sequence number", () => {
    const sock = new ScriptedSocket((req) => [answer(req)]);
    const c = new RtnlClient(sock, 100);
    c.createBridge("br0");
    c.setUp("br0");
    c.deleteLink("br0");
    expect(sock.sent.map((b) => parseMessages(b)[0]!.seq)).toEqual([100, 101, 102]);
    expect(sock.sent.map((b) => parseMessages(b)[0]!.type)).toEqual([16, 16, 17]);
  });

  test("answers to other sequence numbers (a late reply to an earlier request) are skipped", () => {
    const sock = new ScriptedSocket((req) => [cat(answer({ ...req, seq: req.seq - 1 }, 17)), answer(req)]);
    new RtnlClient(sock, SEQ).createDummy("d0");
  });

  test("addAddress looks the link up by name, then uses its index", () => {
    const sock = new ScriptedSocket((req) => (req.type === 18 ? [cat(linkReply(req.seq, 0), answer(req))] : [answer(req)]));
    new RtnlClient(sock, SEQ).addAddress("nsbox0", "10.200.0.1/30");
    expect(sock.sent.map((b) => parseMessages(b)[0]!.type)).toEqual([18, 20]);
    const ifaddr = parseMessages(sock.sent[1]!)[0]!.payload;
    expect(Array.from(ifaddr.subarray(0, 8))).toEqual([2, 30, 0, 0, 5, 0, 0, 0]);
  });

  test("addRoute resolves the output link and refuses mixed families before sending", () => {
    const sock = new ScriptedSocket((req) => (req.type === 18 ? [linkReply(req.seq, 0), answer(req)] : [answer(req)]));
    const c = new RtnlClient(sock, SEQ);
    c.addRoute({ dst: "default", gateway: "10.200.0.1", dev: "nsbox0" });
    expect(sock.sent.map((b) => parseMessages(b)[0]!.type)).toEqual([18, 24]);
    expect(() => c.addRoute({ dst: "fd00::/64", gateway: "10.0.0.1" })).toThrow("mixes IPv4 and IPv6");
    expect(() => c.addRoute({ dst: "default", family: 6, gateway: "10.0.0.1" })).toThrow(UsageError);
    expect(sock.sent).toHaveLength(2);
  });

  test("bad names and hostile addresses are refused before anything is sent", () => {
    const sock = new ScriptedSocket((req) => [answer(req)]);
    const c = new RtnlClient(sock, SEQ);
    expect(() => c.createVeth("nsbox0; rm", "x")).toThrow(UsageError);
    expect(() => c.createBridge("a-name-longer-than-15")).toThrow(UsageError);
    expect(() => c.addAddress("nsbox0", "example.com/24")).toThrow(UsageError);
    expect(() => c.addRoute({ dst: "10.0.0.0/8", gateway: "10.0.0.1; flush ruleset" })).toThrow(UsageError);
    expect(sock.sent).toHaveLength(0);
  });
});

describe("errors", () => {
  test("EEXIST is one line naming the request, the object and the errno", () => {
    const sock = new ScriptedSocket((req) => [answer(req, 17)]);
    const c = new RtnlClient(sock, SEQ);
    let err: unknown;
    try {
      c.createVeth("nsbox0", "nsbox1");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SysError);
    expect(err).toBeInstanceOf(NetlinkError);
    const e = err as NetlinkError;
    expect(e.message).toBe("netlink RTM_NEWLINK veth nsbox0: EEXIST");
    expect(e).toMatchObject({ syscall: "netlink RTM_NEWLINK", errno: 17, errnoName: "EEXIST", path: "veth nsbox0", request: "RTM_NEWLINK" });
    expect(e.hint).toContain("exists");
  });

  test("the kernel's extended-ack message is appended", () => {
    const sock = new ScriptedSocket((req) => [answer(req, 22, "Invalid prefix for given prefix length")]);
    expect(() => new RtnlClient(sock, SEQ).addRoute({ dst: "10.0.0.0/8", gateway: "10.0.0.1" })).toThrow(
      "netlink RTM_NEWROUTE route 10.0.0.0/8 via 10.0.0.1: EINVAL (Invalid prefix for given prefix length)",
    );
  });

  test("a missing link: getLink gives undefined, operations on it name it", () => {
    const sock = new ScriptedSocket((req) => [answer(req, 19)]);
    const c = new RtnlClient(sock, SEQ);
    expect(c.getLink("nope")).toBeUndefined();
    expect(() => c.addAddress("nope", "10.0.0.1/24")).toThrow("netlink RTM_GETLINK link nope: ENODEV");
    expect(() => c.setUp("nope")).toThrow("netlink RTM_NEWLINK link nope: ENODEV");
    expect(() => c.setMaster("nope", "br0")).toThrow("link br0: ENODEV");
  });

  test("other errors from getLink are not swallowed", () => {
    const sock = new ScriptedSocket((req) => [answer(req, 1)]);
    expect(() => new RtnlClient(sock, SEQ).getLink("lo")).toThrow("netlink RTM_GETLINK link lo: EPERM");
  });

  test("an unknown errno still says its number", () => {
    const sock = new ScriptedSocket((req) => [answer(req, 200)]);
    expect(() => new RtnlClient(sock, SEQ).deleteLink("x")).toThrow("netlink RTM_DELLINK link x: errno 200");
  });
});

describe("dumps", () => {
  test("parts spread over several datagrams are gathered until NLMSG_DONE", () => {
    const sock = new ScriptedSocket((req) => [
      linkReply(req.seq),
      cat(msg(1, 0, req.seq, new Uint8Array(0)), linkReply(req.seq)), // NLMSG_NOOP is ignored
      done(req.seq),
    ]);
    const links = new RtnlClient(sock, SEQ).listLinks();
    expect(links.map((l) => [l.index, l.name, l.kind])).toEqual([[5, "nsbox0", "veth"], [5, "nsbox0", "veth"]]);
    expect(parseMessages(sock.sent[0]!)[0]!.flags).toBe(0x305);
  });

  test("an interrupted dump (NLM_F_DUMP_INTR) is restarted, and fails after three tries", () => {
    let n = 0;
    const sock = new ScriptedSocket((req) => (++n < 3 ? [linkReply(req.seq, 0x12), done(req.seq, 0, 0x12)] : [linkReply(req.seq), done(req.seq)]));
    expect(new RtnlClient(sock, SEQ).listLinks()).toHaveLength(1);
    expect(sock.sent).toHaveLength(3);
    const always = new ScriptedSocket((req) => [linkReply(req.seq, 0x12), done(req.seq)]);
    expect(() => new RtnlClient(always, SEQ).listLinks()).toThrow("netlink RTM_GETLINK links (dump interrupted 3 times): EINTR");
  });

  test("an error inside NLMSG_DONE fails the dump", () => {
    const sock = new ScriptedSocket((req) => [done(req.seq, 105)]);
    expect(() => new RtnlClient(sock, SEQ).listAddresses()).toThrow("netlink RTM_GETADDR addresses: ENOBUFS");
  });

  test("an error answer to a dump fails it", () => {
    const sock = new ScriptedSocket((req) => [answer(req, 1)]);
    expect(() => new RtnlClient(sock, SEQ).listLinks()).toThrow("netlink RTM_GETLINK links: EPERM");
  });
});

test("close closes the socket; the client refuses use after it", () => {
  const sock = new ScriptedSocket((req) => [answer(req)]);
  const c = new RtnlClient(sock, SEQ);
  c.close();
  expect(sock.closed).toBe(true);
  expect(() => c.setUp("lo")).toThrow("after close");
});
