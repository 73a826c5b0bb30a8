/* persist.c: persist mode: namespaces that outlive every process. The child builds them and
 * stops; the supervisor bind-mounts their nsfs files on DIR/KIND and persist-link paths, which
 * keeps them alive (namespaces(7), "Namespace lifetime"), then kills the child. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct target {
	enum ns_kind kind;
	int fd, tree;      /* the file bound onto (O_PATH); the nsfs mount once attached */
	const char *path;  /* for messages */
};
static struct target targets[NS_COUNT + WIRE_MAX_PERSIST_LINK];
static unsigned n_targets;
static int proc_fd = -1;
static int binder_mnt = -1; /* the supervisor's mount namespace, for persist_order_mnt_ns */

/* O_PATH|O_NOFOLLOW: a symlink planted at a target is refused, not followed to wherever it
 * points. An empty regular file is what nsbox creates; anything else is not ours to cover. */
static void add_target(enum ns_kind kind, int at, const char *name, const char *path)
{
	struct target *t = &targets[n_targets];
	struct stat st;
	t->kind = kind;
	t->tree = -1;
	t->path = arena_keep(path);
	if ((t->fd = openat(at, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "persist", errno, "%s (nsbox creates it, empty, before the run)", path);
	if (fstat(t->fd, &st) < 0)
		die(EXIT_SETUP, "persist", errno, "%s", path);
	if (!S_ISREG(st.st_mode) || st.st_size != 0)
		die(EXIT_SETUP, "persist", 0, "%s must be an empty regular file", path);
	n_targets++;
}

/* Everything is opened before any join and before the clone, in the caller's namespaces. */
void persist_open(const struct spec *s)
{
	char path[WIRE_MAX_PATH + 16];
	unsigned i;
	int dir, k;
	if (!s->persist)
		return;
	if ((proc_fd = openat(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "persist", errno, "open /proc");
	if ((s->clone_flags & CLONE_NEWNS) &&
	    (binder_mnt = openat(AT_FDCWD, "/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "persist", errno, "open /proc/self/ns/mnt");
	if ((dir = openat(AT_FDCWD, s->persist, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "persist", errno, "%s", s->persist);
	for (k = 0; k < NS_COUNT; k++) {
		if (!(s->clone_flags & ns_kinds[k].flag))
			continue;
		snprintf(path, sizeof path, "%s/%s", s->persist, ns_kinds[k].name);
		add_target((enum ns_kind)k, dir, ns_kinds[k].name, path);
	}
	close(dir);
	for (i = 0; i < s->n_persist_link; i++)
		add_target(s->persist_link[i].kind, AT_FDCWD, s->persist_link[i].path, s->persist_link[i].path);
}

/* In the child: binder_mnt stays open for persist_order_mnt_ns, which closes it. */
void persist_close(void)
{
	unsigned i;
	for (i = 0; i < n_targets; i++)
		close(targets[i].fd);
	if (proc_fd >= 0)
		close(proc_fd);
}

static int mnt_ns_id(int fd, uint64_t *id)
{
	return ioctl(fd, K_NS_GET_MNTNS_ID, id);
}

/* The child's own mount namespace id, through a fresh fd (it changes with each unshare). */
static int own_mnt_ns_id(uint64_t *id)
{
	int fd = openat(AT_FDCWD, "/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC), r;
	if (fd < 0)
		return -1;
	r = mnt_ns_id(fd, id);
	close(fd);
	return r;
}

/* The kernel refuses to bind a mount namespace's file from a mount namespace whose id is not
 * lower (fs/namespace.c mnt_ns_loop: an id order stands in for "created before", so no
 * namespace can end up holding itself). Since Linux 6.18 those ids come from per-CPU batches,
 * so a namespace made later on another CPU may get a lower id, and the bind fails with ELOOP
 * or EINVAL now and then (snapd hit the same: canonical/snapd#17376). The child, before it
 * builds anything, checks its id against the supervisor's; if it is not above, it unshares a
 * fresh mount namespace on each CPU it may run on in turn until one is: the CPU that handed out
 * the supervisor's id has moved past it. Without NS_GET_MNTNS_ID (before 6.8) ids were one
 * global counter and there is nothing to do. */
void persist_order_mnt_ns(void)
{
	cpu_set_t allowed, one;
	uint64_t binder, own;
	int cpu, ok;
	if (binder_mnt < 0)
		return;
	ok = mnt_ns_id(binder_mnt, &binder) < 0 || (own_mnt_ns_id(&own) == 0 && own > binder);
	close(binder_mnt);
	binder_mnt = -1;
	if (ok)
		return;
	if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
		die(EXIT_SETUP, "persist", errno, "sched_getaffinity");
	for (cpu = 0; cpu < CPU_SETSIZE && !ok; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one) < 0)
			continue;
		if (unshare(CLONE_NEWNS) < 0)
			die(EXIT_SETUP, "persist", errno, "unshare a mount namespace on CPU %d", cpu);
		ok = own_mnt_ns_id(&own) == 0 && own > binder;
	}
	if (sched_setaffinity(0, sizeof allowed, &allowed) < 0)
		die(EXIT_SETUP, "persist", errno, "sched_setaffinity");
	if (!ok)
		die(EXIT_SETUP, "persist", 0, "no CPU gave a mount namespace id above the supervisor's (%llu): "
		    "the kernel would refuse to keep it", (unsigned long long)binder);
}

/* The child, once its setup is complete: EOF on the error pipe tells the supervisor so (as a
 * successful execve does), then it stops until the supervisor has bound its namespaces and
 * kills it. It never runs anything else; a stray SIGCONT only lands it in pause(). */
_Noreturn void persist_stop(void)
{
	close(stage_fds.error_w);
	report_use_pipe(-1);
	/* kill(getpid()), not raise(): musl's raise() signals the thread id it cached, and a
	 * child made by a raw clone3 still carries its parent's, so raise() would stop the
	 * supervisor instead. */
	kill(getpid(), SIGSTOP);
	for (;;)
		pause();
}

/* umount2(2) takes a path: /proc/self/fd/N of the attached mount's fd names exactly that
 * mount, whatever has been mounted around it since. */
static void undo(unsigned done)
{
	char self[40];
	unsigned i;
	for (i = 0; i < done; i++) {
		snprintf(self, sizeof self, "/proc/self/fd/%d", targets[i].tree);
		if (umount2(self, MNT_DETACH) < 0)
			warn("persist", errno, "undo the bind on %s", targets[i].path);
	}
}

static const char *bind_hint(enum ns_kind kind, int err)
{
	/* do_move_mount refuses an nsfs file of a mount namespace where the mount could
	 * propagate into that namespace (a reference loop the kernel could never free): EINVAL
	 * from copy_tree for a shared mount, ELOOP from mnt_ns_loop. */
	if (kind == NS_MNT && (err == EINVAL || err == ELOOP))
		return ": a mount namespace can only be kept on a mount with private propagation "
		       "(mount --make-private on the directory's mount)";
	return "";
}

/* Waits for the child to stop (setup done), binds every target, kills the child. Returns only
 * when all binds are made; on any failure undoes them and dies (which kills the child). */
void persist_bind(pid_t child)
{
	char src[48];
	unsigned i;
	int status;
	while (waitpid(child, &status, WUNTRACED) < 0)
		if (errno != EINTR)
			die(EXIT_SETUP, "wait", errno, "child %d", (int)child);
	if (!WIFSTOPPED(status)) {
		report_kill_on_die(0); /* reaped: its pid may be reused */
		die(EXIT_SETUP, "persist", 0, "the child ended (%s %d) before it stopped",
		    WIFSIGNALED(status) ? "signal" : "status",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	for (i = 0; i < n_targets; i++) {
		struct target *t = &targets[i];
		/* The child unshared its time namespace (ns.c): only its children enter it, so
		 * its own is time_for_children. */
		const char *name = t->kind == NS_TIME ? "time_for_children" : ns_kinds[t->kind].name;
		int err;
		snprintf(src, sizeof src, "%d/ns/%s", (int)child, name);
		t->tree = k_open_tree(proc_fd, src, OPEN_TREE_CLONE | O_CLOEXEC);
		if (t->tree >= 0 && attach(t->tree, t->fd) == 0)
			continue;
		err = errno;
		undo(i);
		die(EXIT_SETUP, "persist", err, "%s -> %s%s", ns_kinds[t->kind].name, t->path,
		    bind_hint(t->kind, err));
	}
	for (i = 0; i < n_targets; i++)
		close(targets[i].tree);
	kill(child, SIGKILL);
}
