/* owner-checks.c: the ownership rules under a file the stage trusts without a key (PLAN.md "Why
 * ownership, and not a key, protects a plan"): whoever could write the file or rename entries in
 * a directory above it could already run anything as its owner. Each check returns the reason
 * instead of dying: a saved plan dies with it, the front treats it as a miss (FRONT.md). */
#include "owner-checks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4)))
static int fail(struct check_fail *f, int err, const char *fmt, ...)
{
	va_list ap;
	f->err = err;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof f->why, fmt, ap);
	va_end(ap);
	return -1;
}

int guarded_dirs(const char *path, uid_t owner, int strict, struct check_fail *f)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;
	int first = 1;

	snprintf(dir, sizeof dir, "%s", path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash)
			return 0;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &st) < 0)
			return fail(f, errno, "%s", dir);
		if (st.st_uid != 0 && st.st_uid != owner)
			return fail(f, 0, "%s: directory %s is owned by uid %u; it must be owned by root%s",
				    path, dir, (unsigned)st.st_uid, owner ? " or you" : "");
		if ((st.st_mode & 022) && (!(st.st_mode & S_ISVTX) || (first && strict)))
			return fail(f, 0, "%s: directory %s is writable by others (mode %04o); chmod go-w %s",
				    path, dir, (unsigned)(st.st_mode & 07777), dir);
		if (strcmp(dir, "/") == 0)
			return 0;
		first = 0;
	}
}

int guarded_file(const char *path, int fd, uid_t owner, struct stat *st, struct check_fail *f)
{
	if (fstat(fd, st) < 0)
		return fail(f, errno, "%s", path);
	if (!S_ISREG(st->st_mode))
		return fail(f, 0, "%s is not a regular file", path);
	if (st->st_uid != 0 && st->st_uid != owner)
		return fail(f, 0, "%s is owned by uid %u; it must be owned by root%s", path,
			    (unsigned)st->st_uid, owner ? " or you" : "");
	if (st->st_mode & 022)
		return fail(f, 0, "%s is writable by others than its owner (mode %04o); chmod go-w %s",
			    path, (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int caller_ids(uid_t *uid, gid_t *gid, struct check_fail *f)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return fail(f, errno, "getresuid");
	/* execve(2) sets the saved ids to the effective ones: the real and effective pairs are
	 * all there is to compare. */
	if (ru != eu || rg != eg)
		return fail(f, 0, "started with real uid %u gid %u but effective uid %u gid %u (a set-user-ID or set-group-ID caller); start it with one identity",
			    (unsigned)ru, (unsigned)rg, (unsigned)eu, (unsigned)eg);
	*uid = ru;
	*gid = rg;
	return 0;
}

int installed_self(char path[PATH_MAX], struct stat *st, struct check_fail *f)
{
	struct stat named;
	int fd = openat(AT_FDCWD, "/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return fail(f, errno, "open /proc/self/exe");
	/* The link's text is the kernel's path of the executable's dentry (proc(5)): absolute,
	 * with no symlink in it, so it needs no realpath walk. A memfd or a deleted file has no
	 * path that names it (the stat below then fails or finds another file). */
	n = readlink("/proc/self/exe", path, PATH_MAX);
	if (n > 0 && n < PATH_MAX)
		path[n] = '\0';
	if (n <= 0 || n >= PATH_MAX || path[0] != '/' || stat(path, &named) < 0 ||
	    fstat(fd, st) < 0 || named.st_dev != st->st_dev || named.st_ino != st->st_ino) {
		close(fd);
		return fail(f, 0, "the stage running this plan is not an installed file; run `nsbox stage install`");
	}
	if (guarded_file(path, fd, 0, st, f) < 0 || guarded_dirs(path, 0, 1, f) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}
