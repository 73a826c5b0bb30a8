/* wire.c: the WIRE.md v1 decoder: framing (NUL-terminated tokens, size limits), the op table
 * (argument counts, repeat limits) and records into struct spec. Input is hostile: lengths are
 * checked before use, nothing is allocated. Arguments: wire-args.c; cross rules: wire-check.c. */
#include "wire-args.h"

#include <string.h>

/* max: how many records of the op may appear (0 = only the global record limit applies). */
static const struct {
	const char *name;
	unsigned nargs, max;
} ops[OP_COUNT] = {
	[OP_CLONE] = {"clone", 1, 1},          [OP_JOIN] = {"join", 2, NS_COUNT},
	[OP_NS_FD] = {"ns-fd", 1, WIRE_MAX_NS_FD},
	[OP_UIDMAP] = {"uidmap", 3, WIRE_MAX_MAP}, [OP_GIDMAP] = {"gidmap", 3, WIRE_MAX_MAP},
	[OP_SETGROUPS] = {"setgroups", 1, 1},  [OP_PROPAGATION] = {"propagation", 1, 1},
	[OP_BIND] = {"bind", 3, 0},            [OP_TMPFS] = {"tmpfs", 3, 0},
	[OP_PROC] = {"proc", 1, 0},            [OP_DEV] = {"dev", 1, 0},
	[OP_MQUEUE] = {"mqueue", 1, 0},        [OP_DIR] = {"dir", 2, 0},
	[OP_SYMLINK] = {"symlink", 2, 0},      [OP_MASK] = {"mask", 1, 0},
	[OP_REMOUNT_RO] = {"remount-ro", 1, 0}, [OP_HOSTNAME] = {"hostname", 1, 1},
	[OP_LO_UP] = {"lo-up", 0, 1},          [OP_SYSCTL] = {"sysctl", 2, WIRE_MAX_SYSCTL},
	[OP_UID] = {"uid", 1, 1},
	[OP_GID] = {"gid", 1, 1},              [OP_CWD] = {"cwd", 1, 1},
	[OP_ENV] = {"env", 1, WIRE_MAX_ENV},   [OP_ENV_PID] = {"env-pid", 1, 1},
	[OP_KEEP_FD] = {"keep-fd", 1, WIRE_MAX_KEEP_FD}, [OP_PASS_FD] = {"pass-fd", 1, WIRE_MAX_PASS_FD},
	[OP_INIT] = {"init", 1, 1},
	[OP_NEW_SESSION] = {"new-session", 1, 1}, [OP_DIE_WITH_PARENT] = {"die-with-parent", 1, 1},
	[OP_NO_NEW_PRIVS] = {"no-new-privs", 1, 1}, [OP_CAPS] = {"caps", 1, 1},
	[OP_RLIMIT] = {"rlimit", 3, WIRE_MAX_RLIMIT}, [OP_SECCOMP] = {"seccomp", 1, 1},
	[OP_CGROUP] = {"cgroup", 1, 1},        [OP_CGROUP_JOIN] = {"cgroup-join", 1, WIRE_MAX_CGROUP_JOIN},
	[OP_WATCH] = {"watch", 3, WIRE_MAX_WATCH}, [OP_ARGV] = {"argv", 1, 0},
	[OP_PERSIST] = {"persist", 1, 1},      [OP_PERSIST_LINK] = {"persist-link", 2, WIRE_MAX_PERSIST_LINK},
	[OP_ON_EXIT_UNLINK] = {"on-exit-unlink", 1, WIRE_MAX_ON_EXIT},
	[OP_ON_EXIT_RMDIR] = {"on-exit-rmdir", 1, WIRE_MAX_ON_EXIT},
	[OP_BIND_IDMAP] = {"bind-idmap", 5, WIRE_MAX_BIND_IDMAP},
	[OP_PUBLISH] = {"publish", 2, WIRE_MAX_PUBLISH},
	[OP_LOG] = {"log", 3, 1},
};

struct cursor {
	char *buf;
	size_t len, pos;
	unsigned idx;
};

/* Returns 1 with a token, 0 at the end of the stream, -1 on a framing error. The NUL is
 * searched for within one maximal token only, so a hostile stream without NULs costs at most
 * 128 KiB of scanning per token. */
