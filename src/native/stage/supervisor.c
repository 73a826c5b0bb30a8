/* supervisor.c: the stage's own process after the clone: what the caller (shell, cron,
 * systemd) waits on. It forwards signals to the sandbox, prints the one error line if setup
 * failed, and exits with the sandbox's status. Also the tie back from the sandbox to it. */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a caller sends to stop, reload or resize a service. SIGTSTP/TTIN/TTOU are not
 * forwarded: they stop the supervisor itself, as job control expects. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
				SIGUSR2, SIGALRM, SIGWINCH, SIGCONT};
static volatile pid_t child_pid;

static void forward(int sig)
{
	int saved = errno;
	if (child_pid > 0)
		kill(child_pid, sig);
	errno = saved;
}

/* --die-with-parent: the kernel sends the supervisor this on its parent's death (prctl(2)
 * PR_SET_PDEATHSIG). Not SIGKILL: the supervisor must live on to end the sandbox and remove
 * its record, cgroups and on-exit files; a real-time signal, which no caller sends by habit. */
#define PARENT_DEATH_SIGNAL SIGRTMIN

static void parent_died(int sig)
{
	int saved = errno;
	(void)sig;
	if (child_pid > 0)
		kill(child_pid, SIGKILL);
	errno = saved;
}

static void forwarded_set(sigset_t *set)
{
	unsigned i;
	sigemptyset(set);
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, PARENT_DEATH_SIGNAL);
}

/* Called before the clone: a signal arriving before the handlers exist stays pending
 * instead of killing the supervisor with the sandbox half-built. The child inherits the
 * mask; the payload clears it, so a pending SIGTERM still ends the payload. */
void supervisor_block_signals(void)
{
	sigset_t set;
	forwarded_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die(EXIT_SETUP, "signals", errno, "block the forwarded signals");
}

/* Armed after the joins (joining a user namespace changes credentials, which clears it) and
 * after supervisor_block_signals: a parent dying before the handler exists leaves the signal
 * pending, not the supervisor dead with the sandbox half-built. */
void supervisor_die_with_parent(pid_t ppid)
{
	if (prctl(PR_SET_PDEATHSIG, PARENT_DEATH_SIGNAL, 0, 0, 0) < 0)
		die(EXIT_SETUP, "die-with-parent", errno, "PR_SET_PDEATHSIG");
	if (getppid() != ppid)
		die(EXIT_SETUP, "die-with-parent", 0, "the parent already exited");
}

void supervisor_forward_to(pid_t child)
{
	struct sigaction sa = {0};
	sigset_t set;
	unsigned i;
	child_pid = child;
	sa.sa_handler = forward;
	sigfillset(&sa.sa_mask);
	/* No SA_RESTART: reads are retried on EINTR by hand. */
	/* A signal without its handler would kill the supervisor and orphan the sandbox. */
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		if (sigaction(forwarded[i], &sa, NULL) < 0)
			die(EXIT_SETUP, "signals", errno, "forward signal %d", forwarded[i]);
	sa.sa_handler = parent_died;
	if (sigaction(PARENT_DEATH_SIGNAL, &sa, NULL) < 0)
		die(EXIT_SETUP, "signals", errno, "parent-death signal");
	forwarded_set(&set);
	if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0)
		die(EXIT_SETUP, "signals", errno, "unblock the forwarded signals");
}

/* The last thing the supervisor does on every way out once the spec is read (die() too, via
 * report_at_exit): report the watches, then remove what on-exit names. */
void supervisor_finish(void)
{
	watch_report();
	on_exit_run();
}

_Noreturn void supervisor_exit(int code)
{
	report_at_exit(NULL);
	supervisor_finish();
	_exit(code);
}

/* Gives setup's pages back (stage_give_back) unless the child is over within
 * STAGE_DROP_GRACE_MS (why: see drop-spec.c). pidfd_open(2) (Linux 5.3): readable once the
 * child has exited; without it the pages go back at once. A forwarded signal (EINTR) only
 * interrupts the wait, which goes on for what is left. */
static void give_back_unless_over(pid_t child)
{
	struct pollfd p = {-1, POLLIN, 0};
	struct timespec since;
	int r = 0;

	stage_grace_start(&since);
	if ((p.fd = (int)syscall(SYS_pidfd_open, child, 0)) >= 0) {
		while ((r = poll(&p, 1, stage_grace_left_ms(&since))) < 0 && errno == EINTR)
			;
		close(p.fd);
	}
	if (r <= 0)
		stage_give_back();
}

_Noreturn void supervisor_wait(pid_t child, int error_r, int persist)
{
	int code = report_collect(error_r), status;
	close(error_r);
	/* A report means setup failed: make sure nothing of the sandbox is left running. */
	if (code) {
		kill(child, SIGKILL);
	} else if (persist) {
		stage_give_back();
		persist_bind(child); /* binds, then kills the child; dies on failure */
	} else {
		/* A publishing or logging supervisor serves from now on: no grace before it starts. */
		if (publish_pending() || output_log_pending())
			stage_give_back();
		else
			give_back_unless_over(child);
		publish_serve(); /* forwards (and logs) until the child exits (nothing to do without publish) */
		output_log_serve(child); /* logs until the child exits, then drains (nothing to do without log) */
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die(EXIT_SETUP, "wait", errno, "child %d", (int)child);
	report_kill_on_die(0); /* reaped: its pid may be reused */
	if (code || persist)
		supervisor_exit(code);
	supervisor_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

/* prctl(2): the parent-death signal is cleared whenever credentials change, so it is armed
 * again after each change. It fires when the supervisor dies, even by SIGKILL; and if it
 * already died before the signal was armed, the lifeline (the sync pipe, whose write end
 * only the supervisor holds) reports POLLHUP. */
void tie_to_supervisor(void)
{
	struct pollfd p = {stage_fds.lifeline, 0, 0};
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die(EXIT_SETUP, "lifeline", errno, "PR_SET_PDEATHSIG");
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
		_exit(EXIT_SETUP);
}
