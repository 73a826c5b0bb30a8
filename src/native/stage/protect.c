/* protect.c: the mount steps that take parts of the new root away from the payload: `mask`
 * hides a path (empty read-only tmpfs on a directory, the null device on anything else) and
 * `remount-ro` makes a subtree read-only, as container runtimes do for /proc/kcore, /proc/sys. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The path's fd, or -1 when it does not exist (the step is then skipped: a profile masks
 * /proc/acpi whether or not this kernel has it). The mount goes onto this very fd, never onto
 * the path resolved again, so nothing can be swapped in between. */
static int resolve(const char *step, const struct mount_step *m, int newroot, struct stat *st)
{
	int fd = path_open_strict(newroot, m->dst, O_PATH | O_NOFOLLOW);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return -1;
	if (fd < 0 && errno == ELOOP)
		die(EXIT_SETUP, step, errno, "%s: a symlink on the way is refused (CVE-2025-31133)", m->dst);
	if (fd < 0 || fstat(fd, st) < 0)
		die(EXIT_SETUP, step, errno, "%s", m->dst);
	if (S_ISLNK(st->st_mode))
		die(EXIT_SETUP, step, ELOOP, "%s is a symlink: refused, it would redirect the %s (CVE-2025-31133)",
		    m->dst, step);
	return fd;
}

/* The host's null device, from the old root as dev.c binds it; checked to be 1:3, because
 * binding whatever sits at a /dev/null path is exactly the bug of CVE-2025-31133. */
static int null_device(int oldroot, const char *dst)
{
	struct k_mount_attr attr = {0};
	struct stat st;
	int src = path_open(oldroot, "/dev/null", O_PATH), tree;
	if (src < 0 || fstat(src, &st) < 0)
		die(EXIT_SETUP, "mask", errno, "%s: the host's /dev/null", dst);
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		die(EXIT_SETUP, "mask", 0, "%s: the host's /dev/null is not the null device (1:3)", dst);
	if ((tree = k_open_tree(src, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH)) < 0)
		die(EXIT_SETUP, "mask", errno, "%s: clone /dev/null", dst);
	close(src);
	/* Reads give EOF, writes vanish; the node must stay usable, so no nodev. */
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
	if (k_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0)
		die(EXIT_SETUP, "mask", errno, "%s: set flags", dst);
	return tree;
}

void step_mask(const struct mount_step *m, int oldroot, int newroot)
{
	/* ro at the superblock too: not even a writable clone of this mount could add to it. */
	const char *kv[] = {"size", "4096", "mode", "0555", "ro", NULL, NULL, NULL};
	struct stat st;
	int at = resolve("mask", m, newroot, &st), mnt;
	if (at < 0)
		return;
	if (S_ISDIR(st.st_mode))
		mnt = fs_new("tmpfs", kv, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	else
		mnt = null_device(oldroot, m->dst);
	if (mnt < 0 || attach(mnt, at) < 0)
		die(EXIT_SETUP, "mask", errno, "%s", m->dst);
	close(mnt);
	close(at);
}

/* statx(2) STATX_ATTR_MOUNT_ROOT (Linux 5.8): whether fd is the root of its mount. */
static int is_mount_root(int fd, const char *dst)
{
	struct k_statx sx;
	if (k_statx(fd, "", AT_EMPTY_PATH, 0, &sx) < 0)
		die(EXIT_SETUP, "remount-ro", errno, "%s: statx", dst);
	if (!(sx.attributes_mask & K_STATX_ATTR_MOUNT_ROOT))
		die(EXIT_SETUP, "remount-ro", ENOSYS, "%s: this kernel does not tell mount roots (statx, 5.8)", dst);
	return (sx.attributes & K_STATX_ATTR_MOUNT_ROOT) != 0;
}

/* Read-only is a property of a mount, so a path that is not one first becomes one: a recursive
 * clone of itself, attached onto itself (what `mount --bind P P` does). The flags are set
 * recursively: what is mounted below PATH becomes read-only too, and flags can only be added
 * to mounts from a more privileged namespace, which is all this does. Note: nodev applies to
 * an earlier `mask` below PATH too (its null device then gives EACCES): mask after this. */
void step_remount_ro(const struct mount_step *m, int newroot)
{
	struct k_mount_attr attr = {0};
	struct stat st;
	int at = resolve("remount-ro", m, newroot, &st), tree;
	if (at < 0)
		return;
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	if (is_mount_root(at, m->dst)) {
		if (k_mount_setattr(at, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
			die(EXIT_SETUP, "remount-ro", errno, "%s", m->dst);
		close(at);
		return;
	}
	if ((tree = k_open_tree(at, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH)) < 0 ||
	    k_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0 || attach(tree, at) < 0)
		die(EXIT_SETUP, "remount-ro", errno, "%s", m->dst);
	close(tree);
	close(at);
}
