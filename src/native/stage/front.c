/* front.c: the stage as `nsbox` (FRONT.md): a `nsbox run` line that ran before is served from
 * the entry nsbox left for it (ROOT/plans/front-<key sha256>), with no Bun: the record `ps`,
 * `exec`, `stop` and `gc` read is written here (front-record.c), and stage_run() runs the
 * sandbox as with --spec-fd. Anything unusual is a miss: nothing of the front is left, and
 * DIR/nsbox is exec'd with the very same argv and environment, to do the full, slow, correct
 * thing and say itself what is wrong.
 *
 * Cheap on purpose: no heap and no mapping (the entry is read into .bss, whose pages the
 * supervisor and the init give back), one pass of sha256 over the key and one over the entry,
 * a stat per dependency. */
#include "file-identity.h"
#include "front.h"
#include "owner-checks.h"
#include "report.h"
#include "sha256.h"
#include "stage.h"
#include "trace.h"
#include "wire-args.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

#define FRONT_MAX_ENTRY (WIRE_MAX_STREAM + 65536u)
#define FRONT_MAX_DEPS 64u
#define FRONT_MAX_ENV WIRE_MAX_ENV /* more is a miss: nsbox itself then runs the line */
#define ADDED_RECORD (sizeof "on-exit-unlink" + WIRE_MAX_PATH + 1)

/* All the front keeps, in one block of .bss of whole pages (the type's alignment makes its size
 * a multiple of it): only the pages used become resident, and the supervisor and the init give
 * them back as they give back a mapped spec (stage_setup_pages), with no other variable on
 * those pages. */
static struct __attribute__((aligned(4096))) front {
	/* The entry, and behind it room for the two on-exit-unlink records added before its `end`. */
	char entry[FRONT_MAX_ENTRY + 2 * ADDED_RECORD + sizeof "end"];
	char *env_sorted[FRONT_MAX_ENV];
	char sibling[PATH_MAX];  /* DIR/nsbox */
	char root[PATH_MAX];     /* the state root */
	char why[300];           /* a miss's reason, when it needs formatting */
} f;
_Static_assert(sizeof f % 4096 == 0, "the front's block is whole pages");

static const char *missf(const char *fmt, const char *arg)
{
	snprintf(f.why, sizeof f.why, fmt, arg);
	return f.why;
}

/* A miss: nsbox with the caller's own argv and environment (nothing of the front is left:
 * the record is its last step, and undoes itself when it fails). */
static _Noreturn void miss(char **argv, const char *why)
{
	struct stat self, sib;
	char line[320];

	snprintf(line, sizeof line, "front: miss: %s", why);
	trace(line);
	if (!f.sibling[0])
		die(EXIT_SETUP, "front", 0, "cannot tell where the stage is installed (/proc/self/exe); reinstall nsbox");
	/* nsbox named as the stage would exec itself for ever. */
	if (stat(f.sibling, &sib) == 0 && stat("/proc/self/exe", &self) == 0 && sib.st_dev == self.st_dev &&
	    sib.st_ino == self.st_ino)
		die(EXIT_SETUP, "front", 0, "%s is the stage itself; reinstall nsbox", f.sibling);
	execve(f.sibling, argv, environ);
	if (errno == ENOENT)
		die(EXIT_SETUP, "front", 0, "%s is missing; reinstall nsbox", f.sibling);
	die(EXIT_SETUP, "front", errno, "%s", f.sibling);
}

static void key_token(struct sha256 *c, const char *s)
{
	sha256_update(c, s, strlen(s) + 1);
}

