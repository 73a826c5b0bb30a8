/* run.c: a decoded spec run: the supervisor's steps (stage_run), then the child's (child). The
 * order is the design's (DESIGN.md section 2); each module says why its own steps are what they
 * are. Reached from main.c (--spec-fd, --plan) and front.c (the front). */
#include "kernel.h"
#include "report.h"
#include "stage.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* The child: PID 1 of the new namespaces (or the payload's parent when init is 0). */
static _Noreturn void child(const struct spec *s, int err[2], int sync[2], int proc_fd)
{
	char byte;
	ssize_t n;

	report_use_pipe(err[1]);
	report_at_exit(NULL); /* the exit actions are the supervisor's alone */
	stage_fds.error_w = err[1];
	stage_fds.lifeline = sync[0];
	/* Only the supervisor may hold the sync write end: EOF on it must mean it died. The
	 * host /proc, cgroup, watched, persist and on-exit files and the published listeners are
	 * the supervisor's: the init must not keep them for the sandbox's lifetime. */
	close(err[0]);
	close(sync[1]);
	if (proc_fd >= 0)
		close(proc_fd);
	cgroup_close();
	watch_close();
	persist_close();
	publish_close();
	on_exit_close();
	output_log_child();
	/* Killing the supervisor, even with SIGKILL, kills the whole sandbox. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die(EXIT_SETUP, "lifeline", errno, "PR_SET_PDEATHSIG");
	/* Wait until the supervisor wrote our id maps and cgroups; EOF: it died or gave up. */
	while ((n = read(sync[0], &byte, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(EXIT_SETUP);
	trace("child released");
	if (s->clone_flags & CLONE_NEWUSER) {
		ids_become_root(s);
		tie_to_supervisor();
	}
	ns_unshare_late(s);
	/* Before anything is built in it: a mount namespace to be kept may need replacing. */
	if (s->persist)
		persist_order_mnt_ns();
	/* umask 0 while building: modes in the spec are meant exactly. */
	stage_fds.umask = umask(0);
	if (s->clone_flags & CLONE_NEWNS) {
		mount_build_root(s);
		trace("root built");
	}
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		die(EXIT_SETUP, "hostname", errno, "%s", s->hostname);
	if (s->lo_up)
		net_lo_up();
	/* Last of the sandbox's setup: /proc is the sandbox's own now, and the capabilities
	 * that writing needs are still held. */
	sysctl_apply(s);
	trace("child set up");
	if (s->persist)
		persist_stop();
	if (s->init)
		init_run(s);
	payload_exec(s);
}

void stage_fill_stdio(void)
{
	int fd;
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && openat(AT_FDCWD, "/dev/null", O_RDWR) != fd)
			die(EXIT_SETUP, "stdio", errno, "fd %d", fd);
}

/* fds the spec names must be open when the stage starts: anything else is a caller's bug. */
static void check_fds(const struct spec *s)
{
	unsigned i;
	for (i = 0; i < s->n_keep_fd; i++)
		if (fcntl((int)s->keep_fd[i], F_GETFD) < 0)
			die(EXIT_SETUP, "keep-fd", errno, "%u", s->keep_fd[i]);
	for (i = 0; i < s->n_ns_fd; i++)
		if (fcntl((int)s->ns_fd[i], F_GETFD) < 0)
			die(EXIT_SETUP, "ns-fd", errno, "%u", s->ns_fd[i]);
	for (i = 0; i < s->n_pass_fd; i++)
		if (fcntl((int)s->pass_fd[i], F_GETFD) < 0)
			die(EXIT_SETUP, "pass-fd", errno, "%u", s->pass_fd[i]);
	for (i = 0; i < s->n_publish; i++)
		if (fcntl((int)s->publish[i].fd, F_GETFD) < 0)
			die(EXIT_SETUP, "publish", errno, "%u", s->publish[i].fd);
	if (s->log_name && fcntl((int)s->log_dir, F_GETFD) < 0)
		die(EXIT_SETUP, "log", errno, "%u", s->log_dir);
}

/* The supervisor: everything before the clone, then the id maps, then supervising. */
_Noreturn void stage_run(struct spec *s, char *buf, size_t cap)
{
	struct sigaction dfl = {0};
	int err[2], sync[2], proc_fd = -1, cgroup_fd, persist;
	pid_t ppid = getppid(), pid;

	/* The supervisor and the init keep nothing of the spec (what they still need is copied
	 * with arena_keep): its pages and its buffer's go back once the sandbox runs on
	 * (drop-spec.c). Named before the clone: both give back the same. */
	stage_setup_pages(s, buf, cap);
	/* From here every way out removes what on-exit names, setup failures included. */
	on_exit_init(s);
	report_at_exit(supervisor_finish);
	check_fds(s);
	publish_open(s);
	output_log_open(s);
	/* If the caller left SIGCHLD ignored, children would be reaped for us and the exit
	 * status lost (wait(2) NOTES). */
	dfl.sa_handler = SIG_DFL;
	if (sigaction(SIGCHLD, &dfl, NULL) < 0)
		die(EXIT_SETUP, "signals", errno, "SIGCHLD to its default");
	/* Opened in the caller's namespaces, before any join: /proc for the child's id maps,
	 * the cgroups to start in, the watched counters, the files persist binds onto. */
	if ((s->clone_flags & CLONE_NEWUSER) &&
	    (proc_fd = openat(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "uid_map", errno, "open /proc");
	cgroup_fd = cgroup_open(s);
	watch_open(s);
	persist_open(s);
	ns_join(s);
	/* Idmapped binds are made here, with the caller's (host) privileges: see idmap.c. */
	idmap_prepare(s);
	supervisor_block_signals();
	if (s->die_with_parent)
		supervisor_die_with_parent(ppid);
	if (pipe2(err, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0)
		die(EXIT_SETUP, "pipe", errno, "error and sync pipes");
	trace("clone");
	if ((pid = ns_clone(s, cgroup_fd)) == 0)
		child(s, err, sync, proc_fd);
	trace("cloned");
	report_kill_on_die(pid);
	publish_hold(pid, (s->clone_flags & CLONE_NEWUSER) != 0);
	idmap_close(s);
	output_log_release();
	close(err[1]);
	close(sync[0]);
	/* Into the v1 cgroups while the child still waits: it never runs outside its limits. */
	cgroup_join_child(s, pid);
	cgroup_close();
	/* The supervisor does not want to die of a write to a pipe whose reader is gone. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die(EXIT_SETUP, "signals", errno, "ignore SIGPIPE");
	if (s->clone_flags & CLONE_NEWUSER) {
		ids_write_maps(s, proc_fd, pid);
		close(proc_fd);
	}
	trace("id maps written");
	/* The counters' baseline: the last thing before anything of the sandbox runs. */
	watch_arm();
	/* Release the child; the write end stays open as its lifeline. EPIPE: the child failed
	 * before its release, and its report (read by supervisor_wait) says why. */
	if (write(sync[1], "1", 1) != 1 && errno != EPIPE)
		die(EXIT_SETUP, "sync", errno, "release the child");
	/* After the release, while the child builds: the forwarded signals stay blocked (and
	 * pending) until the handlers exist. */
	supervisor_forward_to(pid);
	persist = s->persist != NULL;
	supervisor_wait(pid, err[0], persist);
}
