/* on-exit.c: what the supervisor removes once the sandbox is over, whether it ran or its setup
 * failed: on-exit-unlink files (nsbox's state records) and on-exit-rmdir directories (the
 * sandbox's cgroups). Never changes the exit status: a failure is one warning line. */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A path to remove: its parent directory, opened when the run starts, and its last component. */
struct victim {
	const char *path;  /* for messages */
	const char *leaf;
	int dir;           /* -1: the parent was missing at the start (ENOENT: nothing to remove) */
	int err;           /* why the parent could not be opened, for the warning */
};
static struct victim unlinks[WIRE_MAX_ON_EXIT], rmdirs[WIRE_MAX_ON_EXIT];
static unsigned n_unlinks, n_rmdirs;

/* The parent is opened now, in the caller's namespaces: after a `join mnt` (an exec into a
 * sandbox) the same path would name a file inside the sandbox. The path is copied because
 * the spec buffer is unmapped once the child is released. */
static void keep(struct victim *v, const char *path)
{
	char parent[WIRE_MAX_PATH + 1];
	const char *slash = strrchr(path, '/');
	size_t plen = slash == path ? 1 : (size_t)(slash - path);
	v->path = arena_keep(path);
	v->leaf = slash[1] ? v->path + (slash + 1 - path) : ".";
	memcpy(parent, path, plen);
	parent[plen] = 0;
	v->dir = openat(AT_FDCWD, parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	v->err = v->dir < 0 ? errno : 0;
}

void on_exit_init(const struct spec *s)
{
	unsigned i;
	for (i = 0; i < s->n_on_exit_unlink; i++)
		keep(&unlinks[i], s->on_exit_unlink[i]);
	for (i = 0; i < s->n_on_exit_rmdir; i++)
		keep(&rmdirs[i], s->on_exit_rmdir[i]);
	n_unlinks = s->n_on_exit_unlink;
	n_rmdirs = s->n_on_exit_rmdir;
}

/* The child has no use for the parents: the init must not hold host directories. */
void on_exit_close(void)
{
	unsigned i;
	for (i = 0; i < n_unlinks; i++)
		if (unlinks[i].dir >= 0)
			close(unlinks[i].dir);
	for (i = 0; i < n_rmdirs; i++)
		if (rmdirs[i].dir >= 0)
			close(rmdirs[i].dir);
	n_unlinks = n_rmdirs = 0;
}

/* A cgroup directory can only be removed once it has no task left (rmdir(2) on cgroupfs:
 * EBUSY). The child is reaped by now, but the kernel unlinks an exiting task from its cgroups
 * a little after its parent can see it gone, and the sandbox's last processes may still be
 * exiting: retry for about 200 ms, then leave it to `nsbox gc`. */
static int remove_one(const struct victim *v, int flags)
{
	struct timespec ten_ms = {0, 10 * 1000 * 1000};
	int tries = 20;
	if (v->dir < 0) {
		errno = v->err;
		return -1;
	}
	while (unlinkat(v->dir, v->leaf, flags) < 0) {
		if (errno != EBUSY || !(flags & AT_REMOVEDIR) || --tries == 0)
			return -1;
		nanosleep(&ten_ms, NULL);
	}
	return 0;
}

void on_exit_run(void)
{
	unsigned i;
	/* Once: die() may run the exit actions after supervisor_exit already did. */
	for (i = 0; i < n_unlinks; i++)
		if (remove_one(&unlinks[i], 0) < 0 && errno != ENOENT)
			warn("on-exit-unlink", errno, "%s", unlinks[i].path);
	/* Files first: a record may live in a directory that is removed after it. */
	for (i = 0; i < n_rmdirs; i++)
		if (remove_one(&rmdirs[i], AT_REMOVEDIR) < 0 && errno != ENOENT)
			warn("on-exit-rmdir", errno, "%s", rmdirs[i].path);
	n_unlinks = n_rmdirs = 0;
}
