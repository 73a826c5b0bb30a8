// errno numbers and names (x86-64 and aarch64 share the generic table for these): one table, so
// every SysError can say "ENOENT" rather than a bare number, and code that tests for an errno
// names it from here instead of declaring its own number.
export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ETXTBSY: 26, EFBIG: 27,
  ENOSPC: 28, EROFS: 30, EMLINK: 31, EPIPE: 32, ERANGE: 34, ENAMETOOLONG: 36, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EPROTO: 71, EOVERFLOW: 75, ENOTSOCK: 88, EMSGSIZE: 90,
  ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98,
  EADDRNOTAVAIL: 99, ENETDOWN: 100, ENETUNREACH: 101, ENOBUFS: 105, ETIMEDOUT: 110,
  ECONNREFUSED: 111, EHOSTUNREACH: 113, EINPROGRESS: 115,
} as const;

const NAMES = new Map<number, string>(Object.entries(ERRNO).map(([name, n]) => [n, name]));

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}
