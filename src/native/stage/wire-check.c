/* wire-check.c: the WIRE.md rules that span records (required ops, what needs which namespace,
 * id maps the kernel would refuse), checked once after `end` so a spec is refused before the
 * stage has any side effect, with the token of the record at fault. */
#include "wire.h"

#include <sched.h>
#include <string.h>

static unsigned digits(uint32_t v)
{
	unsigned n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int overlaps(uint32_t a, uint32_t b, uint32_t n, uint32_t m)
{
	return (uint64_t)a < (uint64_t)b + m && (uint64_t)b < (uint64_t)a + n;
}

static int mapped(const struct id_range *m, unsigned n, uint32_t id)
{
	unsigned i;
	for (i = 0; i < n; i++)
		if (id >= m[i].inside && (uint64_t)id < (uint64_t)m[i].inside + m[i].count)
			return 1;
	return 0;
}

/* The kernel takes a whole map in one write() shorter than a page (user_namespaces(7)) and
 * refuses overlapping ranges on either side; checking here turns a late EINVAL into a clear
 * message. 4096 is the smallest page size, so the rule holds on every architecture. */
static int check_map(const struct id_range *m, unsigned n, const char *name, unsigned at,
		     struct wire_error *e)
{
	unsigned i, j, bytes = 0;
	for (i = 0; i < n; i++) {
		bytes += digits(m[i].inside) + digits(m[i].outside) + digits(m[i].count) + 3;
		for (j = 0; j < i; j++) {
			if (overlaps(m[i].inside, m[j].inside, m[i].count, m[j].count))
				return wire_fail(e, at, "%s ranges overlap inside", name);
			if (overlaps(m[i].outside, m[j].outside, m[i].count, m[j].count))
				return wire_fail(e, at, "%s ranges overlap outside", name);
		}
	}
	if (bytes >= 4096)
		return wire_fail(e, at, "%s is %u bytes written out; the kernel takes under 4096", name, bytes);
	return 0;
}

static int needs(const struct spec *s, uint64_t flag, const char *flag_name, unsigned at,
		 const char *what, struct wire_error *e)
{
	if (at && !(s->clone_flags & flag))
		return wire_fail(e, at, "%s requires %s in clone", what, flag_name);
	return 0;
}

/* Persist mode (WIRE.md "Persist"): the child builds the namespaces and stops; the supervisor
 * binds their files and kills it. */
static int check_persist(const struct spec *s, struct wire_error *e)
{
	const unsigned *at = s->op_at;
	unsigned i;
	if (s->n_argv)
		return wire_fail(e, at[OP_ARGV], "persist runs no payload: argv must be absent");
	/* pid_namespaces(7): once the init of a PID namespace is gone, no process can enter it. */
	if (s->clone_flags & CLONE_NEWPID)
		return wire_fail(e, at[OP_CLONE], "persist refuses CLONE_NEWPID (a PID namespace "
				 "without its init cannot be entered)");
	if (!(s->clone_flags & ~(uint64_t)CLONE_NEWPID))
		return wire_fail(e, at[OP_PERSIST], "persist requires clone to create a namespace");
	/* The binds are made by the supervisor in its own mount namespace, on files it opened
	 * there; a joined mount namespace would make them cross namespaces (EINVAL). */
	if (s->join[NS_MNT])
		return wire_fail(e, s->join_at[NS_MNT], "persist cannot be combined with join mnt");
	for (i = 0; i < s->n_persist_link; i++)
		if (!(s->clone_flags & ns_kinds[s->persist_link[i].kind].flag))
			return wire_fail(e, at[OP_PERSIST_LINK], "persist-link '%s': clone does not create it",
					 ns_kinds[s->persist_link[i].kind].name);
	return 0;
}

/* pass-fd N moves fd N to 3+i (i its position) and keeps it; keep-fd keeps an fd where it is;
 * ns-fd is closed before the clone. An fd in two of those roles, or a keep-fd where a passed
 * fd lands, would be silently closed or replaced: refused. */
static int check_pass_fds(const struct spec *s, struct wire_error *e)
{
	const unsigned *at = s->op_at;
	unsigned i, k;
	for (i = 0; i < s->n_pass_fd; i++) {
		for (k = 0; k < s->n_keep_fd; k++)
			if (s->keep_fd[k] == s->pass_fd[i])
				return wire_fail(e, at[OP_PASS_FD], "fd %u is both a pass-fd and a keep-fd", s->pass_fd[i]);
		for (k = 0; k < s->n_ns_fd; k++)
			if (s->ns_fd[k] == s->pass_fd[i])
				return wire_fail(e, at[OP_PASS_FD], "fd %u is both a pass-fd and an ns-fd", s->pass_fd[i]);
	}
	for (k = 0; k < s->n_keep_fd; k++)
		if (s->keep_fd[k] < 3 + s->n_pass_fd)
			return wire_fail(e, at[OP_KEEP_FD], "keep-fd %u is where a pass-fd goes (fds 3 to %u)",
					 s->keep_fd[k], 2 + s->n_pass_fd);
	return 0;
}

/* The role fd has that reaches the payload or the joins (keep-fd, pass-fd, ns-fd), for "fd N is
 * both ... and ROLE"; NULL when it has none. */
static const char *payload_fd_role(const struct spec *s, uint32_t fd)
{
	unsigned k;
	for (k = 0; k < s->n_keep_fd; k++)
		if (s->keep_fd[k] == fd)
			return "a keep-fd";
	for (k = 0; k < s->n_pass_fd; k++)
		if (s->pass_fd[k] == fd)
			return "a pass-fd";
	for (k = 0; k < s->n_ns_fd; k++)
		if (s->ns_fd[k] == fd)
			return "an ns-fd";
	return NULL;
}

/* A publish fd is a host listener only the supervisor holds (publish.c): the payload must never
 * get it too, so it is in no other fd role. It forwards into the sandbox's own network namespace
 * and needs a payload whose end ends it. */
static int check_publish(const struct spec *s, struct wire_error *e)
{
	const unsigned at = s->op_at[OP_PUBLISH];
	const char *role;
	unsigned i;
	if (!s->n_publish)
		return 0;
	if (s->persist)
		return wire_fail(e, at, "publish needs a payload: it cannot be combined with persist");
	if (!(s->clone_flags & CLONE_NEWNET) && !s->join[NS_NET])
		return wire_fail(e, at, "publish requires a network namespace of the sandbox's own "
				 "(CLONE_NEWNET in clone, or join net)");
	for (i = 0; i < s->n_publish; i++)
		if ((role = payload_fd_role(s, s->publish[i].fd)))
			return wire_fail(e, at, "fd %u is both a publish fd and %s", s->publish[i].fd, role);
	return 0;
}

/* The log's directory fd is the supervisor's alone (output-log.c), in no other fd role; the
 * log is the payload's output, so there must be a payload. */
static int check_log(const struct spec *s, struct wire_error *e)
{
	const unsigned at = s->op_at[OP_LOG];
	const uint32_t fd = s->log_dir;
	const char *role;
	unsigned k;
	if (!s->log_name)
		return 0;
	if (s->persist)
		return wire_fail(e, at, "log needs a payload: it cannot be combined with persist");
	if ((role = payload_fd_role(s, fd)))
		return wire_fail(e, at, "fd %u is both the log's directory and %s", fd, role);
	for (k = 0; k < s->n_publish; k++)
		if (s->publish[k].fd == fd)
			return wire_fail(e, at, "fd %u is both the log's directory and a publish fd", fd);
	return 0;
}

/* Every idmapped bind has a uid and a gid map, each line names an idmapped bind, and the lines
 * of one map do not overlap on either side (the kernel would refuse the helper's map). */
static int check_bind_idmap(const struct spec *s, struct wire_error *e)
{
	unsigned i, j, k;
	for (i = 0; i < s->n_bind_idmap; i++) {
		const struct bind_idmap *b = &s->bind_idmap[i];
		for (j = 0; j < s->n_steps; j++)
			if (s->steps[j].kind == STEP_BIND && (s->steps[j].flags & BIND_IDMAP) &&
			    strcmp(s->steps[j].dst, b->dst) == 0)
				break;
		if (j == s->n_steps)
			return wire_fail(e, b->at, "bind-idmap names no bind with flag 8 at that DST");
		for (k = 0; k < i; k++) {
			const struct bind_idmap *o = &s->bind_idmap[k];
			if (o->gid == b->gid && strcmp(o->dst, b->dst) == 0 &&
			    (overlaps(o->r.inside, b->r.inside, o->r.count, b->r.count) ||
			     overlaps(o->r.outside, b->r.outside, o->r.count, b->r.count)))
				return wire_fail(e, b->at, "bind-idmap ranges of one map overlap");
		}
	}
	for (j = 0; j < s->n_steps; j++) {
		int have[2] = {0, 0};
		if (s->steps[j].kind != STEP_BIND || !(s->steps[j].flags & BIND_IDMAP))
			continue;
		if (!(s->clone_flags & CLONE_NEWUSER))
			return wire_fail(e, s->steps[j].at, "an idmapped bind requires CLONE_NEWUSER in clone");
		for (i = 0; i < s->n_bind_idmap; i++)
			if (strcmp(s->bind_idmap[i].dst, s->steps[j].dst) == 0)
				have[s->bind_idmap[i].gid] = 1;
		if (!have[0] || !have[1])
			return wire_fail(e, s->steps[j].at, "an idmapped bind needs bind-idmap uid and gid lines");
	}
	return 0;
}

int wire_check(struct spec *s, struct wire_error *e)
{
	const unsigned *at = s->op_at;
	uint64_t f = s->clone_flags;
	unsigned k;
	int i;

	if (!at[OP_CLONE])
		return wire_fail(e, s->end_at, "missing 'clone' (required)");
	if (s->persist) {
		if (check_persist(s, e))
			return -1;
	} else if (s->n_argv == 0) {
		return wire_fail(e, s->end_at, "missing 'argv' (at least one required)");
	} else if (s->n_persist_link) {
		return wire_fail(e, at[OP_PERSIST_LINK], "persist-link requires persist");
	}
	/* A join through an fd of the stage must declare it, or the fd would stay open in the
	 * supervisor and the init for the sandbox's whole life. */
	for (i = 0; i < NS_COUNT; i++) {
		const char *n = s->join[i];
		uint32_t fd = 0;
		if (!n || strncmp(n, "/proc/self/fd/", 14) != 0)
			continue;
		n += 14;
		if (n[0] == '0') /* canonical, as every number of the wire */
			n = "x";
		for (; *n >= '0' && *n <= '9' && fd < 100000; n++)
			fd = fd * 10 + (uint32_t)(*n - '0');
		for (k = 0; k < s->n_ns_fd && s->ns_fd[k] != fd; k++)
			;
		if (*n || k == s->n_ns_fd)
			return wire_fail(e, s->join_at[i], "join %s %s: an fd joined through must be declared "
					 "with ns-fd", ns_kinds[i].name, s->join[i]);
	}
	/* An ns-fd is closed by the supervisor right after the joins; keeping it for the payload
	 * as well would contradict that (and hand it a namespace of the caller's choosing). */
	for (i = 0; (unsigned)i < s->n_ns_fd; i++)
		for (k = 0; k < s->n_keep_fd; k++)
			if (s->keep_fd[k] == s->ns_fd[i])
				return wire_fail(e, at[OP_NS_FD], "fd %u is both an ns-fd and a keep-fd", s->ns_fd[i]);

	if (check_pass_fds(s, e) || check_publish(s, e) || check_log(s, e))
		return -1;

	for (i = 0; i < NS_COUNT; i++)
		if (s->join[i] && (f & ns_kinds[i].flag))
			return wire_fail(e, s->join_at[i], "join '%s' while clone also creates it",
					 ns_kinds[i].name);

	if (f & CLONE_NEWUSER) {
		/* Without maps the child is the overflow uid with nothing it can become. */
		if (!s->n_uidmap || !s->n_gidmap)
			return wire_fail(e, at[OP_CLONE], "CLONE_NEWUSER requires uidmap and gidmap");
		if (check_map(s->uidmap, s->n_uidmap, "uidmap", at[OP_UIDMAP], e) ||
		    check_map(s->gidmap, s->n_gidmap, "gidmap", at[OP_GIDMAP], e))
			return -1;
		if (!mapped(s->uidmap, s->n_uidmap, s->uid))
			return wire_fail(e, at[OP_UID] ? at[OP_UID] : at[OP_UIDMAP],
					 "uid %u is not mapped by any uidmap", s->uid);
		if (!mapped(s->gidmap, s->n_gidmap, s->gid))
			return wire_fail(e, at[OP_GID] ? at[OP_GID] : at[OP_GIDMAP],
					 "gid %u is not mapped by any gidmap", s->gid);
	} else if (s->n_uidmap || s->n_gidmap || s->setgroups != SETGROUPS_UNSET) {
		/* Only a user namespace created here has maps still to write. */
		unsigned t = at[OP_UIDMAP] ? at[OP_UIDMAP] : at[OP_GIDMAP] ? at[OP_GIDMAP] : at[OP_SETGROUPS];
		return wire_fail(e, t, "uidmap, gidmap and setgroups require CLONE_NEWUSER in clone");
	}

	if (!(f & CLONE_NEWNS)) {
		if (s->n_steps)
			return wire_fail(e, s->steps[0].at, "mount steps require CLONE_NEWNS in clone");
		if (needs(s, CLONE_NEWNS, "CLONE_NEWNS", at[OP_PROPAGATION], "propagation", e))
			return -1;
	}
	if (needs(s, CLONE_NEWUTS, "CLONE_NEWUTS", at[OP_HOSTNAME], "hostname", e) ||
	    needs(s, CLONE_NEWNET, "CLONE_NEWNET", at[OP_LO_UP], "lo-up", e))
		return -1;

	/* The init only makes sense as PID 1 of a namespace created here: in a joined or the
	 * host PID namespace another process already reaps orphans. */
	if (s->init < 0)
		s->init = (f & CLONE_NEWPID) ? 1 : 0;
	else if (s->init == 1 && !(f & CLONE_NEWPID))
		return wire_fail(e, at[OP_INIT], "init 1 requires CLONE_NEWPID in clone");

	/* seccomp(2): loading a filter needs no_new_privs or CAP_SYS_ADMIN, and the payload has
	 * CAP_SYS_ADMIN only if it keeps it. Refuse now rather than fail just before exec. */
	if (s->seccomp && !s->no_new_privs && !(s->caps & (1ULL << 21)))
		return wire_fail(e, at[OP_SECCOMP], "seccomp requires no-new-privs 1 (or caps keeping CAP_SYS_ADMIN)");
	return check_bind_idmap(s, e);
}