static void key_number(struct sha256 *c, unsigned long long v)
{
	char b[24];
	snprintf(b, sizeof b, "%llu", v);
	key_token(c, b);
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry's file name: sha256 of the key (FRONT.md "The key") in hex. */
static const char *key_hex(int argc, char **argv, uid_t uid, gid_t gid, char hex[65])
{
	char cwd[PATH_MAX];
	struct sha256 c;
	size_t n = 0, i, k, kp = 0;
	int a;

	if (!getcwd(cwd, sizeof cwd))
		return "getcwd failed";
	for (; environ[n]; n++) {
		if (n == FRONT_MAX_ENV)
			return "more environment entries than the front takes";
		f.env_sorted[n] = environ[n];
	}
	qsort(f.env_sorted, n, sizeof *f.env_sorted, by_bytes);
	for (i = 0; i < n; i++) {
		const char *eq = strchr(f.env_sorted[i], '=');
		if (!eq || eq == f.env_sorted[i])
			return "an environment entry without KEY=";
		/* Sorted, entries with one KEY are adjacent: all start with "KEY=". */
		k = (size_t)(eq - f.env_sorted[i]);
		if (i > 0 && k == kp && memcmp(f.env_sorted[i], f.env_sorted[i - 1], k) == 0)
			return "an environment KEY given twice";
		kp = k;
	}
	sha256_init(&c);
	key_token(&c, "nsbox-front-key");
	key_token(&c, "1");
	key_token(&c, "uid");
	key_number(&c, uid);
	key_token(&c, "gid");
	key_number(&c, gid);
	key_token(&c, "cwd");
	key_token(&c, cwd);
	key_token(&c, "argc");
	key_number(&c, (unsigned)(argc - 1));
	for (a = 1; a < argc; a++)
		key_token(&c, argv[a]);
	key_token(&c, "envc");
	key_number(&c, n);
	for (i = 0; i < n; i++)
		key_token(&c, f.env_sorted[i]);
	sha256_hex(&c, hex);
	return NULL;
}

/* An absolute path with no empty, `.` or `..` component and no trailing `/` (WIRE.md's rule). */
static int clean_path(const char *p)
{
	struct tok t = {(char *)p, strlen(p), 0};
	struct wire_error e;
	return arg_path(&t, &e) == 0;
}

/* The state root, as src/core/state-dir.ts stateRoot gives it, or NULL when it is not clean. */
static const char *state_root(uid_t uid)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (uid == 0)
		n = snprintf(f.root, sizeof f.root, "/run/nsbox");
	else if (xdg && *xdg)
		n = clean_path(xdg) ? snprintf(f.root, sizeof f.root, "%s/nsbox", strcmp(xdg, "/") ? xdg : "") : -1;
	else
		n = snprintf(f.root, sizeof f.root, "/tmp/nsbox-%u/nsbox", (unsigned)uid);
	return n > 0 && (size_t)n < sizeof f.root && clean_path(f.root) ? f.root : NULL;
}

/* The header's next token, or NULL at the end of the entry. */
static char *next(char **at, char *end)
{
	char *t = *at, *nul = memchr(t, 0, (size_t)(end - t));
	if (!nul)
		return NULL;
	*at = nul + 1;
	return t;
}

static int is(const char *t, const char *want)
{
	return t && strcmp(t, want) == 0;
}

/* DEV INO SIZE MTIME_NS CTIME_NS of st (with MODE after INO when `mode`: the identity of
 * file-identity.c, in the entry's order) equal the next tokens. */
static int same_stat(char **at, char *end, const struct stat *st, int mode)
{
	unsigned long long v[6];
	unsigned i = 0, n = 0;
	char b[24];

	v[n++] = (unsigned long long)st->st_dev;
	v[n++] = (unsigned long long)st->st_ino;
	if (mode)
		v[n++] = (unsigned long long)st->st_mode;
	v[n++] = (unsigned long long)st->st_size;
	v[n++] = file_time_ns(&st->st_mtim);
	v[n++] = file_time_ns(&st->st_ctim);
	for (; i < n; i++) {
		snprintf(b, sizeof b, "%llu", v[i]);
		if (!is(next(at, end), b))
			return 0;
	}
	return 1;
}

/* UID MODE of path's lstat equal the next tokens: a directory on a bind's way still lets no one
 * but root and the caller rename names in it (core/bind-sources.ts), as when nsbox kept the entry. */
static int same_owner(char **at, char *end, const char *path)
{
	struct stat st;
	char b[24];

	if (lstat(path, &st) < 0)
		return 0;
	snprintf(b, sizeof b, "%llu", (unsigned long long)st.st_uid);
	if (!is(next(at, end), b))
		return 0;
	snprintf(b, sizeof b, "%llu", (unsigned long long)st.st_mode);
	return is(next(at, end), b);
}

static const char *file_type(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? "missing" : NULL;
	return S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : S_ISLNK(st.st_mode) ? "symlink" : "other";
}

