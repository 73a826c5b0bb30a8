/* report.c: the probe's output, one line per probe on stdout, and the hold handshake with nsbox.
 * Values are plain words or hex, so nsbox's parser never has to unescape anything. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void append(struct line *l, const char *s)
{
	size_t n = strlen(s);
	if (l->len + n >= sizeof l->buf - 1)
		n = sizeof l->buf - 2 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Anything but [A-Za-z0-9_.,:/@+-] becomes '_': a value is one word on the line. */
static void append_word(struct line *l, const char *s)
{
	for (; *s && l->len < sizeof l->buf - 2; s++) {
		char c = *s;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    strchr("_.,:/@+-", c) != NULL;
		l->buf[l->len++] = plain ? c : '_';
	}
}

void line_start(struct line *l, const char *kind, const char *name)
{
	l->len = 0;
	append(l, kind);
	append(l, " ");
	append_word(l, name);
}

void line_word(struct line *l, const char *key, const char *value)
{
	append(l, " ");
	append(l, key);
	append(l, "=");
	append_word(l, value);
}

void line_num(struct line *l, const char *key, long long value)
{
	char num[32];
	snprintf(num, sizeof num, "%lld", value);
	line_word(l, key, num);
}

void line_errno(struct line *l, const char *key, int err)
{
	line_word(l, key, errno_name(err));
}

void line_hex(struct line *l, const char *key, const void *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;
	append(l, " ");
	append(l, key);
	append(l, "=");
	for (i = 0; i < n && l->len < sizeof l->buf - 3; i++) {
		l->buf[l->len++] = digits[p[i] >> 4];
		l->buf[l->len++] = digits[p[i] & 15];
	}
}

void line_emit(struct line *l)
{
	size_t off = 0;
	l->buf[l->len++] = '\n';
	while (off < l->len) {
		ssize_t n = write(1, l->buf + off, l->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			exit(3); /* nsbox is gone: nobody reads the verdicts */
		off += (size_t)n;
	}
}

void report_fail(const char *name, const char *step, int err)
{
	struct line l;
	line_start(&l, "probe", name);
	line_num(&l, "ok", 0);
	line_word(&l, "step", step);
	line_errno(&l, "errno", err);
	line_emit(&l);
}

void hold(const char *name, const char *phase, int ok)
{
	struct line l;
	char ack;
	line_start(&l, "hold", name);
	line_word(&l, "phase", phase);
	line_num(&l, "ok", ok);
	line_num(&l, "pid", getpid());
	line_emit(&l);
	/* EOF means nsbox stopped listening; go on rather than hang. */
	while (read(0, &ack, 1) < 0 && errno == EINTR)
		;
}

long read_file(const char *path, void *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	long got;
	if (fd < 0)
		return -1;
	got = read(fd, buf, n);
	if (got < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return got;
}

long long parse_num(const char *s)
{
	char *end;
	long long v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return (errno || *end || v < 0) ? -1 : v;
}

int is_own_pid(long long pid)
{
	return pid <= 1 || pid == getpid() || pid == getppid();
}

const char *errno_name(int err)
{
	static char other[16];
	switch (err) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case EROFS: return "EROFS";
	case ENOSYS: return "ENOSYS";
	case ELOOP: return "ELOOP";
	case ENOKEY: return "ENOKEY";
	case EKEYREVOKED: return "EKEYREVOKED";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EDQUOT: return "EDQUOT";
	case ESTALE: return "ESTALE";
	default:
		snprintf(other, sizeof other, "E%d", err);
		return other;
	}
}
