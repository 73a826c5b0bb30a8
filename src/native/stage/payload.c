/* payload.c: the last steps of the payload process, in the order WIRE.md and DESIGN.md give:
 * session, rlimits, cwd, keyring, ids and capabilities, no_new_privs, signals, fds, environment,
 * seccomp, execve. Each step only narrows what the next ones and the payload can do. */
#include "kernel.h"
#include "report.h"
#include "stage.h"
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *envp[WIRE_MAX_ENV + 2];
static char pid_env[WIRE_MAX_ENV_KEY + 24];

/* Bun leaves SIGPIPE and SIGXFSZ ignored, and ignored dispositions survive execve
 * (signal(7)); a blocked mask survives too. The payload starts from the defaults. */
static void reset_signals(void)
{
	struct sigaction dfl = {0};
	sigset_t none;
	int sig;
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < 65; sig++)
		/* EINVAL for libc-reserved numbers: fine. Anything else would hand the payload
		 * a signal ignored without its knowing. */
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, &dfl, NULL) < 0 && errno != EINVAL)
			die(EXIT_SETUP, "signals", errno, "signal %d to its default", sig);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		die(EXIT_SETUP, "signals", errno, "unblock all signals");
}

/* Where inherited fds can be, for the close-on-exec fallback: below the NOFILE hard limit
 * the stage started with, read before the spec's rlimits lower it (fds opened under the old
 * limit stay open above a lower one). Not covered: fds a caller left above a hard limit it
 * lowered before starting nsbox. */
static unsigned fd_ceiling = 1u << 20;

static void note_fd_ceiling(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max <= (1u << 30))
		fd_ceiling = (unsigned)rl.rlim_max;
}

static void cloexec_range(unsigned first, unsigned last)
{
	unsigned fd;
	if (first > last || k_close_range(first, last, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC: flag each possible fd instead. EBADF:
	 * nothing open there. Any other failure would leave an undeclared fd open across
	 * execve. */
	for (fd = first; fd <= last && fd < fd_ceiling; fd++)
		if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			die(EXIT_SETUP, "close-fds", errno, "fd %u", fd);
}

/* An fd of the stage moved to at least `floor`, on a number nothing uses (F_DUPFD_CLOEXEC
 * takes the lowest free one there), keeping close-on-exec. */
static int lift(int fd, unsigned floor, const char *what)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, (int)floor);
	if (high < 0)
		die(EXIT_SETUP, "pass-fd", errno, "move %s above fd %u", what, floor - 1);
	return high;
}

/* pass-fd (sd_listen_fds(3)): the i-th becomes fd 3+i. Sources and targets may overlap
 * (`pass-fd 4`, `pass-fd 3` swaps them) and the stage's own error pipe and lifeline may sit on
 * a target, so every one of them is first copied above the targets, then each copy is
 * dup2()ed down; the copy made by dup2 has close-on-exec off (dup(2)). A source left below
 * is replaced or, later, closed at execve like any undeclared fd. */
static void place_pass_fds(const struct spec *s)
{
	int high[WIRE_MAX_PASS_FD], moved;
	unsigned i, n = s->n_pass_fd, floor = 3 + n;
	char what[24];
	if (n == 0)
		return;
	if (stage_fds.error_w < (int)floor) {
		moved = lift(stage_fds.error_w, floor, "the error pipe");
		report_use_pipe(moved);
		close(stage_fds.error_w);
		stage_fds.error_w = moved;
	}
	if (stage_fds.lifeline >= 0 && stage_fds.lifeline < (int)floor) {
		moved = lift(stage_fds.lifeline, floor, "the lifeline");
		close(stage_fds.lifeline);
		stage_fds.lifeline = moved;
	}
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof what, "fd %u", s->pass_fd[i]);
		high[i] = lift((int)s->pass_fd[i], floor, what);
	}
	for (i = 0; i < n; i++) {
		if (dup2(high[i], (int)(3 + i)) < 0)
			die(EXIT_SETUP, "pass-fd", errno, "%u to fd %u", s->pass_fd[i], 3 + i);
		close(high[i]);
	}
}

/* Only 0-2, the passed and the keep-fd ones reach the payload. The rest are made
 * close-on-exec rather than closed, so the error pipe keeps working until execve succeeds. */