/* The header after the sum (FRONT.md "The entry"): every binding holds. Leaves *at at the wire,
 * *sandbox on the sandbox's name (empty: unnamed) and *record on the record's JSON. */
static const char *check_header(char **at, char *end, const struct stat *self, const char **sandbox, const char **record)
{
	struct utsname u;
	struct stat st;
	unsigned deps = 0;
	char *t, *path;
	int same;

	if (!is(next(at, end), "stage") || !same_stat(at, end, self, 0))
		return "the stage is not the file the entry was written for";
	if (!is(next(at, end), "nsbox") || stat(f.sibling, &st) < 0 || !same_stat(at, end, &st, 0))
		return "nsbox is not the file that wrote the entry";
	if (uname(&u) < 0 || !is(next(at, end), "kernel") || !is(next(at, end), u.release) ||
	    !is(next(at, end), u.version))
		return "another kernel";
	while ((t = next(at, end)) && (is(t, "dep") || is(t, "dep-type") || is(t, "dep-owner"))) {
		if (++deps > FRONT_MAX_DEPS || !(path = next(at, end)))
			return "bad dependencies";
		if (is(t, "dep"))
			same = lstat(path, &st) == 0 && same_stat(at, end, &st, 1);
		else if (is(t, "dep-owner"))
			same = same_owner(at, end, path);
		else
			same = is(next(at, end), file_type(path));
		if (!same)
			return missf("%.250s changed", path);
	}
	if (!is(t, "state") || !is(next(at, end), f.root))
		return "another state root";
	/* The name becomes a file name and a JSON string: only what nsbox itself takes. */
	if (!is(next(at, end), "name") || !(*sandbox = next(at, end)) || (**sandbox && !front_name_valid(*sandbox)))
		return "a name nsbox does not take";
	if (!is(next(at, end), "record") || !(*record = next(at, end)) || !is(next(at, end), "wire"))
		return "a malformed header";
	return NULL;
}

