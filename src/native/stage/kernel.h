/* kernel.h: the kernel ABI the stage needs and musl 1.2 does not wrap: constants and structs
 * copied by value from the Linux UAPI headers (musl-gcc does not see /usr/include/linux), and
 * thin raw-syscall wrappers. Only numbers and layouts live here, no logic. */
#ifndef NSBOX_KERNEL_H
#define NSBOX_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* include/uapi/linux/sched.h. CLONE_INTO_CGROUP is clone3-only (Linux 5.7). */
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
struct k_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* include/uapi/linux/mount.h: the new mount API (Linux 5.2) and mount_setattr (5.12). */
#define OPEN_TREE_CLONE 1u
#define MOVE_MOUNT_F_EMPTY_PATH 0x04u
#define MOVE_MOUNT_T_EMPTY_PATH 0x40u
#define FSOPEN_CLOEXEC 0x1u
#define FSCONFIG_SET_FLAG 0u
#define FSCONFIG_SET_STRING 1u
#define FSCONFIG_CMD_CREATE 6u
#define FSMOUNT_CLOEXEC 0x1u
#define MOUNT_ATTR_RDONLY 0x1u
#define MOUNT_ATTR_NOSUID 0x2u
#define MOUNT_ATTR_NODEV 0x4u
#define MOUNT_ATTR_NOEXEC 0x8u
struct k_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* include/uapi/linux/openat2.h (Linux 5.6). */
struct k_open_how {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02u
#define RESOLVE_NO_SYMLINKS 0x04u
#define RESOLVE_BENEATH 0x08u
#define RESOLVE_IN_ROOT 0x10u

/* include/uapi/linux/stat.h: statx(2) (Linux 4.11; STATX_MNT_ID and the mount-root attribute
 * 5.8). Only the fields the stage reads are named; the offsets are the UAPI's. */
#define K_STATX_MNT_ID 0x1000u
#define K_STATX_ATTR_MOUNT_ROOT 0x2000u
struct k_statx {
	uint32_t mask, blksize;
	uint64_t attributes;               /* 0x08 */
	unsigned char pad1[0x38 - 0x10];
	uint64_t attributes_mask;          /* 0x38 */
	unsigned char pad2[0x90 - 0x40];
	uint64_t mnt_id;                   /* 0x90 */
	unsigned char tail[0x100 - 0x98];
};

/* include/uapi/linux/magic.h */
#define K_PROC_SUPER_MAGIC 0x9fa0

/* include/uapi/linux/nsfs.h: NS_GET_MNTNS_ID = _IOR(0xb7, 0x5, __u64) (Linux 6.8). */
#define K_NS_GET_MNTNS_ID 0x8008b705u

/* include/uapi/linux/keyctl.h */
#define K_KEYCTL_JOIN_SESSION_KEYRING 1

/* include/uapi/linux/close_range.h: the CLOEXEC flag needs Linux 5.11. */
#define CLOSE_RANGE_CLOEXEC (1u << 2)

/* include/uapi/linux/capability.h: version 3 uses two 32-bit words per set. */
#define K_CAPABILITY_VERSION_3 0x20080522u
#define K_CAP_SYS_ADMIN 21
#define K_CAP_KILL 5
struct k_cap_header {
	uint32_t version;
	int pid;
};
struct k_cap_data {
	uint32_t effective, permitted, inheritable;
};

/* include/uapi/linux/filter.h and seccomp.h. */
struct k_sock_filter {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct k_sock_fprog {
	unsigned short len;
	const struct k_sock_filter *filter;
};
#define K_SECCOMP_MODE_FILTER 2
#define K_BPF_MAXINSNS 4096

static inline long k_clone3(struct k_clone_args *a) { return syscall(SYS_clone3, a, sizeof *a); }
static inline int k_open_tree(int dfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}
static inline int k_move_mount(int fdfd, const char *fpath, int tdfd, const char *tpath, unsigned flags)
{
	return (int)syscall(SYS_move_mount, fdfd, fpath, tdfd, tpath, flags);
}
/* The stage opens with openat(AT_FDCWD, ...), never open(): musl's open() follows an O_CLOEXEC
 * open with fcntl(F_SETFD) for kernels before 2.6.23, one system call more each time (1-2 us on
 * the VM measured, PLAN.md "What a start costs"); its openat() passes the flags through. */

/* setgroups/setresgid/setresuid(2) as plain system calls: libc makes every thread of a process
 * change ids together (musl's __synccall), blocking all signals around each call, three more
 * system calls each time; the stage has one thread. */
static inline int k_setgroups0(void) { return (int)syscall(SYS_setgroups, 0, NULL); }
static inline int k_setresgid(unsigned g) { return (int)syscall(SYS_setresgid, g, g, g); }
static inline int k_setresuid(unsigned u) { return (int)syscall(SYS_setresuid, u, u, u); }
static inline int k_fsopen(const char *fs, unsigned flags) { return (int)syscall(SYS_fsopen, fs, flags); }
static inline int k_fsconfig(int fd, unsigned cmd, const char *key, const void *val, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, val, aux);
}
static inline int k_fsmount(int fd, unsigned flags, unsigned attrs)
{
	return (int)syscall(SYS_fsmount, fd, flags, attrs);
}
static inline int k_mount_setattr(int dfd, const char *path, unsigned flags, struct k_mount_attr *a)
{
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, a, sizeof *a);
}
static inline int k_openat2(int dfd, const char *path, struct k_open_how *how)
{
	return (int)syscall(SYS_openat2, dfd, path, how, sizeof *how);
}
static inline int k_close_range(unsigned first, unsigned last, unsigned flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}
static inline int k_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}
static inline int k_statx(int dfd, const char *path, int flags, unsigned mask, struct k_statx *sx)
{
	return (int)syscall(SYS_statx, dfd, path, flags, mask, sx);
}
static inline int k_capset(struct k_cap_header *h, struct k_cap_data d[2])
{
	return (int)syscall(SYS_capset, h, d);
}

#endif
