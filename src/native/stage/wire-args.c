/* wire-args.c: parsers for the argument tokens of WIRE.md v1: canonical numbers, modes,
 * booleans, paths, names from a fixed list, id-map lines, rlimit values and the seccomp hex.
 * Each checks every byte and length of a hostile token and reports it with its index. */
#include "wire-args.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{"CPU", RLIMIT_CPU},         {"FSIZE", RLIMIT_FSIZE},     {"DATA", RLIMIT_DATA},
	{"STACK", RLIMIT_STACK},     {"CORE", RLIMIT_CORE},       {"RSS", RLIMIT_RSS},
	{"NPROC", RLIMIT_NPROC},     {"NOFILE", RLIMIT_NOFILE},   {"MEMLOCK", RLIMIT_MEMLOCK},
	{"AS", RLIMIT_AS},           {"LOCKS", RLIMIT_LOCKS},     {"SIGPENDING", RLIMIT_SIGPENDING},
	{"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},     {"RTPRIO", RLIMIT_RTPRIO},
	{"RTTIME", RLIMIT_RTTIME},
};

const char *wire_rlimit_name(int resource)
{
	size_t i;
	for (i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return "?";
}

int wire_fail(struct wire_error *e, unsigned token, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof e->reason, fmt, ap);
	va_end(ap);
	e->token = token;
	return -1;
}

/* Input bytes echoed in a message are cut short and made printable, so a hostile spec
 * cannot write escape sequences or megabytes to the caller's terminal. */
