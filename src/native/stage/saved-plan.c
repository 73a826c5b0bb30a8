/* saved-plan.c: `nsbox-stage --plan FILE [ARGS...]`, the interpreter line of a plan file that
 * `nsbox plan --save` wrote, so a saved sandbox starts with no nsbox and no Bun at all. The
 * file is the wire spec behind a short text header (PLAN.md beside WIRE.md). Nothing in it is
 * used before all of this holds, else one line and exit 125 (2 for refused arguments):
 *  - the stage itself (/proc/self/exe) is root-owned and not writable by group or others, and
 *    so is its directory; the directories above are root-owned and not writable by others
 *    unless sticky: no one but root can have replaced it;
 *  - the caller's real and effective ids agree (owner-checks.c caller_ids);
 *  - the plan file is a regular file owned by root or by the caller, not writable by group or
 *    others, in directories owned by root or the caller that others cannot write (or sticky):
 *    whoever could change it could already run anything as its owner;
 *  - its sha256 line matches the rest of the file: an edited or damaged file is refused;
 *  - it was saved by this nsbox version, for this very stage (its sha256) and this kernel
 *    (release and machine, which decide the features the plan relied on): a plan whose host
 *    changed is refused, never run with less isolation than was saved. The stage hashes itself
 *    only when it is not the very file the plan's sha256 was read from (file-identity.c). */
#include "file-identity.h"
#include "owner-checks.h"
#include "report.h"
#include "saved-plan.h"
#include "sha256.h"
#include "stage.h"
#include "trace.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef NSBOX_VERSION
#error "NSBOX_VERSION must be defined by the build (scripts/build.ts)"
#endif

#define PLAN_FORMAT "2"

/* Dies with the reason of a failed ownership check (owner-checks.c). */
static void must(const char *what, int r, const struct check_fail *f)
{
	if (r < 0)
		die(EXIT_SETUP, what, f->err, "%s", f->why);
}

/* The sha256 of the regular file fd is open on, read a page at a time through one stack page:
 * a mapping of the file cost a munmap measured at 0.15-0.5 ms on a 2-CPU VM, and every page a
 * bigger buffer spans is one more fault (~10 us there); a read costs about 1 us. */
static void hash_file(int fd, const char *what, char hex[65])
{
	unsigned char buf[4096];
	struct sha256 c;
	off_t at = 0;
	ssize_t n;

	sha256_init(&c);
	while ((n = pread(fd, buf, sizeof buf, at)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_SETUP, what, errno, "read");
		sha256_update(&c, buf, (size_t)n);
		at += n;
	}
	sha256_hex(&c, hex);
}

/* The running stage is the stage `saved_sum` names: the very file it was read from (same
 * identity), or one with the same bytes. The stage is root's alone (installed_self). */
static void check_stage(int fd, const struct stat *st, const char *saved_sum, const char *saved_file, const char *file)
{
	char now[FILE_IDENTITY_MAX], sum[65];

	file_identity(st, now);
	if (strcmp(now, saved_file) == 0) {
		trace("stage is the file the plan names");
		return;
	}
	hash_file(fd, "stage", sum);
	if (strcmp(saved_sum, sum) != 0)
		die(EXIT_SETUP, "plan", 0, "%s was saved for another stage (sha256 %.12s, this one is %.12s); run `nsbox stage install` and save it again", file, saved_sum, sum);
	trace("stage hashed");
}

/* The next header line, "KEY VALUE\n": returns VALUE (NUL-terminated in place) or dies. */
static char *header_line(char **at, char *end, const char *file, const char *key)
{
	size_t klen = strlen(key);
	char *nl = memchr(*at, '\n', (size_t)(end - *at)), *value;

	if (!nl || (size_t)(nl - *at) <= klen || memcmp(*at, key, klen) != 0 || (*at)[klen] != ' ')
		die(EXIT_SETUP, "plan", 0, "%s: not a saved nsbox plan (no '%s' line where expected); save it again with `nsbox plan --save`", file, key);
	value = *at + klen + 1;
	*nl = '\0';
	*at = nl + 1;
	return value;
}

/* The kernel's name for what fd is open on (/proc/self/fd/N), absolute: the file itself,
 * whatever link led to it. */
static void fd_path(int fd, char real[PATH_MAX], const char *file)
{
	char link[32];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, real, PATH_MAX - 1);
	if (n < 0)
		die(EXIT_SETUP, "plan", errno, "%s: its path (%s)", file, link);
	real[n] = '\0';
	if (n == PATH_MAX - 1 || real[0] != '/')
		die(EXIT_SETUP, "plan", 0, "%s: its path is not one the directory checks can walk (%s)", file, real);
}

