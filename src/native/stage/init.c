/* init.c: PID 1 of the sandbox's PID namespace. The kernel drops signals with a default
 * action sent to a namespace's init, and orphans are reparented to it: a payload running as
 * PID 1 would ignore SIGTERM and leave zombies (measured: 59 s, DESIGN.md section 2). */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static _Noreturn void exit_as(int status)
{
	/* The shell convention: a signal N becomes 128+N. */
	_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

_Noreturn void init_run(const struct spec *s)
{
	struct sigaction dfl = {0};
	sigset_t all;
	pid_t payload;

	/* Every signal is blocked before the fork and taken with sigwaitinfo, so none is lost
	 * or acted on between the fork and the loop. Blocked signals are never discarded as
	 * "ignored by init" (kernel/signal.c sig_ignored). SIGCHLD must not be SIG_IGN (the
	 * caller may have left it so): children would then be reaped by the kernel and the
	 * payload's status lost. */
	dfl.sa_handler = SIG_DFL;
	sigfillset(&all);
	if (sigaction(SIGCHLD, &dfl, NULL) < 0 || sigprocmask(SIG_SETMASK, &all, NULL) < 0)
		die(EXIT_SETUP, "init", errno, "signal mask and SIGCHLD");
	if ((payload = fork()) < 0)
		die(EXIT_SETUP, "init", errno, "fork the payload");
	if (payload == 0)
		payload_exec(s);

	caps_drop_for_init();
	/* From here only the payload holds the error pipe: its exec closes the last copy. */
	close(stage_fds.error_w);
	report_use_pipe(-1);
	/* The init stays for the sandbox's lifetime and needs nothing of the spec any more. */
	stage_drop_spec(s);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si), status;
		pid_t p;
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* Forward everything else, job control included: init has no terminal
			 * of its own, the payload decides. */
			kill(payload, sig);
			continue;
		}
		/* One SIGCHLD may stand for many exits: reap until none is left. */
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == payload)
				exit_as(status); /* the rest of the namespace is killed with us */
	}
}
