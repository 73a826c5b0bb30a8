/* log-file.c: the sandbox's output log, written by the supervisor (output-log.c) and kept under
 * its cap by the writer itself: the sandbox only holds a pipe, so no amount of output it makes
 * can grow the file past max. When a generation is full, NAME becomes NAME.1 and a new NAME is
 * begun: at most 2 * max bytes on disk, like logrotate's `rotate 1`.
 *
 * The name NAME never goes missing during a rotation (a reader following it must not take a
 * gap for the log's removal): NAME.1 is made a hard link of it first, then a fresh NAME.new is
 * renamed over NAME. Every file is made with O_CREAT|O_EXCL|O_NOFOLLOW and renamed into place,
 * so a symlink or a foreign file planted at any of the names is replaced, never written
 * through, even in a directory others can write. */
#include "log-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One splice moves at most what a pipe holds by default (pipe(7)). */
#define LOG_CHUNK (64u * 1024u)

/* An fd on a name found in the directory: written only if it is a plain file of ours that no
 * other name shares (a hard link to another file must not be appended to). */
static int ours(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == geteuid();
}

/* A new empty NAME, made as NAME.new and renamed over whatever NAME was. */
static int create_fresh(struct log_file *l)
{
	int fd, err;
	if (unlinkat(l->dir, l->next, 0) < 0 && errno != ENOENT)
		return -1;
	fd = openat(l->dir, l->next, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (renameat(l->dir, l->next, l->dir, l->name) < 0) {
		err = errno;
		unlinkat(l->dir, l->next, 0);
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int log_file_open(struct log_file *l, int dir, const char *name, uint64_t max)
{
	size_t n = strlen(name);
	struct stat st;
	int fd;
	if (n == 0 || n > LOG_FILE_MAX_NAME || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") || max == 0) {
		errno = EINVAL;
		return -1;
	}
	memset(l, 0, sizeof *l);
	memcpy(l->name, name, n);
	memcpy(l->old, name, n);
	memcpy(l->old + n, ".1", 3);
	memcpy(l->next, name, n);
	memcpy(l->next + n, ".new", 5);
	l->dir = dir;
	l->max = max;
	/* O_NONBLOCK: a FIFO planted at NAME must not hang the open; it is replaced below. */
	fd = openat(dir, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0 && !ours(fd)) {
		close(fd);
		fd = -1;
		errno = EEXIST;
	}
	/* ELOOP: a symlink (O_NOFOLLOW); ENXIO: a FIFO without a reader; EEXIST: not ours. */
	if (fd < 0 && (errno == ENOENT || errno == ELOOP || errno == ENXIO || errno == EEXIST))
		fd = create_fresh(l);
	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFL, 0) < 0 || fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	l->fd = fd;
	l->size = (uint64_t)st.st_size;
	return 0;
}

void log_file_rotate(struct log_file *l)
{
	struct stat cur, named;
	int fd;
	/* Only while NAME is still this file: one removed with its sandbox's records (or replaced)
	 * is not brought back. */
	if (fstat(l->fd, &cur) == 0 && fstatat(l->dir, l->name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
	    cur.st_dev == named.st_dev && cur.st_ino == named.st_ino &&
	    (unlinkat(l->dir, l->old, 0) == 0 || errno == ENOENT) &&
	    linkat(l->dir, l->name, l->dir, l->old, 0) == 0 && (fd = create_fresh(l)) >= 0) {
		close(l->fd);
		l->fd = fd;
		l->size = 0;
		l->rotations++;
		return;
	}
	/* Gone, replaced, or the directory refuses: the history goes, the cap stays. */
	if (ftruncate(l->fd, 0) == 0)
		l->size = 0;
}

/* Where splice cannot (a file system without splice_write): read, then write at most room
 * bytes. What cannot be written (disk full, I/O error, no room left) is read and dropped: the
 * sandbox must never block on its output because the log cannot take it. */
static ssize_t copy(struct log_file *l, int src, uint64_t room)
{
	char buf[4096];
	ssize_t n = read(src, buf, room && room < sizeof buf ? (size_t)room : sizeof buf);
	if (n > 0 && room && pwrite(l->fd, buf, (size_t)n, (off_t)l->size) == n)
		l->size += (uint64_t)n;
	return n;
}

ssize_t log_file_pump(struct log_file *l, int src)
{
	struct stat st;
	uint64_t room;
	loff_t off;
	ssize_t n;
	/* Another writer may have appended (the supervisor's own stderr can be this file). */
	if (fstat(l->fd, &st) == 0 && (uint64_t)st.st_size > l->size)
		l->size = (uint64_t)st.st_size;
	if (l->size >= l->max)
		log_file_rotate(l);
	room = l->size < l->max ? l->max - l->size : 0;
	if (!room)
		return copy(l, src, 0);
	off = (loff_t)l->size;
	n = splice(src, NULL, l->fd, &off, room < LOG_CHUNK ? room : LOG_CHUNK, SPLICE_F_NONBLOCK);
	if (n > 0)
		l->size += (uint64_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		return copy(l, src, room);
	return n;
}
