// errno numbers to names (x86-64 and aarch64 share the generic table for these), so every
// SysError can say "ENOENT" rather than a bare number.
const NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 7: "E2BIG", 8: "ENOEXEC", 9: "EBADF",
  10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST",
  18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE",
  26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 30: "EROFS", 31: "EMLINK", 32: "EPIPE", 36: "ENAMETOOLONG",
  38: "ENOSYS", 39: "ENOTEMPTY", 40: "ELOOP", 95: "EOPNOTSUPP", 110: "ETIMEDOUT",
  88: "ENOTSOCK", 97: "EAFNOSUPPORT", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 101: "ENETUNREACH",
  111: "ECONNREFUSED", 113: "EHOSTUNREACH",
  // more that rtnetlink answers with (rtnetlink(7))
  6: "ENXIO", 34: "ERANGE", 61: "ENODATA", 71: "EPROTO", 75: "EOVERFLOW", 90: "EMSGSIZE", 92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT", 100: "ENETDOWN", 105: "ENOBUFS",
};

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `errno ${errno}`;
}
