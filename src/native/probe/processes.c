/* processes.c: probes against a host process (the `target`, started by nsbox as the sandbox's
 * own host uid, so only the namespaces stand in the way): see its command line and environment,
 * stop it with a signal, ptrace it. nsbox watches the target's /proc entry during each hold. */
#include "probe.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void read_proc_file(const char *name, const char *arg, const char *file)
{
	char path[64], buf[512];
	long long pid = parse_num(arg);
	struct line l;
	long n;
	if (pid < 0)
		return report_fail(name, "argument", EINVAL);
	snprintf(path, sizeof path, "/proc/%lld/%s", pid, file);
	if ((n = read_file(path, buf, sizeof buf)) < 0)
		return report_fail(name, "open", errno);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_hex(&l, "data", buf, (size_t)n);
	line_emit(&l);
}

void probe_proc_see(const char *name, const char *arg)
{
	read_proc_file(name, arg, "cmdline");
}

void probe_proc_environ(const char *name, const char *arg)
{
	read_proc_file(name, arg, "environ");
}

void probe_signal(const char *name, const char *arg)
{
	long long pid = parse_num(arg);
	struct line l;
	int r, e;
	if (pid < 0)
		return report_fail(name, "argument", EINVAL);
	if (is_own_pid(pid))
		return report_fail(name, "pid-collides-inside", 0);
	/* SIGSTOP, not 0: a stopped process is something the host can see for itself. */
	r = kill((pid_t)pid, SIGSTOP);
	e = errno;
	hold(name, "sent", r == 0);
	if (r < 0)
		return report_fail(name, "kill", e);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_emit(&l);
}

void probe_ptrace(const char *name, const char *arg)
{
	long long pid = parse_num(arg);
	struct timespec pause = {0, 10 * 1000 * 1000};
	struct line l;
	int status, i;
	if (pid < 0)
		return report_fail(name, "argument", EINVAL);
	if (is_own_pid(pid))
		return report_fail(name, "pid-collides-inside", 0);
	if (ptrace(PTRACE_ATTACH, (pid_t)pid, 0, 0) < 0) {
		int e = errno;
		hold(name, "attached", 0);
		return report_fail(name, "attach", e);
	}
	/* Attaching stops the tracee; detaching needs it stopped. Wait up to a second. */
	for (i = 0; i < 100 && waitpid((pid_t)pid, &status, WNOHANG | __WALL) == 0; i++)
		nanosleep(&pause, NULL);
	hold(name, "attached", 1);
	ptrace(PTRACE_DETACH, (pid_t)pid, 0, 0);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_emit(&l);
}

/* `target UID GID TOKEN`: become UID/GID (the sandbox's host ids), stay dumpable (a uid change
 * clears it, and a non-dumpable process is out of reach for reasons that are not the sandbox's),
 * say `ready`, then wait to be killed. nsbox puts TOKEN in its environment; it is in argv too. */
int target_main(int argc, char **argv)
{
	long long uid, gid;
	if (argc < 3 || (uid = parse_num(argv[0])) < 0 || (gid = parse_num(argv[1])) < 0) {
		fprintf(stderr, "usage: nsbox-probe target UID GID TOKEN\n");
		return 2;
	}
	if (getuid() == 0 && setgroups(0, NULL) < 0) {
		perror("nsbox-probe target: setgroups");
		return 1;
	}
	if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0 || setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) {
		perror("nsbox-probe target: set ids");
		return 1;
	}
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		perror("nsbox-probe target: PR_SET_DUMPABLE");
		return 1;
	}
	/* Gone with nsbox, whatever happens to it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		pause();
}
