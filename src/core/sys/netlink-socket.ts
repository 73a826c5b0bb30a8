// A NETLINK_ROUTE socket over bun:ffi: socket, bind, send and receive whole datagrams. It knows
// nothing of messages (core/net/netlink.ts does); it only moves bytes and turns -1 into SysError.
// The socket belongs to the network namespace of the thread that called socket(2) for good,
// which is what core/sys/netns-window.ts relies on (network_namespaces(7)).
import { dlopen, FFIType, ptr } from "bun:ffi";
import { failWithErrno as fail, lastErrno as errno } from "./last-errno.ts";
import { ERRNO } from "../../base/errno.ts";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20; // SO_RCVTIMEO_OLD: struct timeval of two longs (x86-64, aarch64)
const SOL_NETLINK = 270;
const NETLINK_EXT_ACK = 11;
const MSG_TRUNC = 0x20;
/** A dump part is at most ~32 KiB (netlink_dump caps its skb there); twice that is plenty. */
const RECV_SIZE = 64 * 1024;

/** What core/net/client.ts needs from a socket; tests substitute a scripted fake. */
export interface NetlinkSocket {
  readonly fd: number;
  /** Sends one datagram to the kernel (nl_pid 0). */
  send(bytes: Uint8Array): void;
  /** Receives one datagram (possibly several messages); throws on timeout. */
  recv(): Uint8Array;
  close(): void;
}

let lib: ReturnType<typeof openLibc> | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
    recvfrom: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

function libc() {
  return (lib ??= openLibc());
}



/** struct sockaddr_nl (12 bytes): family u16, pad u16, pid u32, groups u32; pid 0 is the kernel. */
function sockaddrNl(): Uint8Array {
  const b = new Uint8Array(12);
  new Uint16Array(b.buffer, 0, 1)[0] = AF_NETLINK; // host byte order, as every netlink field
  return b;
}

/**
 * Opens and binds a netlink socket of `protocol` in the calling thread's network namespace.
 * Replies wait at most `timeoutMs`: a request the kernel never answers fails instead of
 * blocking Bun's main thread for good.
 */
export function openNetlinkSocket(protocol: number = NETLINK_ROUTE, timeoutMs = 5000): NetlinkSocket {
  const what = "netlink socket";
  const fd = libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) fail("socket(AF_NETLINK)", what);
  try {
    const tv = new BigInt64Array([BigInt(Math.floor(timeoutMs / 1000)), BigInt((timeoutMs % 1000) * 1000)]);
    if (libc().setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, ptr(tv), 16) < 0) fail("setsockopt(SO_RCVTIMEO)", what);
    // Extended acks: errors come with the kernel's own message ("Invalid prefix…") and the
    // offset of the offending attribute (netlink(7), Linux 4.12). Older kernels: ENOPROTOOPT, fine.
    const on = new Int32Array([1]);
    libc().setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, ptr(on), 4);
    // nl_pid 0 lets the kernel pick our port id.
    const addr = sockaddrNl();
    if (libc().bind(fd, ptr(addr), addr.length) < 0) fail("bind(AF_NETLINK)", what);
  } catch (e) {
    libc().close(fd);
    throw e;
  }
  const buf = new Uint8Array(RECV_SIZE);
  const kernel = sockaddrNl();
  let open = true;
  return {
    fd,
    send(bytes) {
      for (;;) {
        const n = Number(libc().sendto(fd, ptr(bytes), bytes.length, 0, ptr(kernel), kernel.length));
        if (n >= 0) {
          if (n !== bytes.length) fail("sendto", `${what} (sent ${n} of ${bytes.length} bytes)`, 90);
          return;
        }
        if (errno() !== ERRNO.EINTR) fail("sendto", what);
      }
    },
    recv() {
      for (;;) {
        // MSG_TRUNC makes recv return the datagram's real length, so a cut one is detected.
        const n = Number(libc().recvfrom(fd, ptr(buf), buf.length, MSG_TRUNC, null, null));
        if (n >= 0) {
          if (n > buf.length) fail("recvfrom", `${what} (a ${n}-byte reply)`, 90);
          return buf.slice(0, n);
        }
        const e = errno();
        if (e === ERRNO.EINTR) continue;
        if (e === ERRNO.EAGAIN) fail("recvfrom", `${what}: no reply from the kernel in ${timeoutMs} ms`, e);
        fail("recvfrom", what, e);
      }
    },
    close() {
      if (open) libc().close(fd);
      open = false;
    },
  };
}
