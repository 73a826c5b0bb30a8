// The host's half of --publish: the listening sockets, opened in nsbox's own network namespace
// (the host's) before the stage runs. A socket keeps the namespace it was made in (socket(7)), so
// the stage's supervisor, once inside the sandbox's network namespace, still accepts host
// connections on them and relays each to the sandbox's loopback (src/native/stage/publish.c).
import { NsboxError } from "../base/errors.ts";
import { closeListeners, openListeners } from "./listen-sockets.ts";
import type { Publish } from "../model/schema.ts";
import { parseListenAddress, type ListenAddress } from "../model/sockaddr.ts";
import { ffiSocketSys, type SocketSys } from "./sys/socket.ts";

export interface PublishListeners {
  /** The wire's `publish FD PORT` records. */
  wire: { fd: number; port: number }[];
  close(): void;
}

/** Opens every published address, or none (a port in use: one line naming it, exit 125). */
export function openPublishListeners(publish: readonly Publish[], sockets: SocketSys = ffiSocketSys): PublishListeners {
  // The schema admitted only TCP literals (model/publish.ts).
  const addresses = publish.map((p) => parseListenAddress(p.host) as ListenAddress);
  try {
    const listeners = openListeners(addresses, { mode: 0o600 }, sockets);
    return {
      wire: listeners.map((l, i) => ({ fd: l.fd, port: publish[i]!.port })),
      close: () => closeListeners(listeners, addresses, sockets),
    };
  } catch (e) {
    if (e instanceof NsboxError) throw new NsboxError(`--publish ${e.message}`, e.exitCode, e.hint, { cause: e });
    throw e;
  }
}