static int next_token(struct cursor *c, struct tok *t, struct wire_error *e)
{
	size_t left, scan;
	char *nul;
	if (c->pos == c->len)
		return 0;
	left = c->len - c->pos;
	scan = left < WIRE_MAX_TOKEN ? left : WIRE_MAX_TOKEN;
	nul = memchr(c->buf + c->pos, 0, scan);
	if (!nul) {
		if (left >= WIRE_MAX_TOKEN)
			return wire_fail(e, c->idx, "token longer than %u bytes", WIRE_MAX_TOKEN - 1);
		return wire_fail(e, c->idx, "truncated: the last token has no terminating NUL");
	}
	t->p = c->buf + c->pos;
	t->len = (size_t)(nul - t->p);
	t->idx = c->idx++;
	c->pos += t->len + 1;
	return 1;
}

static int add_step(struct spec *s, uint8_t kind, const char *src, const struct tok *dst,
		    unsigned at, struct wire_error *e)
{
	struct mount_step *m = &s->steps[s->n_steps++]; /* bounded: one step per record */
	if (arg_path(dst, e))
		return -1;
	m->kind = kind;
	m->at = at;
	m->src = src;
	m->dst = dst->p;
	return 0;
}

/* A path record that may repeat: an absolute WIRE path, not given twice (a second unlink,
 * join or bind of the same file is a bug in whoever wrote the spec). */
static int add_path(const char **list, unsigned *n, const struct tok *t, const char *op,
		    struct wire_error *e)
{
	char b[44];
	unsigned k;
	if (arg_path(t, e))
		return -1;
	for (k = 0; k < *n; k++)
		if (strcmp(list[k], t->p) == 0)
			return wire_fail(e, t->idx, "duplicate %s '%s'", op, arg_show(t, b));
	list[(*n)++] = t->p;
	return 0;
}

static int pick_kind(const struct tok *t, struct wire_error *e)
{
	const char *kinds[NS_COUNT];
	int i;
	for (i = 0; i < NS_COUNT; i++)
		kinds[i] = ns_kinds[i].name;
	return arg_pick(t, kinds, NS_COUNT, "namespace kind", e);
}