char *plan_load(const char *file, size_t *cap, size_t *wire_at, size_t *wire_len, int *append_args)
{
	char real[PATH_MAX], self[PATH_MAX], sum[65], *buf, *at, *end, *sum_line, *value, *saved_sum;
	size_t got = 0;
	struct sha256 c;
	struct utsname u;
	struct check_fail f;
	struct stat st, self_st;
	uid_t uid;
	gid_t gid;
	int fd, self_fd;

	must("plan", caller_ids(&uid, &gid, &f), &f);
	self_fd = installed_self(self, &self_st, &f);
	must("stage", self_fd, &f);
	/* Opened as named, so the kernel follows its links under its own rules (path_resolution(7),
	 * fs.protected_symlinks), as it did to exec it; its real path, for the directory checks,
	 * from the fd: realpath(3) would read the links itself and the file be opened again by a
	 * name someone may have changed since. O_NONBLOCK: a FIFO swapped in since the exec is
	 * refused below as not a regular file instead of holding the open (fifo(7)). */
	if ((fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "plan", errno, "%s", file);
	fd_path(fd, real, file);
	must("plan", guarded_file(file, fd, uid, &st, &f), &f);
	must("plan", guarded_dirs(real, uid, 0, &f), &f);
	/* A header line is short; the wire spec behind it at most WIRE_MAX_STREAM bytes. */
	*cap = WIRE_MAX_STREAM + 65536;
	/* One byte short of the mapping: a file that fills it is larger than a plan can be. */
	buf = read_all(fd, *cap - 1, &got, "plan", file);
	if (got == *cap - 1)
		die(EXIT_SETUP, "plan", 0, "%s is larger than a saved plan can be", file);
	at = buf, end = buf + got;
	/* The interpreter line, then the header; the checksum covers every other byte. */
	if (got < 2 || memcmp(buf, "#!", 2) != 0 || !(at = memchr(buf, '\n', got)))
		die(EXIT_SETUP, "plan", 0, "%s: not a saved nsbox plan (no #! line)", file);
	at++;
	sum_line = memmem(at, (size_t)(end - at), "\nsha256 ", 8);
	if (!sum_line)
		die(EXIT_SETUP, "plan", 0, "%s: not a saved nsbox plan (no sha256 line)", file);
	sum_line++;
	{
		char *sum_end = memchr(sum_line, '\n', (size_t)(end - sum_line));
		if (!sum_end || sum_end - sum_line != 7 + 64)
			die(EXIT_SETUP, "plan", 0, "%s: not a saved nsbox plan (bad sha256 line)", file);
		sha256_init(&c);
		sha256_update(&c, buf, (size_t)(sum_line - buf));
		sha256_update(&c, sum_end + 1, (size_t)(end - sum_end - 1));
		sha256_hex(&c, sum);
		if (memcmp(sum, sum_line + 7, 64) != 0)
			die(EXIT_SETUP, "plan", 0, "%s: checksum mismatch: the file changed after `nsbox plan --save` wrote it; save it again", file);
	}
	value = header_line(&at, end, file, "nsbox-plan");
	if (strcmp(value, PLAN_FORMAT) != 0)
		die(EXIT_SETUP, "plan", 0, "%s: plan format %s, this stage reads format %s; save it again", file, value, PLAN_FORMAT);
	value = header_line(&at, end, file, "nsbox");
	if (strcmp(value, NSBOX_VERSION) != 0)
		die(EXIT_SETUP, "plan", 0, "%s was saved by nsbox %s, this stage is nsbox %s; save it again with this nsbox", file, value, NSBOX_VERSION);
	saved_sum = header_line(&at, end, file, "stage-sha256");
	check_stage(self_fd, &self_st, saved_sum, header_line(&at, end, file, "stage-file"), file);
	close(self_fd);
	value = header_line(&at, end, file, "kernel");
	if (uname(&u) < 0)
		die(EXIT_SETUP, "plan", errno, "uname");
	{
		size_t rl = strlen(u.release);
		if (strncmp(value, u.release, rl) != 0 || value[rl] != ' ' || strcmp(value + rl + 1, u.machine) != 0)
			die(EXIT_SETUP, "plan", 0, "%s was saved on kernel %s, this host runs %s %s; save it again on this host", file, value, u.release, u.machine);
	}
	value = header_line(&at, end, file, "args");
	if (strcmp(value, "fixed") != 0 && strcmp(value, "append") != 0)
		die(EXIT_SETUP, "plan", 0, "%s: args must be 'fixed' or 'append', not '%s'", file, value);
	*append_args = strcmp(value, "append") == 0;
	header_line(&at, end, file, "sha256");
	*wire_at = (size_t)(at - buf);
	*wire_len = (size_t)(end - at);
	return buf;
}

void plan_append_args(struct spec *s, const char *file, int allowed, char **args, int n)
{
	int i;

	if (n == 0)
		return;
	if (!allowed)
		die(EXIT_USAGE, "plan", 0, "%s takes no arguments (it was saved without --append-args)", file);
	if (s->persist || s->n_argv + (unsigned)n > WIRE_MAX_RECORDS)
		die(EXIT_USAGE, "plan", 0, "%s: too many arguments", file);
	for (i = 0; i < n; i++)
		s->argv[s->n_argv++] = args[i];
	s->argv[s->n_argv] = NULL;
}
