/* ns.c: namespaces: joining the ones given as paths (in the supervisor, before the clone),
 * creating the child in new ones with clone3, and the two kinds the child must unshare
 * itself (time and cgroup). */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

/* setns(2): joining the user namespace first gives the capabilities needed to join the
 * others (they are owned by it). The mount namespace goes last because joining it changes
 * the root and cwd; all paths were opened before any join, so none resolves in a namespace
 * half-entered. */
static const enum ns_kind join_order[NS_COUNT] = {
	NS_USER, NS_PID, NS_NET, NS_UTS, NS_IPC, NS_CGROUP, NS_TIME, NS_MNT,
};

void ns_join(const struct spec *s)
{
	int fds[NS_COUNT], i;
	for (i = 0; i < NS_COUNT; i++) {
		fds[i] = -1;
		if (s->join[i] && (fds[i] = openat(AT_FDCWD, s->join[i], O_RDONLY | O_CLOEXEC)) < 0)
			die(EXIT_SETUP, "join", errno, "%s %s", ns_kinds[i].name, s->join[i]);
	}
	/* A zone member's network namespace was made on the host by nsbox (core/zone), so it
	 * belongs to the host's user namespace: only the host's capabilities let a process join
	 * it, which a supervisor started by root has until it joins the sandbox's user namespace.
	 * So the network namespace is tried first; where that is refused (EPERM: rootless, it
	 * belongs to the user namespace being joined), it is joined in the order below. */
	if (fds[NS_NET] >= 0 && fds[NS_USER] >= 0 && setns(fds[NS_NET], CLONE_NEWNET) == 0) {
		close(fds[NS_NET]);
		fds[NS_NET] = -1;
	}
	for (i = 0; i < NS_COUNT; i++) {
		enum ns_kind k = join_order[i];
		if (fds[k] < 0)
			continue;
		/* Passing the kind makes the kernel check the file really is that kind of
		 * namespace (EINVAL otherwise): a net path cannot smuggle in a user ns. */
		if (setns(fds[k], (int)ns_kinds[k].flag) < 0)
			die(EXIT_SETUP, "join", errno, "%s %s", ns_kinds[k].name, s->join[k]);
		close(fds[k]);
	}
	/* An ns-fd is a namespace of the caller's choosing handed in for a join through
	 * /proc/self/fd/N (opened above, so already used): closed before the clone, so neither
	 * the init nor the payload ever holds it. */
	for (i = 0; (unsigned)i < s->n_ns_fd; i++)
		close((int)s->ns_fd[i]);
}

/* The child is made by clone3 so it can start inside its cgroup (CLONE_INTO_CGROUP): it
 * never runs a single instruction outside the limits. CLONE_NEWTIME and CLONE_NEWCGROUP
 * are left to the child (ns_unshare_late). Without CLONE_VM this is fork-like: the child
 * returns here on a copy of our stack. */
pid_t ns_clone(const struct spec *s, int cgroup_fd)
{
	uint64_t flags = s->clone_flags & ~(uint64_t)(CLONE_NEWTIME | CLONE_NEWCGROUP);
	struct k_clone_args a = {0};
	long pid;

	a.flags = flags;
	a.exit_signal = SIGCHLD;
	if (cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cgroup_fd;
	}
	pid = k_clone3(&a);
	/* clone(2) is only a fallback for kernels before 5.3, and only when no cgroup was asked
	 * for: silently starting outside the cgroup would escape its limits. */
	if (pid < 0 && errno == ENOSYS && cgroup_fd < 0)
		pid = syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0UL, 0UL, 0UL, 0UL);
	if (pid < 0)
		die(EXIT_SETUP, "clone", errno, "flags 0x%llx%s", (unsigned long long)flags,
		    cgroup_fd >= 0 ? " into cgroup" : "");
	return (pid_t)pid;
}

/* CLONE_NEWTIME: only the children of the caller (and, since Linux 5.8, the caller after its
 * next execve) enter a new time namespace (time_namespaces(7)), so the child unshares it and
 * the payload's exec or fork enters it.
 * CLONE_NEWCGROUP: a cgroup namespace is rooted at the cgroup of the process that creates it.
 * With clone3 the namespaces are copied before CLONE_INTO_CGROUP moves the child, so a clone
 * flag would root it at the supervisor's cgroup; unsharing here roots it at the sandbox's. */
void ns_unshare_late(const struct spec *s)
{
	int flags = (int)(s->clone_flags & (CLONE_NEWTIME | CLONE_NEWCGROUP));
	if (flags && unshare(flags) < 0)
		die(EXIT_SETUP, "unshare", errno, "%s%s", (flags & CLONE_NEWCGROUP) ? "cgroup " : "",
		    (flags & CLONE_NEWTIME) ? "time" : "");
}
