/* front-record.c: the front's record of the sandbox it starts, as src/core/sandbox-record.ts
 * createRecord writes it for `nsbox run` (FRONT.md "A hit"), so `ps`, `exec`, `stop` and `gc`
 * find it: ROOT/names/NAME (`pid-PID` for an unnamed sandbox) reserves the name (O_EXCL),
 * ROOT/sandboxes/PID.json appears by rename. The supervisor removes both when the sandbox ends
 * (on-exit-unlink). */
#include "front.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* A name of at most 63 bytes (NAME_PATTERN), and its NUL. */
#define NAME_LEAF 64

/* What a failure must undo. */
static struct {
	int names, sandboxes;  /* ROOT/names and ROOT/sandboxes, O_PATH */
	char name_leaf[NAME_LEAF], record_leaf[32], tmp_leaf[40];
	int made_name, made_tmp;
} r;

/* src/model/names.ts NAME_PATTERN, /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/: a file name of its own
 * (no '/', never `.` or `..`) and a JSON string with nothing to escape. Bytes, not isalnum():
 * the pattern is ASCII whatever the locale. */
int front_name_valid(const char *name)
{
	size_t i = 0;

	for (; name[i]; i++) {
		char c = name[i];
		int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return 0;
	}
	return i >= 1 && i < NAME_LEAF;
}

/* The name file's leaf: the sandbox's name, or `pid-PID` without one (createRecord's default). */
static void leaves(const char *sandbox, char name[NAME_LEAF], char record[32])
{
	if (*sandbox)
		snprintf(name, NAME_LEAF, "%s", sandbox);
	else
		snprintf(name, NAME_LEAF, "pid-%d", (int)getpid());
	snprintf(record, 32, "%d.json", (int)getpid());
}

int front_record_paths(const char *root, const char *sandbox, char record[PATH_MAX], char name[PATH_MAX])
{
	char name_leaf[NAME_LEAF], record_leaf[32];

	leaves(sandbox, name_leaf, record_leaf);
	if (snprintf(record, PATH_MAX, "%s/sandboxes/%s", root, record_leaf) > (int)WIRE_MAX_PATH ||
	    snprintf(name, PATH_MAX, "%s/names/%s", root, name_leaf) > (int)WIRE_MAX_PATH)
		return -1;
	return 0;
}

/* A directory under the state root the caller owns and others cannot write, as O_PATH. */
static int private_dir(const char *root, const char *leaf, uid_t uid)
{
	char path[PATH_MAX + 16]; /* the root is clean, so at most WIRE_MAX_PATH bytes */
	struct stat st;
	int fd;

	snprintf(path, sizeof path, "%s/%s", root, leaf);
	fd = openat(AT_FDCWD, path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != uid || (st.st_mode & 022))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Field 22 of /proc/self/stat: with the pid, it names this process for good (proc(5)). */
static const char *start_time(char out[24])
{
	char b[1024], *p;
	ssize_t n;
	int fd = openat(AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC), field;

	if (fd < 0)
		return NULL;
	n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	b[n] = '\0';
	/* The command name may hold spaces and parentheses: fields count from the last ')'. */
	if (!(p = strrchr(b, ')')))
		return NULL;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%23[0-9]", out) != 1)
		return NULL;
	return out;
}

/* The record, as src/core/sandbox-record.ts createRecord writes it: ROOT/names/NAME (O_EXCL),
 * then ROOT/sandboxes/PID.json by rename. An existing name file is nsbox's to judge: a running
 * sandbox of that name (its error) or a stale file (taken over). */
static const char *write_record(const char *root, const char *sandbox, const char *spec_json, uid_t uid)
{
	char head[256], pid[16], start[24];
	struct timespec now;
	struct tm tm;
	struct iovec iov[3];
	int fd, n;

	snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (*sandbox && !front_name_valid(sandbox))
		return "a name nsbox does not take";
	leaves(sandbox, r.name_leaf, r.record_leaf);
	snprintf(r.tmp_leaf, sizeof r.tmp_leaf, "%s.tmp", r.record_leaf);
	if ((r.names = private_dir(root, "names", uid)) < 0 || (r.sandboxes = private_dir(root, "sandboxes", uid)) < 0)
		return "ROOT/names or ROOT/sandboxes is missing or not the caller's";
	if (!start_time(start))
		return "no start time in /proc/self/stat";
	fd = openat(r.names, r.name_leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? "the name file exists" : "the name file cannot be made";
	r.made_name = 1;
	iov[0] = (struct iovec){pid, strlen(pid)};
	n = write_all(fd, iov, 1);
	if (close(fd) < 0 || n < 0)
		return "the name file cannot be written";
	/* createdAt as JavaScript's toISOString: UTC, milliseconds. */
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = snprintf(head, sizeof head,
		     "{\"version\":1,\"name\":\"%s\",\"pid\":%s,\"startTime\":%s,\"createdAt\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"spec\":",
		     r.name_leaf, pid, start, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, now.tv_nsec / 1000000);
	fd = openat(r.sandboxes, r.tmp_leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return "the record cannot be made";
	r.made_tmp = 1;
	iov[0] = (struct iovec){head, (size_t)n};
	iov[1] = (struct iovec){(char *)spec_json, strlen(spec_json)};
	iov[2] = (struct iovec){"}", 1};
	n = write_all(fd, iov, 3);
	if (close(fd) < 0 || n < 0 || renameat(r.sandboxes, r.tmp_leaf, r.sandboxes, r.record_leaf) < 0)
		return "the record cannot be written";
	r.made_tmp = 0;
	return NULL;
}

const char *front_record_write(const char *root, const char *sandbox, const char *spec_json, uid_t uid)
{
	const char *why;

	r.names = r.sandboxes = -1;
	why = write_record(root, sandbox, spec_json, uid);
	if (why && r.made_tmp)
		unlinkat(r.sandboxes, r.tmp_leaf, 0);
	if (why && r.made_name)
		unlinkat(r.names, r.name_leaf, 0);
	if (r.names >= 0)
		close(r.names);
	if (r.sandboxes >= 0)
		close(r.sandboxes);
	return why;
}
