/* dev.c: the `dev` step: a minimal /dev on a fresh tmpfs: a few harmless device nodes bound
 * from the host, the usual symlinks, a private devpts and a tmpfs for POSIX shm. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* mknod is refused inside a user namespace, so nodes are bind mounts of the host's (as
 * bubblewrap does); these six carry no host state (no disks, no consoles, no kmsg). */
static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const char *const links[][2] = {
	{"fd", "/proc/self/fd"},         {"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},   {"stderr", "/proc/self/fd/2"},
	{"ptmx", "pts/ptmx"},            {"core", "/proc/kcore"},
};

/* The mount point is made with mknodat (an empty regular file, which needs no privilege; it
 * fails if anything is there) and the node is attached onto it by name: `dev` is the tmpfs made
 * just now, which nothing but this process can reach, and move_mount(2) does not follow a
 * symlink as the last component of the target. Seven system calls a node instead of eleven
 * (about 1-2 us each on the VM measured, beside the mount itself). */
static void bind_node(const char *name, int oldroot, int dev, const char *dst)
{
	char host[32];
	struct k_mount_attr attr = {0};
	int src, tree;

	snprintf(host, sizeof host, "/dev/%s", name);
	if (mknodat(dev, name, S_IFREG | 0666, 0) < 0)
		die(EXIT_SETUP, "dev", errno, "%s/%s", dst, name);
	if ((src = path_open(oldroot, host, O_PATH)) < 0 ||
	    (tree = k_open_tree(src, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH)) < 0)
		die(EXIT_SETUP, "dev", errno, "%s -> %s/%s", host, dst, name);
	close(src);
	/* The node must stay usable (no nodev); nothing on it may be executed or be setuid. */
	attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
	if (k_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0 ||
	    k_move_mount(tree, "", dev, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die(EXIT_SETUP, "dev", errno, "%s -> %s/%s", host, dst, name);
	close(tree);
}

/* devpts(5): every mount is a new instance (the `newinstance` flag is implied since 4.7 and
 * kept for older kernels), so the sandbox cannot see or open the host's terminals. gid=5
 * (tty) only works when gid 5 is mapped in the user namespace: the kernel refuses it
 * otherwise (EINVAL), and then the option is left out. */
static int devpts_new(void)
{
	const char *kv[] = {"newinstance", NULL, "ptmxmode", "0666", "mode", "620", "gid", "5", NULL, NULL};
	int m = fs_new("devpts", kv, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (m < 0 && errno == EINVAL) {
		kv[6] = NULL;
		m = fs_new("devpts", kv, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	}
	return m;
}

static void mount_inside(int dev, const char *name, int mnt, const char *dst)
{
	int at = -1;
	if (mnt < 0 || mkdirat(dev, name, 0755) < 0 ||
	    (at = openat(dev, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 || attach(mnt, at) < 0)
		die(EXIT_SETUP, "dev", errno, "%s/%s", dst, name);
	close(at);
	close(mnt);
}

void step_dev(const struct mount_step *m, int oldroot, int newroot)
{
	const char *tmpfs_kv[] = {"mode", "0755", NULL, NULL};
	const char *shm_kv[] = {"mode", "1777", NULL, NULL};
	unsigned i;
	int dev, dst;

	/* The nodes are their own mounts, so this tmpfs can be nodev. After attach, the
	 * detached mount fd is the root of the mounted tmpfs: everything below is made
	 * relative to it, never through a path. */
	if ((dev = fs_new("tmpfs", tmpfs_kv, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		die(EXIT_SETUP, "dev", errno, "%s", m->dst);
	if ((dst = path_mountpoint(newroot, m->dst, 1)) < 0)
		die_create(m, "dev", errno, m->dst);
	if (attach(dev, dst) < 0)
		die(EXIT_SETUP, "dev", errno, "%s", m->dst);
	close(dst);
	for (i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
		bind_node(nodes[i], oldroot, dev, m->dst);
	for (i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			die(EXIT_SETUP, "dev", errno, "%s/%s -> %s", m->dst, links[i][0], links[i][1]);
	mount_inside(dev, "pts", devpts_new(), m->dst);
	mount_inside(dev, "shm", fs_new("tmpfs", shm_kv, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV), m->dst);
	close(dev);
}