const char *arg_show(const struct tok *t, char out[44])
{
	size_t n = t->len < 40 ? t->len : 40, i;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t->p[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	strcpy(out + n, t->len > 40 ? "..." : "");
	return out;
}

static int arg_is_digits(const struct tok *t)
{
	size_t i;
	for (i = 0; i < t->len; i++)
		if (t->p[i] < '0' || t->p[i] > '9')
			return 0;
	return t->len > 0;
}

/* Unsigned decimal, canonical (no sign, no leading zero), at most max. */
int arg_num(const struct tok *t, uint64_t max, uint64_t *out, struct wire_error *e)
{
	char b[44];
	uint64_t v = 0;
	size_t i;
	if (!arg_is_digits(t) || (t->len > 1 && t->p[0] == '0'))
		return wire_fail(e, t->idx, "bad number '%s' (unsigned decimal, no leading zero)", arg_show(t, b));
	for (i = 0; i < t->len; i++) {
		unsigned d = (unsigned)(t->p[i] - '0');
		if (v > (max - d) / 10)
			return wire_fail(e, t->idx, "number '%s' out of range (max %llu)", arg_show(t, b),
					 (unsigned long long)max);
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int arg_u32(const struct tok *t, uint32_t *out, struct wire_error *e)
{
	uint64_t v;
	if (arg_num(t, UINT32_MAX, &v, e))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int arg_bool(const struct tok *t, int *out, struct wire_error *e)
{
	char b[44];
	if (t->len != 1 || (t->p[0] != '0' && t->p[0] != '1'))
		return wire_fail(e, t->idx, "expected 0 or 1, got '%s'", arg_show(t, b));
	*out = t->p[0] - '0';
	return 0;
}

/* MODE: 1 to 4 octal digits (leading zeros allowed: modes are written 0755), at most 07777. */
int arg_mode(const struct tok *t, uint32_t *out, struct wire_error *e)
{
	char b[44];
	uint32_t v = 0;
	size_t i;
	if (t->len < 1 || t->len > 4)
		return wire_fail(e, t->idx, "bad mode '%s' (1 to 4 octal digits)", arg_show(t, b));
	for (i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '7')
			return wire_fail(e, t->idx, "bad mode '%s' (1 to 4 octal digits)", arg_show(t, b));
		v = v * 8 + (uint32_t)(t->p[i] - '0');
	}
	*out = v;
	return 0;
}

/* Absolute, <= 4095 bytes, no empty/./.. component, no trailing '/' except "/" itself: a path
 * the stage can resolve component by component without any interpretation. */
int arg_path(const struct tok *t, struct wire_error *e)
{
	char b[44];
	size_t i, start;
	if (t->len == 0 || t->p[0] != '/')
		return wire_fail(e, t->idx, "path '%s' is not absolute", arg_show(t, b));
	if (t->len > WIRE_MAX_PATH)
		return wire_fail(e, t->idx, "path longer than %u bytes", WIRE_MAX_PATH);
	if (t->len == 1)
		return 0;
	for (start = 1, i = 1; i <= t->len; i++) {
		if (i < t->len && t->p[i] != '/')
			continue;
		size_t n = i - start;
		const char *c = t->p + start;
		if (n == 0)
			return wire_fail(e, t->idx, "path '%s' has an empty component or a trailing '/'",
					 arg_show(t, b));
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return wire_fail(e, t->idx, "path '%s' has a '.' or '..' component", arg_show(t, b));
		start = i + 1;
	}
	return 0;
}

/* An fd number of the stage: 0-2 are the payload's stdio, and nsbox never passes fds that
 * high (the default soft RLIMIT_NOFILE is 1024). */
int arg_fd(const struct tok *t, const char *what, uint32_t *out, struct wire_error *e)
{
	uint64_t v;
	if (arg_num(t, 65535, &v, e))
		return -1;
	if (v < 3)
		return wire_fail(e, t->idx, "%s must be 3 to 65535", what);
	*out = (uint32_t)v;
	return 0;
}

/* 1 to max printable ASCII bytes: text the stage prints or writes verbatim, so it can carry
 * no escape sequence and no newline (a sysctl value or a message is one line). */
int arg_text(const struct tok *t, size_t max, const char *what, struct wire_error *e)
{
	size_t i;
	if (t->len == 0 || t->len > max)
		return wire_fail(e, t->idx, "%s must be 1 to %zu bytes", what, max);
	for (i = 0; i < t->len; i++)
		if ((unsigned char)t->p[i] < 0x20 || (unsigned char)t->p[i] > 0x7e)
			return wire_fail(e, t->idx, "%s has a byte that is not printable ASCII (at %zu)", what, i);
	return 0;
}

/* A key of a flat-keyed counter file (memory.events, pids.events, memory.oom_control):
 * 1 to max of [A-Za-z0-9_.-], so it cannot contain the separator it is matched against. */
int arg_word(const struct tok *t, size_t max, const char *what, struct wire_error *e)
{
	char b[44];
	size_t i;
	if (t->len == 0 || t->len > max)
		return wire_fail(e, t->idx, "%s must be 1 to %zu bytes", what, max);
	for (i = 0; i < t->len; i++) {
		char c = t->p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return wire_fail(e, t->idx, "bad %s '%s' (letters, digits, '_', '.', '-')", what,
					 arg_show(t, b));
	}
	return 0;
}

/* NAME below /proc/sys: [a-z0-9_]+(/[a-z0-9_.-]+)*, no '.' or '..' component and no '..'
 * at all: the file is opened with RESOLVE_BENEATH anyway, but a name that needs it is a bug
 * in whoever wrote the spec. '.' is allowed after the first component for interface names
 * (net/ipv4/conf/eth0.100/forwarding). */
int arg_sysctl_name(const struct tok *t, struct wire_error *e)
{
	char b[44];
	size_t i, start = 0;
	if (t->len == 0 || t->len > WIRE_MAX_SYSCTL_NAME)
		return wire_fail(e, t->idx, "sysctl name must be 1 to %u bytes", WIRE_MAX_SYSCTL_NAME);
	for (i = 0; i + 1 < t->len; i++)
		if (t->p[i] == '.' && t->p[i + 1] == '.')
			return wire_fail(e, t->idx, "sysctl name '%s' contains '..'", arg_show(t, b));
	for (i = 0; i <= t->len; i++) {
		char c = i < t->len ? t->p[i] : '/';
		if (c == '/') {
			if (i == start || (i - start == 1 && t->p[start] == '.'))
				return wire_fail(e, t->idx, "sysctl name '%s' has an empty or '.' component",
						 arg_show(t, b));
			start = i + 1;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		    (start > 0 && (c == '.' || c == '-')))
			continue;
		return wire_fail(e, t->idx, "bad sysctl name '%s' ([a-z0-9_]+ then /[a-z0-9_.-]+ components)",
				 arg_show(t, b));
	}
	return 0;
}

int arg_pick(const struct tok *t, const char *const *names, int n, const char *what,
		struct wire_error *e)
{
	char b[44];
	int i;
	for (i = 0; i < n; i++)
		if (strlen(names[i]) == t->len && memcmp(names[i], t->p, t->len) == 0)
			return i;
	wire_fail(e, t->idx, "unknown %s '%s'", what, arg_show(t, b));
	return -1;
}

/* Numbers a map line can carry: first + count must stay below 2^32 (the kernel refuses a
 * range that wraps, and (u32)-1 is never a valid id). */
int arg_map(const struct tok *a, struct id_range *r, struct wire_error *e)
{
	if (arg_u32(&a[0], &r->inside, e) || arg_u32(&a[1], &r->outside, e) ||
	    arg_u32(&a[2], &r->count, e))
		return -1;
	if (r->count == 0)
		return wire_fail(e, a[2].idx, "map count must be at least 1");
	if ((uint64_t)r->inside + r->count > UINT32_MAX || (uint64_t)r->outside + r->count > UINT32_MAX)
		return wire_fail(e, a[2].idx, "map range overflows 2^32-1");
	return 0;
}

static int arg_rlimit_value(const struct tok *t, uint64_t *v, struct wire_error *e)
{
	if (t->len == 3 && memcmp(t->p, "inf", 3) == 0) {
		*v = UINT64_MAX;
		return 0;
	}
	return arg_num(t, UINT64_MAX, v, e);
}

int arg_seccomp(struct spec *s, const struct tok *t, struct wire_error *e)
{
	size_t i;
	unsigned char *out = (unsigned char *)t->p;
	/* 8 bytes (16 hex digits) per struct sock_filter, and no more than the kernel loads. */
	if (t->len == 0 || t->len % 16 != 0 || t->len / 16 > 4096)
		return wire_fail(e, t->idx, "seccomp must be 1 to 4096 BPF instructions (16 hex digits each)");
	for (i = 0; i < t->len; i++) {
		char c = t->p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return wire_fail(e, t->idx, "seccomp is not lowercase hex");
	}
	/* In place: byte i is written at i, after digits 2i and 2i+1 were read. */
	for (i = 0; i < t->len / 2; i++) {
		char h = t->p[2 * i], l = t->p[2 * i + 1];
		unsigned hv = (unsigned)(h <= '9' ? h - '0' : h - 'a' + 10);
		unsigned lv = (unsigned)(l <= '9' ? l - '0' : l - 'a' + 10);
		out[i] = (unsigned char)(hv << 4 | lv);
	}
	s->seccomp = out;
	s->seccomp_len = t->len / 2;
	return 0;
}

/* RESOURCE SOFT HARD: one record per resource, soft <= hard (setrlimit(2) refuses the
 * reverse with EINVAL; refused here with a clearer message). */
int arg_rlimit(struct spec *s, const struct tok *a, struct wire_error *e)
{
	struct rlimit_rec *r = &s->rlimits[s->n_rlimits];
	const char *names[sizeof rlimit_names / sizeof rlimit_names[0]];
	unsigned k;
	int i;
	for (k = 0; k < sizeof names / sizeof names[0]; k++)
		names[k] = rlimit_names[k].name;
	if ((i = arg_pick(&a[0], names, (int)k, "rlimit resource", e)) < 0 ||
	    arg_rlimit_value(&a[1], &r->soft, e) || arg_rlimit_value(&a[2], &r->hard, e))
		return -1;
	r->resource = rlimit_names[i].resource;
	for (k = 0; k < s->n_rlimits; k++)
		if (s->rlimits[k].resource == r->resource)
			return wire_fail(e, a[0].idx, "duplicate rlimit %s", names[i]);
	if (r->soft > r->hard)
		return wire_fail(e, a[1].idx, "rlimit %s: soft limit above hard limit", names[i]);
	s->n_rlimits++;
	return 0;
}