static void prepare_fds(const struct spec *s)
{
	uint32_t keep[WIRE_MAX_PASS_FD + WIRE_MAX_KEEP_FD];
	unsigned i, j, n = 0, next = 3;
	place_pass_fds(s);
	for (i = 0; i < s->n_pass_fd; i++)
		keep[n++] = 3 + i;
	for (i = 0; i < s->n_keep_fd; i++)
		keep[n++] = s->keep_fd[i];
	for (i = 1; i < n; i++) /* insertion sort: at most 1088 */
		for (j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			uint32_t t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		/* Bun marks inherited fds close-on-exec; a kept fd must not be. */
		if (fcntl((int)keep[i], F_SETFD, 0) < 0)
			die(EXIT_SETUP, keep[i] < 3 + s->n_pass_fd ? "pass-fd" : "keep-fd", errno, "%u", keep[i]);
		cloexec_range(next, keep[i] - 1);
		next = keep[i] + 1;
	}
	cloexec_range(next, ~0u);
}

static void build_env(const struct spec *s)
{
	size_t klen;
	unsigned i, n = s->n_env;
	memcpy(envp, s->env, n * sizeof envp[0]);
	if (s->env_pid) {
		/* LISTEN_PID must be the payload's own pid as seen inside (sd_listen_fds(3)). */
		klen = strlen(s->env_pid);
		snprintf(pid_env, sizeof pid_env, "%s=%d", s->env_pid, (int)getpid());
		for (i = 0; i < n; i++)
			if (strncmp(envp[i], s->env_pid, klen) == 0 && envp[i][klen] == '=')
				break;
		envp[i] = pid_env;
		if (i == n)
			n++;
	}
	envp[n] = NULL;
}

static const char *env_path(void)
{
	unsigned i;
	for (i = 0; envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

/* execvpe(3) searches the caller's own environ, not the one given: search the payload's
 * PATH here. Like execvp: ENOENT/ENOTDIR try the next directory, EACCES is remembered,
 * anything else stops. Empty PATH entries (the cwd) are skipped on purpose. */
static int exec_search(char *const argv[])
{
	char full[4096];
	const char *name = argv[0], *p = env_path();
	size_t nlen = strlen(name);
	int seen_eacces = 0, err = ENOENT;

	if (strchr(name, '/')) {
		execve(name, argv, (char *const *)envp);
		return errno;
	}
	while (*p) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		if (dlen && dlen + 1 + nlen < sizeof full) {
			memcpy(full, p, dlen);
			full[dlen] = '/';
			memcpy(full + dlen + 1, name, nlen + 1);
			execve(full, argv, (char *const *)envp);
			err = errno;
			if (err == EACCES)
				seen_eacces = 1;
			else if (err != ENOENT && err != ENOTDIR)
				return err;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return seen_eacces ? EACCES : ENOENT;
}

_Noreturn void payload_exec(const struct spec *s)
{
	unsigned i;
	int err;

	/* A new session: the payload loses the caller's controlling terminal, so it cannot
	 * push input into it with TIOCSTI (CVE-2017-5226). */
	if (s->new_session && setsid() < 0)
		die(EXIT_SETUP, "setsid", errno, "new session");
	note_fd_ceiling();
	/* Before the capabilities go: raising a hard limit needs CAP_SYS_RESOURCE. */
	for (i = 0; i < s->n_rlimits; i++) {
		struct rlimit rl = {(rlim_t)s->rlimits[i].soft, (rlim_t)s->rlimits[i].hard};
		if (setrlimit(s->rlimits[i].resource, &rl) < 0)
			die(EXIT_SETUP, "rlimit", errno, "%s", wire_rlimit_name(s->rlimits[i].resource));
	}
	/* After pivot_root this resolves inside the new root only. */
	if (chdir(s->cwd) < 0)
		die(EXIT_SETUP, "cwd", errno, "%s", s->cwd);
	/* The caller's session keyring must not follow the payload in. */
	keyring_new_session();
	caps_apply(s);
	/* The uid change cleared the parent-death signal (commit_creds): arm it again. */
	tie_to_supervisor();
	/* no_new_privs: execve can no longer grant privileges (setuid bits, file caps), and
	 * seccomp can be loaded without CAP_SYS_ADMIN. */
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(EXIT_SETUP, "no-new-privs", errno, "PR_SET_NO_NEW_PRIVS");
	reset_signals();
	umask(stage_fds.umask);
	prepare_fds(s);
	build_env(s);
	/* Last, so the filter constrains nothing but the payload: after it, only execve (and
	 * on failure write and exit) remain. */
	if (s->seccomp) {
		struct k_sock_fprog prog = {(unsigned short)(s->seccomp_len / 8),
					    (const struct k_sock_filter *)(const void *)s->seccomp};
		if (prctl(PR_SET_SECCOMP, K_SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
			die(EXIT_SETUP, "seccomp", errno, "load %zu instructions", s->seccomp_len / 8);
	}
	trace("payload execve");
	err = exec_search((char *const *)(void *)s->argv);
	die(err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC, "exec", err, "%s", s->argv[0]);
}
