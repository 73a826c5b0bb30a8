/* cgroup.c: the cgroups the sandbox starts in: the v2 `cgroup` to clone into (ns.c), and v1
 * `cgroup-join` directories the supervisor moves the child into while it still waits on the
 * sync pipe. Either way the child never runs a step outside its limits. */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int v2_fd = -1;
static int procs[WIRE_MAX_CGROUP_JOIN];
static unsigned n_procs;

/* Opened in the caller's namespaces, before any join: a joined mount namespace may not see
 * the cgroup tree, and a joined user namespace may not own it. Returns the v2 directory fd
 * for clone3, or -1. */
int cgroup_open(const struct spec *s)
{
	unsigned i;
	int dir;
	if (s->cgroup && (v2_fd = openat(AT_FDCWD, s->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "cgroup", errno, "%s", s->cgroup);
	for (i = 0; i < s->n_cgroup_join; i++) {
		const char *path = s->cgroup_join[i];
		if ((dir = openat(AT_FDCWD, path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			die(EXIT_SETUP, "cgroup", errno, "%s", path);
		/* O_NOFOLLOW: cgroupfs has no symlinks; one here is not a cgroup. */
		if ((procs[i] = openat(dir, "cgroup.procs", O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			die(EXIT_SETUP, "cgroup", errno, "%s/cgroup.procs", path);
		close(dir);
		n_procs = i + 1;
	}
	return v2_fd;
}

/* Writing a pid to cgroup.procs moves the whole process (cgroups(7)). The pid is read in the
 * writer's PID namespace, which a join does not change (setns(2) only moves later children),
 * so clone's return value is the right one. Runs before the spec buffer goes away: the paths
 * are still there for the message. */
void cgroup_join_child(const struct spec *s, pid_t child)
{
	char pid[24];
	unsigned i;
	int len = snprintf(pid, sizeof pid, "%d", (int)child);
	for (i = 0; i < n_procs; i++) {
		ssize_t n;
		while ((n = write(procs[i], pid, (size_t)len)) < 0 && errno == EINTR)
			;
		if (n != len)
			die(EXIT_SETUP, "cgroup", n < 0 ? errno : EIO, "%s: move the child (pid %s) into it",
			    s->cgroup_join[i], pid);
	}
}

/* The child and, once it is released, the supervisor have no more use for these: the init
 * must not hold host cgroup files for the sandbox's lifetime. */
void cgroup_close(void)
{
	unsigned i;
	/* Written only when they change: after the clone, a write to a page the child shares is a
	 * copy-on-write fault, for a value that is already -1 and 0 in most sandboxes. */
	if (v2_fd >= 0) {
		close(v2_fd);
		v2_fd = -1;
	}
	for (i = 0; i < n_procs; i++)
		close(procs[i]);
	if (n_procs)
		n_procs = 0;
}