static int parse_record(struct spec *s, enum op op, struct tok *a, unsigned at, struct wire_error *e)
{
	static const char *const sg[] = {"allow", "deny"};
	static const char *const prop[] = {"slave", "private", "shared", "unchanged"};
	uint64_t v;
	int i;
	char b[44];

	switch (op) {
	case OP_CLONE: {
		uint64_t all = 0;
		if (arg_num(&a[0], UINT64_MAX, &s->clone_flags, e))
			return -1;
		for (i = 0; i < NS_COUNT; i++)
			all |= ns_kinds[i].flag;
		if (s->clone_flags & ~all)
			return wire_fail(e, a[0].idx, "clone has bits other than namespace flags: 0x%llx",
					 (unsigned long long)(s->clone_flags & ~all));
		return 0;
	}
	case OP_JOIN:
		if ((i = pick_kind(&a[0], e)) < 0 || arg_path(&a[1], e))
			return -1;
		if (s->join[i])
			return wire_fail(e, a[0].idx, "duplicate join of kind '%s'", ns_kinds[i].name);
		s->join[i] = a[1].p;
		s->join_at[i] = at;
		return 0;
	case OP_NS_FD: {
		uint32_t fd;
		unsigned k;
		if (arg_fd(&a[0], "ns-fd", &fd, e))
			return -1;
		for (k = 0; k < s->n_ns_fd; k++)
			if (s->ns_fd[k] == fd)
				return wire_fail(e, a[0].idx, "duplicate ns-fd %u", fd);
		s->ns_fd[s->n_ns_fd++] = fd;
		return 0;
	}
	case OP_UIDMAP:
		return arg_map(a, &s->uidmap[s->n_uidmap++], e);
	case OP_GIDMAP:
		return arg_map(a, &s->gidmap[s->n_gidmap++], e);
	case OP_SETGROUPS:
		if ((i = arg_pick(&a[0], sg, 2, "setgroups value", e)) < 0)
			return -1;
		s->setgroups = i == 0 ? SETGROUPS_ALLOW : SETGROUPS_DENY;
		return 0;
	case OP_PROPAGATION:
		if ((i = arg_pick(&a[0], prop, 4, "propagation", e)) < 0)
			return -1;
		s->propagation = (enum propagation)i;
		return 0;
	case OP_BIND:
		if (arg_path(&a[0], e) || add_step(s, STEP_BIND, a[0].p, &a[1], at, e) ||
		    arg_num(&a[2], UINT32_MAX, &v, e))
			return -1;
		if (v & ~(uint64_t)(BIND_RO | BIND_OPTIONAL | BIND_DEV | BIND_IDMAP | BIND_NO_SYMLINKS))
			return wire_fail(e, a[2].idx, "bind flags has unknown bits (known: 1 2 4 8)");
		s->steps[s->n_steps - 1].flags = (uint32_t)v;
		return 0;
	case OP_TMPFS:
		if (add_step(s, STEP_TMPFS, NULL, &a[0], at, e) ||
		    arg_mode(&a[1], &s->steps[s->n_steps - 1].mode, e) ||
		    arg_num(&a[2], UINT64_MAX, &s->steps[s->n_steps - 1].size, e))
			return -1;
		return 0;
	case OP_PROC:
		return add_step(s, STEP_PROC, NULL, &a[0], at, e);
	case OP_DEV:
		return add_step(s, STEP_DEV, NULL, &a[0], at, e);
	case OP_MQUEUE:
		return add_step(s, STEP_MQUEUE, NULL, &a[0], at, e);
	case OP_DIR:
		if (add_step(s, STEP_DIR, NULL, &a[0], at, e))
			return -1;
		return arg_mode(&a[1], &s->steps[s->n_steps - 1].mode, e);
	case OP_SYMLINK:
		if (a[0].len == 0 || a[0].len > WIRE_MAX_PATH)
			return wire_fail(e, a[0].idx, "symlink target must be 1 to %u bytes", WIRE_MAX_PATH);
		return add_step(s, STEP_SYMLINK, a[0].p, &a[1], at, e);
	case OP_MASK:
		/* A tmpfs over the new root would hide the whole sandbox: surely a mistake. */
		if (a[0].len == 1 && a[0].p[0] == '/')
			return wire_fail(e, a[0].idx, "mask / would hide the whole root");
		return add_step(s, STEP_MASK, NULL, &a[0], at, e);
	case OP_REMOUNT_RO:
		return add_step(s, STEP_REMOUNT_RO, NULL, &a[0], at, e);
	case OP_HOSTNAME:
		if (a[0].len == 0 || a[0].len > WIRE_MAX_HOSTNAME)
			return wire_fail(e, a[0].idx, "hostname must be 1 to %u bytes", WIRE_MAX_HOSTNAME);
		s->hostname = a[0].p;
		return 0;
	case OP_LO_UP:
		s->lo_up = 1;
		return 0;
	case OP_SYSCTL: {
		unsigned k;
		if (arg_sysctl_name(&a[0], e) || arg_text(&a[1], WIRE_MAX_SYSCTL_VALUE, "sysctl value", e))
			return -1;
		for (k = 0; k < s->n_sysctl; k++)
			if (strcmp(s->sysctl[k].name, a[0].p) == 0)
				return wire_fail(e, a[0].idx, "duplicate sysctl '%s'", arg_show(&a[0], b));
		s->sysctl[s->n_sysctl].name = a[0].p;
		s->sysctl[s->n_sysctl++].value = a[1].p;
		return 0;
	}
	case OP_UID:
	case OP_GID: {
		uint32_t *id = op == OP_UID ? &s->uid : &s->gid;
		if (arg_u32(&a[0], id, e))
			return -1;
		/* (uid_t)-1 means "leave unchanged" to setresuid(2): never a real id. */
		if (*id == UINT32_MAX)
			return wire_fail(e, a[0].idx, "id 4294967295 is reserved");
		return 0;
	}
	case OP_CWD:
		if (arg_path(&a[0], e))
			return -1;
		s->cwd = a[0].p;
		return 0;
	case OP_ENV: {
		const char *eq = memchr(a[0].p, '=', a[0].len);
		if (!eq || eq == a[0].p)
			return wire_fail(e, a[0].idx, "env '%s' is not KEY=VALUE with a non-empty KEY",
					 arg_show(&a[0], b));
		s->env[s->n_env++] = a[0].p;
		return 0;
	}
	case OP_ENV_PID:
		if (a[0].len == 0 || a[0].len > WIRE_MAX_ENV_KEY || memchr(a[0].p, '=', a[0].len))
			return wire_fail(e, a[0].idx, "env-pid KEY must be 1 to %u bytes without '='",
					 WIRE_MAX_ENV_KEY);
		s->env_pid = a[0].p;
		return 0;
	case OP_KEEP_FD: {
		uint32_t fd;
		unsigned k;
		/* 0-2 always reach the payload; the stage's own fds are above them. */
		if (arg_fd(&a[0], "keep-fd", &fd, e))
			return -1;
		for (k = 0; k < s->n_keep_fd; k++)
			if (s->keep_fd[k] == fd)
				return wire_fail(e, a[0].idx, "duplicate keep-fd %u", fd);
		s->keep_fd[s->n_keep_fd++] = fd;
		return 0;
	}
	case OP_PASS_FD: {
		uint32_t fd;
		unsigned k;
		/* One socket at two positions would make LISTEN_FDS count it twice: a caller's bug. */
		if (arg_fd(&a[0], "pass-fd", &fd, e))
			return -1;
		for (k = 0; k < s->n_pass_fd; k++)
			if (s->pass_fd[k] == fd)
				return wire_fail(e, a[0].idx, "duplicate pass-fd %u", fd);
		s->pass_fd[s->n_pass_fd++] = fd;
		return 0;
	}
	case OP_INIT:
		return arg_bool(&a[0], &s->init, e);
	case OP_NEW_SESSION:
		return arg_bool(&a[0], &s->new_session, e);
	case OP_DIE_WITH_PARENT:
		return arg_bool(&a[0], &s->die_with_parent, e);
	case OP_NO_NEW_PRIVS:
		return arg_bool(&a[0], &s->no_new_privs, e);
	case OP_CAPS:
		return arg_num(&a[0], UINT64_MAX, &s->caps, e);
	case OP_RLIMIT:
		return arg_rlimit(s, a, e);
	case OP_SECCOMP:
		return arg_seccomp(s, &a[0], e);
	case OP_CGROUP:
		if (arg_path(&a[0], e))
			return -1;
		s->cgroup = a[0].p;
		return 0;
	case OP_CGROUP_JOIN:
		return add_path(s->cgroup_join, &s->n_cgroup_join, &a[0], "cgroup-join", e);
	case OP_WATCH: {
		struct watch_rec *w = &s->watch[s->n_watch];
		if (arg_path(&a[0], e) || arg_word(&a[1], WIRE_MAX_WATCH_KEY, "watch key", e) ||
		    arg_text(&a[2], WIRE_MAX_WATCH_MESSAGE, "watch message", e))
			return -1;
		w->file = a[0].p;
		w->key = a[1].p;
		w->message = a[2].p;
		s->n_watch++;
		return 0;
	}
	case OP_PERSIST:
		if (arg_path(&a[0], e))
			return -1;
		s->persist = a[0].p;
		return 0;
	case OP_PERSIST_LINK: {
		struct persist_link *l = &s->persist_link[s->n_persist_link];
		const char *paths[WIRE_MAX_PERSIST_LINK];
		unsigned k, n = s->n_persist_link;
		if ((i = pick_kind(&a[0], e)) < 0)
			return -1;
		for (k = 0; k < n; k++)
			paths[k] = s->persist_link[k].path;
		if (add_path(paths, &n, &a[1], "persist-link", e))
			return -1;
		l->kind = (enum ns_kind)i;
		l->path = a[1].p;
		s->n_persist_link++;
		return 0;
	}
	case OP_ON_EXIT_UNLINK:
		return add_path(s->on_exit_unlink, &s->n_on_exit_unlink, &a[0], "on-exit-unlink", e);
	case OP_ON_EXIT_RMDIR:
		return add_path(s->on_exit_rmdir, &s->n_on_exit_rmdir, &a[0], "on-exit-rmdir", e);
	case OP_BIND_IDMAP: {
		static const char *const kinds[] = {"uid", "gid"};
		struct bind_idmap *b = &s->bind_idmap[s->n_bind_idmap++];
		if (arg_path(&a[0], e) || (i = arg_pick(&a[1], kinds, 2, "bind-idmap kind", e)) < 0 ||
		    arg_map(&a[2], &b->r, e))
			return -1;
		b->dst = a[0].p;
		b->gid = i;
		b->at = at;
		return 0;
	}
	case OP_PUBLISH: {
		struct publish_rec *p = &s->publish[s->n_publish];
		uint64_t port;
		unsigned k;
		if (arg_fd(&a[0], "publish", &p->fd, e) || arg_num(&a[1], 65535, &port, e))
			return -1;
		if (port == 0)
			return wire_fail(e, a[1].idx, "publish port must be 1 to 65535");
		for (k = 0; k < s->n_publish; k++)
			if (s->publish[k].fd == p->fd)
				return wire_fail(e, a[0].idx, "duplicate publish fd %u", p->fd);
		p->port = (uint16_t)port;
		s->n_publish++;
		return 0;
	}
	case OP_LOG: {
		uint64_t max;
		if (arg_fd(&a[0], "log", &s->log_dir, e) ||
		    arg_word(&a[1], WIRE_MAX_LOG_NAME, "log name", e) ||
		    arg_num(&a[2], UINT64_MAX >> 2, &max, e))
			return -1;
		if (!strcmp(a[1].p, ".") || !strcmp(a[1].p, ".."))
			return wire_fail(e, a[1].idx, "log name must be a file name, not '%s'", a[1].p);
		if (max < WIRE_MIN_LOG_MAX)
			return wire_fail(e, a[2].idx, "log max must be at least %u bytes", WIRE_MIN_LOG_MAX);
		s->log_name = a[1].p;
		s->log_max = max;
		return 0;
	}
	case OP_ARGV:
		/* argv[0] is looked up in PATH and built into a path: keep it a usable name. */
		if (s->n_argv == 0 && (a[0].len == 0 || a[0].len > WIRE_MAX_PATH))
			return wire_fail(e, a[0].idx, "argv[0] must be 1 to %u bytes", WIRE_MAX_PATH);
		s->argv[s->n_argv++] = a[0].p;
		return 0;
	case OP_COUNT:
		break;
	}
	return wire_fail(e, a[0].idx, "internal: unhandled op");
}

