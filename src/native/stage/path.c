/* path.c: resolving WIRE paths under a root directory fd, and creating what is missing, with
 * no way out of that root: every lookup is openat2(RESOLVE_IN_ROOT), so "..", absolute
 * symlinks and magic links cannot leave the tree being built. */
#include "kernel.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A symlink inside a bind-mounted directory can be swapped by a host process while the stage
 * works in it (runc CVE-2021-30465, the symlink-exchange race). Resolving each path afresh
 * from the root fd with RESOLVE_IN_ROOT keeps even a swapped link inside the root, and
 * RESOLVE_NO_MAGICLINKS refuses /proc/self/... style jumps to other trees. */
int path_open(int root, const char *abs, int flags)
{
	struct k_open_how how = {0};
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	/* WIRE paths are absolute and canonical (wire.c): drop the leading '/'. */
	return k_openat2(root, abs[1] ? abs + 1 : ".", &how);
}

/* For paths whose mount must land exactly there (mask, remount-ro): no symlink at all, not even
 * one that stays inside the root. A masked path swapped for a symlink would otherwise redirect
 * the mask onto its target (runc CVE-2025-31133). With O_PATH|O_NOFOLLOW a symlink as the last
 * component is opened itself (openat2(2)), for the caller to refuse. */
int path_open_strict(int root, const char *abs, int flags)
{
	struct k_open_how how = {0};
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	return k_openat2(root, abs[1] ? abs + 1 : ".", &how);
}

/* Opens the parent directory of abs, creating missing ancestors (0755) one component at a
 * time; each component is re-resolved from root, and mkdirat never follows a symlink, so a
 * dangling link is an error instead of a directory created somewhere else. The parent of a
 * top-level path is root itself, returned as it is, not opened again: callers close what they
 * get only when it is not root (path_parent_close). */
int path_parent(int root, const char *abs, char leaf[256])
{
	char buf[WIRE_MAX_PATH + 1];
	size_t len = strlen(abs), i, last;
	int fd;

	if (len > WIRE_MAX_PATH || len < 2) {
		errno = len < 2 ? EEXIST : ENAMETOOLONG; /* "/" has no parent to create it in */
		return -1;
	}
	memcpy(buf, abs, len + 1);
	for (last = len; buf[last - 1] != '/'; last--)
		;
	if (len - last > 255) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(leaf, buf + last, len - last + 1);
	fd = root;
	for (i = 1; i < last; i++) {
		int next;
		if (buf[i] != '/')
			continue;
		buf[i] = 0;
		next = path_open(root, buf, O_PATH | O_DIRECTORY);
		if (next < 0 && errno == ENOENT) {
			/* fd is the directory of the previous prefix; create the component in it. */
			const char *name = strrchr(buf, '/') + 1;
			if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST) {
				path_parent_close(root, fd);
				return -1;
			}
			next = path_open(root, buf, O_PATH | O_DIRECTORY);
		}
		buf[i] = '/';
		path_parent_close(root, fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	return fd;
}

void path_parent_close(int root, int parent)
{
	int err = errno;
	if (parent != root)
		close(parent);
	errno = err;
}

/* The mount point abs itself, never what a symlink there leads to: a symlink as the last
 * component fails with ELOOP (a mount "at /bin" of the os root would otherwise land on
 * /usr/bin). Symlinks on the way are followed, inside the root. */
static int open_mountpoint(int root, const char *abs)
{
	struct stat st;
	int fd = path_open(root, abs, O_PATH | O_NOFOLLOW);
	if (fd < 0 || (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode)))
		return fd;
	close(fd);
	errno = ELOOP;
	return -1;
}

/* Opens the mount point abs (O_PATH), creating it when missing: an empty directory for a
 * directory source, an empty file for a file source (a bind must land on the same type). */
int path_mountpoint(int root, const char *abs, int is_dir)
{
	char leaf[256];
	int fd = open_mountpoint(root, abs), parent, r, err;
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if ((parent = path_parent(root, abs, leaf)) < 0)
		return -1;
	if (is_dir && (r = mkdirat(parent, leaf, 0755)) == 0) {
		/* Made just now: opened from its parent, not walked again from the root. If it was
		 * swapped for a symlink meanwhile (a bind of a host directory can be written from
		 * the host), O_NOFOLLOW|O_DIRECTORY fails the open instead of following it. Two
		 * system calls less than open_mountpoint. */
		fd = openat(parent, leaf, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		path_parent_close(root, parent);
		return fd;
	}
	if (!is_dir && (r = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444)) >= 0)
		r = close(r);
	err = errno;
	path_parent_close(root, parent);
	if (r < 0 && err != EEXIST) {
		errno = err;
		return -1;
	}
	return open_mountpoint(root, abs);
}
