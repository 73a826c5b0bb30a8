/* report.c: errors. The sandbox's processes send {code, errno, step, detail} as one record on a
 * CLOEXEC pipe, so the supervisor knows setup failed and exits 125/126/127 instead of the
 * payload's status, printing the one line itself. Zero bytes read means execve succeeded. */
#include "report.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* One record fits in PIPE_BUF (4096), so its write is atomic (pipe(7)) and never interleaves
 * with another process's record. */
struct record {
	uint8_t code;
	uint8_t pad[3];
	int32_t err;
	char step[24];
	char detail[4096 - 32];
};

static int pipe_fd = -1;
static pid_t kill_pid;
static void (*at_exit_fn)(void);
static struct record rec; /* static: the supervisor keeps no big buffer on its stack */

#define N(e) [e] = #e
static const char *const names[] = {
	N(EPERM),   N(ENOENT),  N(ESRCH),   N(EINTR),     N(EIO),          N(ENXIO),
	N(E2BIG),   N(ENOEXEC), N(EBADF),   N(ECHILD),    N(EAGAIN),       N(ENOMEM),
	N(EACCES),  N(EFAULT),  N(ENOTBLK), N(EBUSY),     N(EEXIST),       N(EXDEV),
	N(ENODEV),  N(ENOTDIR), N(EISDIR),  N(EINVAL),    N(ENFILE),       N(EMFILE),
	N(ENOTTY),  N(ETXTBSY), N(EFBIG),   N(ENOSPC),    N(ESPIPE),       N(EROFS),
	N(EMLINK),  N(EPIPE),   N(EDOM),    N(ERANGE),    N(EDEADLK),      N(ENAMETOOLONG),
	N(ENOLCK),  N(ENOSYS),  N(ENOTEMPTY), N(ELOOP),   N(ENOMSG),       N(ENODATA),
	N(ENOSR),   N(ENOLINK), N(EPROTO),  N(EOVERFLOW), N(EBADFD),       N(EUSERS),
	N(ENOTSOCK), N(EDESTADDRREQ), N(EMSGSIZE), N(EPROTOTYPE), N(ENOPROTOOPT),
	N(EPROTONOSUPPORT), N(EOPNOTSUPP), N(EAFNOSUPPORT), N(EADDRINUSE), N(EADDRNOTAVAIL),
	N(ENETDOWN), N(ENETUNREACH), N(ECONNRESET), N(ENOBUFS), N(EISCONN), N(ENOTCONN),
	N(ETIMEDOUT), N(ECONNREFUSED), N(EHOSTUNREACH), N(EALREADY), N(EINPROGRESS),
	N(ESTALE),  N(EDQUOT),  N(ECANCELED), N(ENOKEY),  N(EOWNERDEAD),   N(ENOMEDIUM),
};
#undef N

const char *errno_name(int err)
{
	if (err > 0 && (size_t)err < sizeof names / sizeof names[0] && names[err])
		return names[err];
	return "unknown errno";
}

void report_use_pipe(int fd) { pipe_fd = fd; }
void report_kill_on_die(pid_t pid) { kill_pid = pid; }
void report_at_exit(void (*fn)(void)) { at_exit_fn = fn; }

/* One write(2) of the whole line, so lines from concurrent sandboxes do not mix. */
static void print_line(const char *step, int err, const char *detail)
{
	char line[sizeof rec.detail + 256];
	int n;
	if (err && *detail)
		n = snprintf(line, sizeof line, "nsbox: %s: %s: %s (%s)\n", step, detail, strerror(err),
			     errno_name(err));
	else if (err)
		n = snprintf(line, sizeof line, "nsbox: %s: %s (%s)\n", step, strerror(err), errno_name(err));
	else
		n = snprintf(line, sizeof line, "nsbox: %s: %s\n", step, detail);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	while (write(2, line, (size_t)n) < 0 && errno == EINTR)
		;
}

void warn(const char *step, int err, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	print_line(step, err, detail);
}

_Noreturn void die(int code, const char *step, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rec.detail, sizeof rec.detail, fmt, ap);
	va_end(ap);
	rec.code = (uint8_t)code;
	rec.err = err;
	snprintf(rec.step, sizeof rec.step, "%s", step);
	if (pipe_fd >= 0) {
		size_t n = offsetof(struct record, detail) + strlen(rec.detail) + 1;
		while (write(pipe_fd, &rec, n) < 0 && errno == EINTR)
			;
		_exit(code);
	}
	if (kill_pid > 0) {
		/* The namespaces die with the child: kill it so nothing is left half-built. */
		kill(kill_pid, SIGKILL);
		while (waitpid(kill_pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	print_line(rec.step, rec.err, rec.detail);
	if (at_exit_fn) {
		void (*fn)(void) = at_exit_fn;
		at_exit_fn = NULL; /* once, even if an exit action were to die */
		fn();
	}
	_exit(code);
}

int report_collect(int fd)
{
	size_t got = 0;
	char sink[256];
	for (;;) {
		ssize_t n;
		if (got < sizeof rec)
			n = read(fd, (char *)&rec + got, sizeof rec - got);
		else
			n = read(fd, sink, sizeof sink); /* drain anything extra, keep the first */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got < sizeof rec)
			got += (size_t)n;
	}
	if (got == 0)
		return 0;
	if (got <= offsetof(struct record, detail) || (rec.code != EXIT_SETUP &&
	    rec.code != EXIT_CANNOT_EXEC && rec.code != EXIT_NOT_FOUND)) {
		print_line("report", 0, "garbled error report from the sandbox");
		return EXIT_SETUP;
	}
	/* Never trust the terminators of bytes that crossed a process boundary. */
	rec.step[sizeof rec.step - 1] = 0;
	((char *)&rec)[got < sizeof rec ? got : sizeof rec - 1] = 0;
	rec.detail[sizeof rec.detail - 1] = 0;
	print_line(rec.step, rec.err, rec.detail);
	return rec.code;
}
