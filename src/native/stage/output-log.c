/* output-log.c: `log FD NAME MAX` (WIRE.md "Log"): the payload's stdout and stderr are a pipe
 * that the supervisor alone reads, and it writes what comes to NAME in the directory FD, kept
 * under its cap by rotation (log-file.c). The writer is the host's side: whatever the sandbox
 * does, it holds only the pipe's write end, never the file. */
#include "log-file.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Rounds of the pipe per wake-up, so a chatty payload cannot starve the published ports. */
#define LOG_ROUNDS 16

static struct log_file out = {.dir = -1, .fd = -1};
static int pipe_r = -1, pipe_w = -1;
/* The supervisor's own stderr is the log (cms-isolate's up gives it the same file). */
static int stderr_is_log;

static int same_file(int a, int b)
{
	struct stat x, y;
	return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Before the clone, in the caller's namespaces: the file is opened (or made) now, so a log that
 * cannot be written fails the start with one line instead of losing the output. */
void output_log_open(const struct spec *s)
{
	struct stat st;
	int p[2];
	if (!s->log_name)
		return;
	if (fstat((int)s->log_dir, &st) < 0)
		die(EXIT_SETUP, "log", errno, "fd %u", s->log_dir);
	if (!S_ISDIR(st.st_mode))
		die(EXIT_SETUP, "log", 0, "fd %u is not a directory", s->log_dir);
	if (fcntl((int)s->log_dir, F_SETFD, FD_CLOEXEC) < 0)
		die(EXIT_SETUP, "log", errno, "fd %u: set close-on-exec", s->log_dir);
	if (log_file_open(&out, (int)s->log_dir, s->log_name, s->log_max) < 0)
		die(EXIT_SETUP, "log", errno, "open %s", s->log_name);
	stderr_is_log = same_file(2, out.fd);
	/* Only the read end is nonblocking: the payload's writes wait for the supervisor, as they
	 * would for a terminal or a file. */
	if (pipe2(p, O_CLOEXEC) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0)
		die(EXIT_SETUP, "log", errno, "pipe");
	pipe_r = p[0];
	pipe_w = p[1];
}

/* In the child: the pipe becomes its stdout and stderr (dup2 clears close-on-exec), and the
 * init and payload keep nothing else of the log. */
void output_log_child(void)
{
	if (pipe_w < 0)
		return;
	if (dup2(pipe_w, 1) < 0 || dup2(pipe_w, 2) < 0)
		die(EXIT_SETUP, "log", errno, "the pipe as stdout and stderr");
	close(pipe_w);
	close(pipe_r);
	close(out.fd);
	close(out.dir);
	pipe_w = pipe_r = -1;
}

/* In the supervisor after the clone: only the sandbox writes, so EOF means all of it is gone. */
void output_log_release(void)
{
	if (pipe_w >= 0)
		close(pipe_w);
	pipe_w = -1;
}

int output_log_pending(void)
{
	return pipe_r >= 0;
}

/* The read end to poll, or -1 (none, or all writers are gone): poll(2) skips a negative fd. */
int output_log_fd(void)
{
	return pipe_r;
}

/* After a rotation, a supervisor whose stderr was the log writes its own last words (a limit
 * the sandbox reached, a failure) to the new log, not into the generation rotated away: an
 * O_APPEND fd on the new file, checked to be the one written, becomes its fd 2. */
static void stderr_to_new_log(unsigned before)
{
	int fd;
	if (!stderr_is_log || out.rotations == before)
		return;
	fd = openat(out.dir, out.name, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (same_file(fd, out.fd))
		dup2(fd, 2);
	close(fd);
}

/* Moves what the pipe holds now into the log. Returns 1 once it is empty for now, 0 when it
 * is closed (every writer gone) or its turn is over with more to move. */
int output_log_pump(void)
{
	unsigned round, before = out.rotations;
	int empty = 0;
	ssize_t n;
	for (round = 0; round < LOG_ROUNDS && pipe_r >= 0; round++) {
		if ((n = log_file_pump(&out, pipe_r)) > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			empty = 1;
			break;
		}
		if (n < 0)
			warn("log", errno, "read the sandbox's output; it is no longer kept");
		close(pipe_r);
		pipe_r = -1;
	}
	stderr_to_new_log(before);
	return empty;
}

/* Without published ports (publish.c polls the pipe itself): logs until the child exits, then
 * what is left in the pipe. A writer that outlives the child (a sandbox sharing the host's PID
 * namespace) is not waited for. */
void output_log_serve(pid_t child)
{
	struct pollfd p[2];
	int pid_fd, r;
	if (pipe_r < 0)
		return;
	if ((pid_fd = (int)syscall(SYS_pidfd_open, child, 0)) < 0)
		die(EXIT_SETUP, "log", errno, "pidfd_open %d", (int)child);
	for (;;) {
		p[0] = (struct pollfd){pid_fd, POLLIN, 0};
		p[1] = (struct pollfd){pipe_r, POLLIN, 0};
		if ((r = poll(p, 2, -1)) < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_SETUP, "log", errno, "poll");
		}
		if (p[1].revents)
			output_log_pump();
		if (p[0].revents)
			break;
	}
	close(pid_fd);
	output_log_drain();
}

/* Once the child is over: what the pipe still holds, without waiting for more. */
void output_log_drain(void)
{
	while (pipe_r >= 0 && !output_log_pump())
		;
	if (pipe_r >= 0)
		close(pipe_r);
	pipe_r = -1;
}
