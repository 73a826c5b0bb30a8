// Interface names nsbox passes to the kernel or writes into nft rules. The kernel allows up to
// 15 bytes of anything but `/`, `:` and whitespace (dev_valid_name, IFNAMSIZ = 16 with the NUL);
// nsbox accepts a stricter set so a name is also safe inside a quoted nft string.
import { UsageError } from "../../base/errors.ts";

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

export function isValidIfname(name: string): boolean {
  return typeof name === "string" && IFNAME.test(name) && name !== "." && name !== "..";
}

/** Returns `name` when valid, else throws a UsageError naming it. */
export function checkIfname(name: string): string {
  if (!isValidIfname(name)) {
    throw new UsageError(`not a valid interface name: ${JSON.stringify(name)}`, "1 to 15 characters of A-Z a-z 0-9 _ . -");
  }
  return name;
}