/* ROOT/plans/front-<hex>, checked and read whole into `entry`: its length, or 0 with *why. */
static size_t read_entry(const char *hex, uid_t uid, const char **why)
{
	char path[PATH_MAX];
	struct check_fail cf;
	struct stat st;
	size_t got = 0, size;
	ssize_t n;
	int fd, len = snprintf(path, sizeof path, "%s/plans", f.root);

	if (len < 0 || (size_t)len + sizeof "/front-" + 64 > sizeof path)
		return *why = "the state root is too long", 0;
	/* The plan cache's rule (isPrivateDir): ROOT/plans the caller's, 0700 at most, and no one
	 * but root or the caller can rename anything in it or above it. */
	if (lstat(path, &st) < 0)
		return *why = "no plans directory", 0;
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077))
		return *why = "the plans directory is not the caller's alone", 0;
	snprintf(path + len, sizeof path - (size_t)len, "/front-%s", hex);
	if (guarded_dirs(path, uid, 1, &cf) < 0)
		return *why = missf("%.250s", cf.why), 0;
	if ((fd = openat(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return *why = errno == ENOENT ? "no entry" : "the entry cannot be opened", 0;
	if (guarded_file(path, fd, uid, &st, &cf) < 0 || st.st_uid != uid || (st.st_mode & 077) ||
	    st.st_size > (off_t)FRONT_MAX_ENTRY) {
		close(fd);
		return *why = "the entry is not the caller's alone, or too large", 0;
	}
	size = (size_t)st.st_size;
	while (got < size) {
		n = pread(fd, f.entry + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != size)
		return *why = "the entry changed while it was read", 0;
	return got;
}

/* "nsbox-front" "3" "sum" HEX, and HEX the sha256 of every byte after it. */
static const char *check_sum(char **at, char *end)
{
	char hex[65], *sum;
	struct sha256 c;

	if (!is(next(at, end), "nsbox-front") || !is(next(at, end), "3") || !is(next(at, end), "sum") ||
	    !(sum = next(at, end)))
		return "not a front entry of format 3";
	sha256_init(&c);
	sha256_update(&c, *at, (size_t)(end - *at));
	sha256_hex(&c, hex);
	return strcmp(sum, hex) ? "checksum mismatch" : NULL;
}

/* The entry's wire with `on-exit-unlink RECORD` and `on-exit-unlink NAME` before its `end`,
 * decoded into *s: the supervisor removes the record when the sandbox ends, as for nsbox run. */
static const char *decode(char *wire, size_t len, const char *record, const char *name, struct spec *s)
{
	struct wire_error e;
	char *add = wire + len - sizeof "end", *rec_at, *name_at;

	/* "end" is a token of its own: the byte before it ends the previous one. */
	if (len < 2 + sizeof "end" || memcmp(add, "end", sizeof "end") != 0 || add[-1] != '\0')
		return "the wire does not end with `end`";
	add = stpcpy(add, "on-exit-unlink") + 1;
	rec_at = add;
	add = stpcpy(add, record) + 1;
	add = stpcpy(add, "on-exit-unlink") + 1;
	name_at = add;
	add = stpcpy(add, name) + 1;
	add = stpcpy(add, "end") + 1;
	if (wire_decode(wire, (size_t)(add - wire), s, &e) < 0)
		return missf("invalid wire spec: %.200s", e.reason);
	/* Decoded as the records they were added as, not as arguments of a truncated one. */
	if (s->n_on_exit_unlink < 2 || s->on_exit_unlink[s->n_on_exit_unlink - 2] != rec_at ||
	    s->on_exit_unlink[s->n_on_exit_unlink - 1] != name_at)
		return "the wire does not end with `end`";
	return NULL;
}

/* Everything before the sandbox starts; NULL when it may, else why not. */
static const char *prepare(int argc, char **argv, struct spec *s)
{
	char hex[65], self_path[PATH_MAX], record[PATH_MAX], name[PATH_MAX], *at, *end;
	const char *why, *sandbox, *spec_json;
	struct check_fail cf;
	struct stat self;
	uid_t uid;
	gid_t gid;
	size_t len;
	int fd;

	/* The entry and the state root are trusted as the real uid's: with other effective ids
	 * (a set-user-ID caller) they would run with rights their writer does not have. */
	if (caller_ids(&uid, &gid, &cf) < 0)
		return "real and effective ids differ";
	/* A line without an entry is the common miss: it is found first. */
	if ((why = key_hex(argc, argv, uid, gid, hex)))
		return why;
	if (!state_root(uid))
		return "the state root is not a clean absolute path";
	if (!(len = read_entry(hex, uid, &why)))
		return why;
	if ((fd = installed_self(self_path, &self, &cf)) < 0)
		return missf("%.250s", cf.why);
	close(fd);
	at = f.entry, end = f.entry + len;
	if ((why = check_sum(&at, end)) || (why = check_header(&at, end, &self, &sandbox, &spec_json)))
		return why;
	if (front_record_paths(f.root, sandbox, record, name) < 0)
		return "the state root is too long";
	if ((why = decode(at, (size_t)(end - at), record, name, s)))
		return why;
	return front_record_write(f.root, sandbox, spec_json, uid);
}

/* Where nsbox is: beside the stage's own file (FRONT.md "Layout"). */
static void find_sibling(void)
{
	char path[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", path, sizeof path);
	size_t dir;

	if (n <= 0 || n >= (ssize_t)sizeof path || path[0] != '/')
		return;
	path[n] = '\0';
	slash = strrchr(path, '/');
	dir = (size_t)(slash - path);
	if (dir + sizeof "/nsbox" <= sizeof f.sibling) {
		memcpy(f.sibling, path, dir);
		memcpy(f.sibling + dir, "/nsbox", sizeof "/nsbox");
	}
}

/* The front's argv and environment strings, as the supervisor and the init show them in
 * /proc: `nsbox` and nothing else, as when nsbox execs the stage. */
static void scrub(int argc, char **argv)
{
	size_t i;
	int a;

	for (a = 0; a < argc; a++)
		memset(argv[a], 0, strlen(argv[a]));
	memcpy(argv[0], "nsbox", 5); /* argv[0] ends in "nsbox": it is at least that long */
	for (i = 0; environ[i]; i++)
		memset(environ[i], 0, strlen(environ[i]));
}

_Noreturn void front_main(int argc, char **argv, struct spec *s)
{
	const char *why;

	find_sibling();
	if ((why = prepare(argc, argv, s)))
		miss(argv, why);
	trace("front: hit");
	scrub(argc, argv);
	stage_run(s, (char *)&f, sizeof f);
}
