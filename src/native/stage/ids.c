/* ids.c: the id maps of a new user namespace, written by the supervisor from outside (as
 * newuidmap does), and the child taking inside-root before it builds the sandbox. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* user_namespaces(7): each map file is written once, in a single write(2), shorter than a
 * page (wire-check.c guarantees it fits). A short write is an error, not a retry. */
static void write_proc(int proc_fd, pid_t pid, const char *name, const char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;
	snprintf(path, sizeof path, "%d/%s", (int)pid, name);
	if ((fd = openat(proc_fd, path, O_WRONLY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, name, errno, "open /proc/%s", path);
	n = write(fd, buf, len);
	if (n != (ssize_t)len)
		die(EXIT_SETUP, name, n < 0 ? errno : EIO, "write /proc/%s", path);
	close(fd);
}

void ids_write_map(int proc_fd, pid_t pid, const char *name, const struct id_range *m, unsigned n)
{
	/* Not on the stack: the supervisor writes the maps after the clone, when every stack
	 * page it reaches is a copy-on-write fault (10-15 us on a 2-CPU VM); one static page
	 * costs one fault, and only this page of the stage's static data holds it. */
	static char buf[4096];
	size_t len = 0;
	unsigned i;
	for (i = 0; i < n; i++) {
		int w = snprintf(buf + len, sizeof buf - len, "%u %u %u\n", m[i].inside, m[i].outside,
				 m[i].count);
		if (w < 0 || (size_t)w >= sizeof buf - len)
			die(EXIT_SETUP, name, E2BIG, "map longer than a page");
		len += (size_t)w;
	}
	write_proc(proc_fd, pid, name, buf, len);
}

/* setgroups goes first: an unprivileged writer may only write gid_map once setgroups is
 * "deny" (CVE-2014-8989: dropping groups could otherwise grant access). */
void ids_write_maps(const struct spec *s, int proc_fd, pid_t child)
{
	if (s->setgroups == SETGROUPS_ALLOW)
		write_proc(proc_fd, child, "setgroups", "allow", 5);
	else if (s->setgroups == SETGROUPS_DENY)
		write_proc(proc_fd, child, "setgroups", "deny", 4);
	ids_write_map(proc_fd, child, "uid_map", s->uidmap, s->n_uidmap);
	ids_write_map(proc_fd, child, "gid_map", s->gidmap, s->n_gidmap);
}

static int maps_zero(const struct id_range *m, unsigned n)
{
	unsigned i;
	for (i = 0; i < n; i++)
		if (m[i].inside == 0)
			return 1;
	return 0;
}

/* The child already holds every capability in its new user namespace, but under its outside
 * ids; becoming inside-root makes the files and mounts it creates owned by root inside. The
 * payload's own ids are applied at the very end (caps.c). Host groups carried in (shown as
 * nobody) are dropped when setgroups is allowed. */
void ids_become_root(const struct spec *s)
{
	if (s->setgroups != SETGROUPS_DENY && k_setgroups0() < 0)
		die(EXIT_SETUP, "setgroups", errno, "clear supplementary groups");
	if (maps_zero(s->gidmap, s->n_gidmap) && k_setresgid(0) < 0)
		die(EXIT_SETUP, "setresgid", errno, "0");
	if (maps_zero(s->uidmap, s->n_uidmap) && k_setresuid(0) < 0)
		die(EXIT_SETUP, "setresuid", errno, "0");
}
