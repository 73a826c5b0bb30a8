// The options of the httpd-worker plugin (valibot: flags, profile keys and `nsbox plugin info`
// come from this schema) and the socket-activation names derived from them (sd_listen_fds(3)).
import { AbsPath, parseListenAddress, v } from "nsbox/plugin";

/** The stage passes at most 64 fds (WIRE.md `pass-fd`). */
export const MAX_LISTEN = 64;

/** systemd's fdname_is_valid: 1-255 printable ASCII bytes without ':' (the LISTEN_FDNAMES separator). */
export const FdName = v.pipe(
  v.string(),
  v.regex(/^[\x20-\x39\x3b-\x7e]{1,255}$/, "must be 1-255 printable ASCII characters without ':'"),
);

const ListenAddr = v.pipe(
  v.string(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const r = parseListenAddress(dataset.value);
    if (typeof r === "string") addIssue({ message: `'${dataset.value}': ${r}` });
  }),
);

export const HttpdWorkerOptions = v.pipe(
  v.strictObject({
    /** Addresses nsbox listens on for the worker, in order: fds 3, 4, ... */
    listen: v.pipe(
      v.array(ListenAddr),
      v.minLength(1, "needs at least one --listen ADDR"),
      v.maxLength(MAX_LISTEN, `at most ${MAX_LISTEN} --listen`),
      v.description("where the server is reached: 127.0.0.1:PORT, [::1]:PORT or unix:/PATH (fds 3, 4, ... in this order)"),
      v.metadata({ metavar: "ADDR" }),
    ),
    /** Host unix sockets (a database's) the worker may connect to, bound at the same path. */
    allowUnix: v.optional(
      v.pipe(v.array(AbsPath), v.description("a host unix socket the server may connect to, at the same path"), v.metadata({ metavar: "PATH" })),
      [],
    ),
    /** LISTEN_FDNAMES entries, one per --listen (`--fd-name`); default: each address, sanitized. */
    fdName: v.optional(v.pipe(v.array(FdName), v.description("the LISTEN_FDNAMES name of each --listen, in order (default: the address)"), v.metadata({ metavar: "NAME" }))),
  }),
  v.check((o) => o.fdName === undefined || o.fdName.length === o.listen.length, "give one --fd-name per --listen, or none"),
  v.check((o) => new Set(o.listen).size === o.listen.length, "an address is given twice in --listen"),
);
export type HttpdWorkerOptions = v.InferOutput<typeof HttpdWorkerOptions>;

/** A default name for the fd of an address: the address with every character outside [A-Za-z0-9._/@-] as '_'. */
export function defaultFdName(address: string): string {
  return address.replace(/[^A-Za-z0-9._/@-]/g, "_");
}
