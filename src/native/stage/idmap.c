/* idmap.c: idmapped binds (mount_setattr(2) MOUNT_ATTR_IDMAP). Files keep their owners on disk
 * and the sandbox sees the on-disk ids it was given as its own; ids not in the map show as the
 * overflow id and cannot be written as (EOVERFLOW), so nothing written can land as host root
 * unless on-disk 0 was mapped.
 *
 * Who does what, and why:
 * - The kernel idmaps a mount only for a caller with CAP_SYS_ADMIN in the user namespace of the
 *   mount's superblock (the host's, for ext4 or a host tmpfs) and only while the mount is still
 *   detached (fs/namespace.c can_idmap_mount). The sandbox's child lacks that capability, so the
 *   supervisor, still in the caller's namespaces, clones the source (open_tree OPEN_TREE_CLONE)
 *   and idmaps the clone; the child inherits the fd and attaches it in step_bind (move_mount):
 *   a prepared mount fd handed to the container, as crun does.
 * - The map travels as a user namespace fd. One with exactly the wanted map is made by a helper
 *   child that unshares a user namespace and waits (util-linux's X-mount.idmap= does the same);
 *   the supervisor writes its uid_map/gid_map (lines "ONDISK HOST COUNT": on-disk ids are the
 *   namespace's inside ids, host ids its outside ones), opens /proc/HELPER/ns/user, then lets
 *   the helper exit and reaps it. The mount keeps the namespace alive. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MOUNT_ATTR_IDMAP 0x100000u

/* statfs(2) f_type names for the message of a file system that cannot be idmapped. */
static const char *fs_name(int fd, char buf[32])
{
	static const struct {
		unsigned long magic;
		const char *name;
	} names[] = {
		{0xEF53, "ext2/3/4"}, {0x58465342, "xfs"}, {0x9123683E, "btrfs"}, {0x01021994, "tmpfs"},
		{0x794C7630, "overlay"}, {0x6969, "nfs"}, {0x65735546, "fuse"}, {0x4d44, "vfat"},
		{0x2FC12FC1, "zfs"}, {0x73717368, "squashfs"}, {0x01021997, "9p"}, {0xFF534D42, "cifs"},
		{0xFE534D42, "smb2"}, {0x9fa0, "proc"}, {0x62656572, "sysfs"}, {0xf2f52010, "f2fs"},
	};
	struct statfs sf;
	unsigned i;
	if (fstatfs(fd, &sf) < 0)
		return "an unknown file system";
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((unsigned long)sf.f_type == names[i].magic)
			return names[i].name;
	snprintf(buf, 32, "file system type 0x%lx", (unsigned long)sf.f_type);
	return buf;
}

static unsigned lines_of(const struct spec *s, const struct mount_step *m, int gid,
			 struct id_range out[WIRE_MAX_BIND_IDMAP])
{
	unsigned i, n = 0;
	for (i = 0; i < s->n_bind_idmap; i++)
		if (s->bind_idmap[i].gid == gid && strcmp(s->bind_idmap[i].dst, m->dst) == 0)
			out[n++] = s->bind_idmap[i].r;
	return n;
}

/* A user namespace fd carrying the bind's map (see the top of this file). */
static int map_userns(const struct spec *s, const struct mount_step *m)
{
	struct id_range lines[WIRE_MAX_BIND_IDMAP];
	char path[64], byte = 0;
	int ready[2], hold[2], proc_fd, ns;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
		die(EXIT_SETUP, "bind-idmap", errno, "%s: pipes", m->dst);
	if ((pid = fork()) < 0)
		die(EXIT_SETUP, "bind-idmap", errno, "%s: fork the map helper", m->dst);
	if (pid == 0) {
		/* The helper: a user namespace of its own, then wait until the parent closes hold. */
		close(ready[0]);
		close(hold[1]);
		byte = unshare(CLONE_NEWUSER) < 0 ? 1 : 0;
		if (write(ready[1], &byte, 1) != 1 || byte)
			_exit(1);
		while (read(hold[0], &byte, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &byte, 1) != 1 || byte)
		die(EXIT_SETUP, "bind-idmap", byte ? EPERM : EIO, "%s: the map helper could not make a user namespace", m->dst);
	close(ready[0]);
	if ((proc_fd = openat(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "bind-idmap", errno, "open /proc");
	/* setgroups stays "allow": the namespace is only a map, nothing ever runs in it. */
	ids_write_map(proc_fd, pid, "uid_map", lines, lines_of(s, m, 0, lines));
	ids_write_map(proc_fd, pid, "gid_map", lines, lines_of(s, m, 1, lines));
	snprintf(path, sizeof path, "%d/ns/user", (int)pid);
	if ((ns = openat(proc_fd, path, O_RDONLY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "bind-idmap", errno, "open /proc/%s", path);
	close(proc_fd);
	close(hold[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return ns;
}

static void prepare_one(const struct spec *s, struct mount_step *m)
{
	struct k_mount_attr attr = {0};
	char fs[32];
	int root, src, tree, ns, err;

	/* The source is resolved in the caller's mount tree, which the child's /oldroot is a copy
	 * of, and without following any symlink: this runs as host root, and the sandbox may write
	 * a directory on SRC's way (SRC nested in another of its binds). A symlink planted there
	 * would have root clone, and hand the sandbox the on-disk ids of, whatever it names. */
	if ((root = openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "bind", errno, "open /");
	src = path_open_strict(root, m->src, O_PATH);
	err = errno;
	close(root);
	if (src < 0) {
		if (err == ENOENT && (m->flags & BIND_OPTIONAL))
			return;
		if (err == ELOOP)
			die(EXIT_SETUP, "bind", err, "%s -> %s: a symlink on the way; an idmapped bind gives its ids "
			    "away, so give the real path", m->src, m->dst);
		die(EXIT_SETUP, "bind", err, "%s -> %s", m->src, m->dst);
	}
	tree = k_open_tree(src, "", OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0)
		die(EXIT_SETUP, "bind", errno, "%s -> %s", m->src, m->dst);
	close(src);
	ns = map_userns(s, m);
	attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID;
	if (m->flags & BIND_RO)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (!(m->flags & BIND_DEV))
		attr.attr_set |= MOUNT_ATTR_NODEV;
	attr.userns_fd = (uint64_t)ns;
	if (k_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0) {
		err = errno;
		/* EINVAL: the file system (or one mounted below SRC) has no FS_ALLOW_IDMAP. */
		if (err == EINVAL)
			die(EXIT_SETUP, "bind", err, "%s -> %s: %s (or a file system mounted below it) "
			    "does not support idmapped mounts; use --state %s instead", m->src, m->dst,
			    fs_name(tree, fs), m->src);
		die(EXIT_SETUP, "bind", err, "%s -> %s: idmap", m->src, m->dst);
	}
	close(ns);
	m->idmap_tree = tree;
}

void idmap_prepare(struct spec *s)
{
	unsigned i;
	for (i = 0; i < s->n_steps; i++)
		if (s->steps[i].kind == STEP_BIND && (s->steps[i].flags & BIND_IDMAP))
			prepare_one(s, &s->steps[i]);
}

/* After the clone the trees are the child's to attach; the supervisor keeps none. */
void idmap_close(const struct spec *s)
{
	unsigned i;
	for (i = 0; i < s->n_steps; i++)
		if (s->steps[i].idmap_tree > 0)
			close(s->steps[i].idmap_tree);
}
