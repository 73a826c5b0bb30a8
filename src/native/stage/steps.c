/* steps.c: the mount steps (bind, tmpfs, proc, mqueue, dir, symlink) run inside the staging
 * root, sources under the old root and destinations inside the new one. Uses the new mount
 * API throughout: every mount is built detached, given its flags, then attached. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* die_create with "A -> B" as what. The message buffer (8 KiB) lives in this frame only, not in
 * the frames of the steps: a step's frame sits above every call it makes, and each stack page
 * the child reaches first is a page fault (copy-on-write or a fresh page, 10-15 us on a 2-CPU
 * VM; PLAN.md, "What a start costs"). */
static __attribute__((noinline)) _Noreturn void die_create_pair(const struct mount_step *m, const char *step,
								  int err, const char *a, const char *b)
{
	char what[2 * WIRE_MAX_PATH + 8];
	snprintf(what, sizeof what, "%s -> %s", a, b);
	die_create(m, step, err, what);
}

static const char *bind_name(uint32_t flags)
{
	return (flags & BIND_RO) ? "ro-bind" : (flags & BIND_DEV) ? "dev-bind" : "bind";
}

/* A recursive clone of the source (OPEN_TREE_CLONE|AT_RECURSIVE: a non-recursive bind in a
 * user namespace could uncover what locked submounts hide, so the kernel demands it), made
 * nosuid/nodev/read-only with mount_setattr(AT_RECURSIVE) while still detached: host
 * submounts under a ro-bind are read-only too, and later mounts placed on top keep their own
 * flags. Mounts that came from a more privileged namespace are locked: flags can be added to
 * them, never cleared, which is all this does. */
