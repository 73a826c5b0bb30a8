/* mount.c: the sandbox's file system tree: the propagation of `/` in the new mount namespace,
 * a staging tmpfs that holds the host root (/oldroot) and the new root (/newroot) while the
 * steps run, and the final pivot_root that leaves only the new root reachable. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether the mount holding fd is shared: a "shared:N" tag among the optional fields of its
 * mountinfo line, which end at " - " (proc(5)). Read as a stream, one byte at a time, never as
 * whole lines: a line holds two paths with every space escaped to 4 bytes (\040), so it can be
 * longer than any fixed buffer, and a line cut short could be read from its middle. */
static int mount_is_shared(int fd)
{
	static const char tag[] = " shared:", end[] = " - ";
	enum { AT_ID, OURS, OTHER } at = AT_ID;
	struct k_statx sx;
	char buf[4096], id[24], tail[sizeof tag - 1];
	size_t idlen, col = 0;
	int mi, found = -1, err = ENOENT;

	if (k_statx(fd, "", AT_EMPTY_PATH, K_STATX_MNT_ID, &sx) < 0)
		return -1;
	idlen = (size_t)snprintf(id, sizeof id, "%llu ", (unsigned long long)sx.mnt_id);
	if ((mi = openat(AT_FDCWD, "/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (found < 0) {
		ssize_t n = read(mi, buf, sizeof buf), i;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		if (n <= 0)
			break;
		for (i = 0; i < n && found < 0; i++) {
			char c = buf[i];
			if (c == '\n') {
				at = AT_ID; /* our line without " - " is malformed: found stays -1 */
				col = 0;
			} else if (at == AT_ID) {
				at = c != id[col] ? OTHER : ++col == idlen ? OURS : AT_ID;
				memset(tail, 0, sizeof tail);
			} else if (at == OURS) {
				memmove(tail, tail + 1, sizeof tail - 1);
				tail[sizeof tail - 1] = c;
				if (memcmp(tail, tag, sizeof tail) == 0)
					found = 1;
				else if (memcmp(tail + sizeof tail - (sizeof end - 1), end, sizeof end - 1) == 0)
					found = 0;
			}
		}
	}
	close(mi);
	if (found < 0)
		errno = err;
	return found;
}

/* mount_namespaces(7): a new mount namespace starts with copies of the host's mounts in the
 * host's peer groups, so a mount made here could appear on the host. slave: host mounts
 * still propagate in, nothing propagates out (bubblewrap's choice). shared is done as
 * slave now and shared again once the new root is built (see finish()): the sandbox's
 * mounts must never reach the host, or the staging tmpfs and every mount under it would. */
static void set_propagation(const struct spec *s)
{
	unsigned long f = s->propagation == PROP_PRIVATE ? MS_PRIVATE : MS_SLAVE;
	if (s->propagation == PROP_UNCHANGED)
		return;
	if (mount(NULL, "/", NULL, MS_REC | f, NULL) < 0)
		die(EXIT_SETUP, "propagation", errno, "/");
}

/* The staging root is a tmpfs attached over an existing directory of the host tree (in this
 * mount namespace only), like bubblewrap's /tmp: pivot_root needs new_root to be a mount in
 * our namespace. pivot_root moves it away from that directory again, so sources under it
 * stay reachable at /oldroot. */
static void enter_staging(const struct spec *s)
{
	static const char *const points[] = {"/tmp", "/run", "/mnt"};
	const char *kv[] = {"mode", "0700", NULL, NULL};
	const char *root_kv[] = {"mode", "0755", NULL, NULL};
	unsigned i;
	int st, at = -1, nr, nrdir;

	for (i = 0; i < sizeof points / sizeof points[0] && at < 0; i++)
		at = openat(AT_FDCWD, points[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (at < 0)
		die(EXIT_SETUP, "staging", errno, "none of /tmp /run /mnt to stage the new root on");
	if (s->propagation == PROP_UNCHANGED) {
		/* Both the mount the staging lands on and / (which binds of / are cloned from,
		 * and other steps mount onto) must be unshared, or mounts leak to the host. */
		int root = openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		int shared = root < 0 ? -1 : mount_is_shared(root);
		if (shared == 0)
			shared = mount_is_shared(at);
		if (shared < 0)
			die(EXIT_SETUP, "propagation", errno, "unchanged: cannot tell if / or %s is shared",
			    points[i - 1]);
		if (shared)
			die(EXIT_SETUP, "propagation", 0,
			    "unchanged: / or %s is a shared mount, so the sandbox's mounts would appear on "
			    "the host (use slave or private)", points[i - 1]);
		close(root);
	}
	if ((st = fs_new("tmpfs", kv, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0 ||
	    mkdirat(st, "newroot", 0755) < 0 || mkdirat(st, "oldroot", 0755) < 0 || attach(st, at) < 0)
		die(EXIT_SETUP, "staging", errno, "tmpfs on %s", points[i - 1]);
	close(at);
	/* pivot_root(2): new_root "." (the staging mount, via fchdir on its fd) becomes /, the
	 * host root moves to ./oldroot. */
	if (fchdir(st) < 0 || k_pivot_root(".", "oldroot") < 0 || chdir("/") < 0)
		die(EXIT_SETUP, "pivot_root", errno, "staging");
	close(st);
	/* The sandbox's own root: a tmpfs, so a spec without a bind on / gets an empty tree
	 * rather than the staging area. */
	if ((nr = fs_new("tmpfs", root_kv, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0 ||
	    (nrdir = openat(AT_FDCWD, "/newroot", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    attach(nr, nrdir) < 0)
		die(EXIT_SETUP, "staging", errno, "tmpfs on /newroot");
	close(nrdir);
	close(nr);
}

/* Leave only the new root: pivot_root(".", ".") stacks the staging root, with the host tree
 * still mounted on its ./oldroot, on top of the new root, where one umount2(MNT_DETACH)
 * detaches both (the trick documented in pivot_root(2); a detach takes every mount below the
 * one named along, umount(2)). One detach, not two: each ends in a synchronize_rcu_expedited
 * (fs/namespace.c namespace_unlock), measured at 0.1-0.7 ms and now and then several ms on a
 * busy 2-CPU VM. */
static void finish(const struct spec *s)
{
	/* An unmount propagates to the peers of the parent mount: with `unchanged`, detaching
	 * a host tree that still has shared mounts (/run/netns/NAME...) would unmount them on
	 * the host too. Made private first, the old tree goes away alone. */
	if (mount(NULL, "/oldroot", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die(EXIT_SETUP, "pivot_root", errno, "make the old root private");
	if (chdir("/newroot") < 0 || k_pivot_root(".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		die(EXIT_SETUP, "pivot_root", errno, "/newroot");
	/* pivot_root refuses shared mounts, so `shared` is applied last, to the new tree only:
	 * the sandbox's mounts become peers among the sandbox's own mount namespaces. */
	if (s->propagation == PROP_SHARED && mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		die(EXIT_SETUP, "propagation", errno, "shared /");
}

/* The new root's own tmpfs becomes read-only once every step ran, so the payload cannot add
 * files beside what was planned. Only that one mount (no AT_RECURSIVE): a recursive pass would
 * freeze the writable binds and tmpfs mounted under it. Under `--root host` the bind of / sits
 * on top and is read-only already; the flag then lands on that bind, which changes nothing. */
static void make_root_readonly(void)
{
	struct k_mount_attr attr = {0};
	int fd = openat(AT_FDCWD, "/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
	attr.attr_set = MOUNT_ATTR_RDONLY;
	if (fd < 0 || k_mount_setattr(fd, "", AT_EMPTY_PATH, &attr) < 0)
		die(EXIT_SETUP, "staging", errno, "make /newroot read-only");
	close(fd);
}

void mount_build_root(const struct spec *s)
{
	unsigned i;
	int oldroot, newroot;

	set_propagation(s);
	/* No steps: a private view of the host's tree (like unshare -m), no new root. */
	if (!s->n_steps)
		return;
	enter_staging(s);
	if ((oldroot = openat(AT_FDCWD, "/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "staging", errno, "open /oldroot");
	for (i = 0, newroot = -1; i < s->n_steps; i++) {
		/* Reopened after a step whose destination is / itself (bind / /, a tmpfs on /): an
		 * fd keeps pointing at the covered mount, where nothing would be seen. Any other
		 * step mounts below the new root's top mount, which the same fd still reaches. */
		if (newroot < 0 && (newroot = openat(AT_FDCWD, "/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			die(EXIT_SETUP, "staging", errno, "open /newroot");
		step_progress(s, i);
		step_run(&s->steps[i], oldroot, newroot);
		if (strcmp(s->steps[i].dst, "/") == 0) {
			close(newroot);
			newroot = -1;
		}
	}
	if (newroot >= 0)
		close(newroot);
	close(oldroot);
	make_root_readonly();
	finish(s);
}