int wire_decode(char *buf, size_t len, struct spec *s, struct wire_error *e)
{
	struct cursor c = {buf, len, 0, 0};
	struct tok t, args[3];
	unsigned counts[OP_COUNT] = {0}, records = 0, k;
	char b[44];
	int r;

	if (len > WIRE_MAX_STREAM)
		return wire_fail(e, 0, "stream larger than %u bytes", WIRE_MAX_STREAM);
	if (len == 0)
		return wire_fail(e, 0, "empty input");
	s->propagation = PROP_SLAVE;
	s->init = -1; /* default depends on clone: resolved by wire_check */
	s->new_session = 1;
	s->no_new_privs = 1;
	s->cwd = "/";

	if ((r = next_token(&c, &t, e)) <= 0)
		return r < 0 ? -1 : wire_fail(e, 0, "truncated: no magic");
	if (t.len != sizeof WIRE_MAGIC - 1 || memcmp(t.p, WIRE_MAGIC, t.len) != 0)
		return wire_fail(e, 0, "bad magic '%s' (expected '%s')", arg_show(&t, b), WIRE_MAGIC);
	if ((r = next_token(&c, &t, e)) <= 0)
		return r < 0 ? -1 : wire_fail(e, 1, "truncated: no version");
	if (t.len != 1 || t.p[0] != '1')
		return wire_fail(e, 1, "unsupported version '%s' (this stage reads version 1)", arg_show(&t, b));

	for (;;) {
		enum op op;
		if ((r = next_token(&c, &t, e)) < 0)
			return -1;
		if (r == 0)
			return wire_fail(e, c.idx, "truncated: missing 'end'");
		if (t.len == 3 && memcmp(t.p, "end", 3) == 0) {
			if (c.pos != c.len)
				return wire_fail(e, c.idx, "%zu bytes after 'end'", c.len - c.pos);
			s->end_at = t.idx;
			break;
		}
		for (op = 0; op < OP_COUNT; op++)
			if (strlen(ops[op].name) == t.len && memcmp(ops[op].name, t.p, t.len) == 0)
				break;
		if (op == OP_COUNT)
			return wire_fail(e, t.idx, "unknown op '%s'", arg_show(&t, b));
		if (++records > WIRE_MAX_RECORDS)
			return wire_fail(e, t.idx, "too many records (max %u)", WIRE_MAX_RECORDS);
		if (ops[op].max && ++counts[op] > ops[op].max) {
			if (ops[op].max == 1)
				return wire_fail(e, t.idx, "duplicate '%s' (allowed once)", ops[op].name);
			return wire_fail(e, t.idx, "too many '%s' records (max %u)", ops[op].name, ops[op].max);
		}
		if (!s->op_at[op])
			s->op_at[op] = t.idx;
		for (k = 0; k < ops[op].nargs; k++) {
			if ((r = next_token(&c, &args[k], e)) < 0)
				return -1;
			if (r == 0)
				return wire_fail(e, c.idx, "truncated: '%s' needs %u argument%s", ops[op].name,
						 ops[op].nargs, ops[op].nargs == 1 ? "" : "s");
		}
		if (parse_record(s, op, ops[op].nargs ? args : &t, t.idx, e))
			return -1;
	}
	return wire_check(s, e);
}