static void step_bind(const struct mount_step *m, int oldroot, int newroot)
{
	const char *name = bind_name(m->flags);
	struct k_mount_attr attr = {0};
	struct stat st;
	int src, tree, dst;

	if (m->flags & BIND_IDMAP) {
		/* Cloned, flagged and idmapped by the supervisor (idmap.c); absent: optional and missing. */
		if ((tree = m->idmap_tree) <= 0)
			return;
		if (fstat(tree, &st) < 0)
			die(EXIT_SETUP, name, errno, "%s -> %s", m->src, m->dst);
	} else {
		/* A state directory was opened by nsbox without following symlinks, but the sandbox
		 * (or another of its range) may write a directory on its way and swap it for a link
		 * since: resolve it the same way again, or the link would choose what is bound. */
		src = (m->flags & BIND_NO_SYMLINKS) ? path_open_strict(oldroot, m->src, O_PATH) : path_open(oldroot, m->src, O_PATH);
		if (src < 0) {
			if (errno == ENOENT && (m->flags & BIND_OPTIONAL))
				return;
			if (errno == ELOOP && (m->flags & BIND_NO_SYMLINKS))
				die(EXIT_SETUP, name, errno, "%s -> %s: a symlink on the way; give the real path", m->src, m->dst);
			die(EXIT_SETUP, name, errno, "%s -> %s", m->src, m->dst);
		}
		if (fstat(src, &st) < 0)
			die(EXIT_SETUP, name, errno, "%s -> %s", m->src, m->dst);
		tree = k_open_tree(src, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (tree < 0)
			die(EXIT_SETUP, name, errno, "%s -> %s", m->src, m->dst);
		close(src);
		attr.attr_set = MOUNT_ATTR_NOSUID;
		if (m->flags & BIND_RO)
			attr.attr_set |= MOUNT_ATTR_RDONLY;
		if (!(m->flags & BIND_DEV))
			attr.attr_set |= MOUNT_ATTR_NODEV;
		if (k_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
			die(EXIT_SETUP, name, errno, "%s -> %s: set flags", m->src, m->dst);
	}
	if ((dst = path_mountpoint(newroot, m->dst, S_ISDIR(st.st_mode))) < 0)
		die_create_pair(m, name, errno, m->src, m->dst);
	if (attach(tree, dst) < 0)
		die(EXIT_SETUP, name, errno, "%s -> %s", m->src, m->dst);
	close(dst);
	close(tree);
}

static void mount_fs(const char *step, const char *type, const char *const *kv, unsigned attrs,
		     const struct mount_step *m, int newroot)
{
	int mnt, dst;
	if ((mnt = fs_new(type, kv, attrs)) < 0)
		die(EXIT_SETUP, step, errno, "%s", m->dst);
	if ((dst = path_mountpoint(newroot, m->dst, 1)) < 0)
		die_create(m, step, errno, m->dst);
	if (attach(mnt, dst) < 0)
		die(EXIT_SETUP, step, errno, "%s", m->dst);
	close(dst);
	close(mnt);
}

static void step_tmpfs(const struct mount_step *m, int newroot)
{
	char mode[8], size[24];
	const char *kv[] = {"mode", mode, "size", size, NULL, NULL};
	snprintf(mode, sizeof mode, "%o", m->mode);
	snprintf(size, sizeof size, "%llu", (unsigned long long)m->size);
	if (m->size == 0)
		kv[2] = NULL; /* 0 = the kernel's default (half of RAM) */
	mount_fs("tmpfs", "tmpfs", kv, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, m, newroot);
}

/* mkdir -p; the last directory gets MODE exactly (the child runs with umask 0). An existing
 * directory is left as it is. */
static void step_dir(const struct mount_step *m, int newroot)
{
	char leaf[256];
	struct stat st;
	int parent, fd;
	if ((fd = path_open(newroot, m->dst, O_PATH)) >= 0) {
		if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
			die(EXIT_SETUP, "dir", fstat(fd, &st) < 0 ? errno : ENOTDIR, "%s", m->dst);
		close(fd);
		return;
	}
	if (errno != ENOENT || (parent = path_parent(newroot, m->dst, leaf)) < 0 ||
	    mkdirat(parent, leaf, (mode_t)m->mode) < 0)
		die_create(m, "dir", errno, m->dst);
	path_parent_close(newroot, parent);
}

/* Whether leaf in parent is a symlink to target (its buffer, like die_create_pair's, only in
 * this frame). */
static __attribute__((noinline)) int links_to(int parent, const char *leaf, const char *target)
{
	char cur[WIRE_MAX_PATH + 1];
	ssize_t n = readlinkat(parent, leaf, cur, sizeof cur - 1);
	return n >= 0 && (cur[n] = 0, strcmp(cur, target) == 0);
}

/* An existing link with the same target is fine (a profile may repeat it); anything else
 * at LINK is an error rather than something silently replaced. */
static void step_symlink(const struct mount_step *m, int newroot)
{
	char leaf[256];
	int parent, err;
	if ((parent = path_parent(newroot, m->dst, leaf)) < 0)
		die_create_pair(m, "symlink", errno, m->dst, m->src);
	if (symlinkat(m->src, parent, leaf) < 0) {
		err = errno;
		if (err != EEXIST || !links_to(parent, leaf, m->src))
			die_create_pair(m, "symlink", err, m->dst, m->src);
	}
	path_parent_close(newroot, parent);
}

void step_run(const struct mount_step *m, int oldroot, int newroot)
{
	switch (m->kind) {
	case STEP_BIND:
		step_bind(m, oldroot, newroot);
		break;
	case STEP_TMPFS:
		step_tmpfs(m, newroot);
		break;
	case STEP_PROC:
		/* procfs shows the PID namespace of the process that mounts it: the child is
		 * PID 1 of the new one. noexec/nosuid/nodev like every distribution's /proc. */
		mount_fs("proc", "proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			 m, newroot);
		break;
	case STEP_MQUEUE:
		/* mqueue shows the queues of the mounter's IPC namespace. */
		mount_fs("mqueue", "mqueue", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			 m, newroot);
		break;
	case STEP_DEV:
		step_dev(m, oldroot, newroot);
		break;
	case STEP_DIR:
		step_dir(m, newroot);
		break;
	case STEP_SYMLINK:
		step_symlink(m, newroot);
		break;
	case STEP_MASK:
		step_mask(m, oldroot, newroot);
		break;
	case STEP_REMOUNT_RO:
		step_remount_ro(m, newroot);
		break;
	}
}
