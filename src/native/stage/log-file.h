/* log-file.h: a log file the supervisor writes for the sandbox and keeps under a size cap by
 * rotation (log-file.c). Self-contained (no die(), no spec) so a test driver can build it alone. */
#ifndef NSBOX_LOG_FILE_H
#define NSBOX_LOG_FILE_H

#include <stdint.h>
#include <sys/types.h>

/* The longest NAME: NAME.1 and NAME.new must still be names (NAME_MAX 255). */
#define LOG_FILE_MAX_NAME 200u

struct log_file {
	int dir;        /* the directory the log is in, opened by nsbox without following symlinks */
	int fd;         /* the generation being written: DIR/NAME */
	uint64_t max;   /* bytes a generation holds; at most 2 * max on disk */
	uint64_t size;  /* bytes in the current generation */
	unsigned rotations; /* new files begun since the open */
	char name[LOG_FILE_MAX_NAME + 1];
	char old[LOG_FILE_MAX_NAME + 3];  /* NAME.1: the generation before */
	char next[LOG_FILE_MAX_NAME + 5]; /* NAME.new: the next one, until it is renamed to NAME */
};

/* Opens DIR/NAME for writing at its end, created 0600 if missing. Returns 0, or -1 with errno. */
int log_file_open(struct log_file *l, int dir, const char *name, uint64_t max);

/* Moves what `src` (a nonblocking pipe) holds now into the log, rotating whenever the current
 * generation is full. Returns the bytes moved (> 0), 0 at EOF of src, -1 with errno (EAGAIN:
 * nothing more to read now). */
ssize_t log_file_pump(struct log_file *l, int src);

/* NAME becomes NAME.1 (replacing the one before) and a new empty NAME is written from now on.
 * Whatever fails, the current generation is then emptied instead: the cap always holds. */
void log_file_rotate(struct log_file *l);

#endif
