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
	uint64_t payload_caps;
	pid_t payload;
	int error_w;

	/* Every signal is blocked before the fork and taken with sigwaitinfo, so none is lost
	 * or acted on between the fork and the loop. Blocked signals are never discarded as
	 * "ignored by init" (kernel/signal.c sig_ignored). SIGCHLD must not be SIG_IGN (the
	 * caller may have left it so): children would then be reaped by the kernel and the
	 * payload's status lost. */
	dfl.sa_handler = SIG_DFL;
	sigfillset(&all);
	if (sigaction(SIGCHLD, &dfl, NULL) < 0 || sigprocmask(SIG_SETMASK, &all, NULL) < 0)
		die(EXIT_SETUP, "init", errno, "signal mask and SIGCHLD");
	/* vfork (CLONE_VM|CLONE_VFORK): no page tables are copied and no page is made
	 * copy-on-write, which fork paid for in both processes (measured on a 2-CPU VM: fork
	 * 0.3-0.6 ms, then about ten faults of ~10 us each). The init sleeps until the payload
	 * execs or exits (vfork(2)), so nothing runs beside the payload's setup, which is the
	 * stage's own code: what it changes in the shared memory stays there, so the init reads
	 * only what it saved before (the error pipe's fd: place_pass_fds may move the payload's
	 * copy; the payload's capabilities) or sets again after. The payload changes its own
	 * signal dispositions only to SIG_DFL (its table is not shared without CLONE_SIGHAND)
	 * and never calls raise(), which in musl signals a cached thread id, the init's. A
	 * payload whose uid changes makes the shared mm non-dumpable (commit_creds,
	 * kernel/cred.c), as caps_drop_for_init makes the init's own anyway. */
	error_w = stage_fds.error_w;
	payload_caps = s->caps;
	caps_bound_for_payload(s);
	if ((payload = vfork()) < 0)
		die(EXIT_SETUP, "init", errno, "start the payload");
	if (payload == 0)
		payload_exec(s);

	caps_drop_for_init(payload_caps);
	/* From here only the payload holds the error pipe: its exec closes the last copy. */
	close(error_w);
	report_use_pipe(-1);

	struct timespec since;
	stage_grace_start(&since);
	for (int given_back = 0;;) {
		struct timespec left = {0, 0};
		siginfo_t si;
		int sig, status, ms;
		pid_t p;
		/* The init stays for the sandbox's lifetime and needs nothing of the spec any
		 * more: the memory goes back once the sandbox runs on (drop-spec.c). */
		if (!given_back && (ms = stage_grace_left_ms(&since)) == 0) {
			stage_give_back();
			given_back = 1;
		}
		left.tv_nsec = given_back ? 0 : ms * 1000000L;
		sig = given_back ? sigwaitinfo(&all, &si) : sigtimedwait(&all, &si, &left);
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
