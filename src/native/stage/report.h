/* report.h: how the stage fails: one line on stderr (in the supervisor) or one record on the
 * CLOEXEC error pipe (in the sandbox's processes), and the exit codes of WIRE.md. */
#ifndef NSBOX_REPORT_H
#define NSBOX_REPORT_H

#include <sys/types.h>

#define EXIT_USAGE 2
#define EXIT_SETUP 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

const char *errno_name(int err);

/* In a child: from now on die() sends its record to fd instead of printing. */
void report_use_pipe(int fd);
/* In the supervisor: die() first kills and reaps this child (0 = none). */
void report_kill_on_die(pid_t pid);

/* In the supervisor: die() runs fn after the line is printed and before it exits (the exit
 * actions: watches, on-exit-unlink, on-exit-rmdir). */
void report_at_exit(void (*fn)(void));

/* Prints one line as die() would, and returns: for what must not change the exit status. */
void warn(const char *step, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reports `<step>: <detail>: <strerror(err)> (<ERRNO>)` (err 0: no errno part) and exits
 * with code; never returns. */
_Noreturn void die(int code, const char *step, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Supervisor: reads the error pipe to EOF (retrying EINTR). Returns 0 if nothing came (the
 * payload's execve succeeded), else prints the line and returns the exit code it carried. */
int report_collect(int fd);

#endif
