// The error a refused netlink request becomes: a SysError naming the request type, the errno
// and the object (`netlink RTM_NEWLINK veth nsbox0: EEXIST`), plus the kernel's extended-ack
// message when it sent one. The real client and the fake both throw it.
import { SysError } from "../../base/errors.ts";
import { errnoName } from "../sys/errno.ts";

const HINTS: Record<string, string> = {
  EEXIST: "a link, address or route by that name or value exists already",
  ENODEV: "no such link in that network namespace",
  EPERM: "netlink changes need CAP_NET_ADMIN in the namespace's owning user namespace",
  EOPNOTSUPP: "the kernel lacks support for this link kind (a module not loaded?)",
};

export class NetlinkError extends SysError {
  constructor(
    /** `RTM_NEWLINK`. */
    readonly request: string,
    errno: number,
    object: string,
    /** NLMSGERR_ATTR_MSG, when the kernel explained itself. */
    readonly kernelMessage?: string,
  ) {
    const name = errnoName(errno);
    super(`netlink ${request}`, errno, name, object, HINTS[name]);
    if (kernelMessage) this.message = `${this.message} (${kernelMessage})`;
  }
}
