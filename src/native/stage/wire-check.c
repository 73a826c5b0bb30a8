/* wire-check.c: the WIRE.md rules that span records (required ops, what needs which namespace,
 * id maps the kernel would refuse), checked once after `end` so a spec is refused before the
 * stage has any side effect, with the token of the record at fault. */
#include "wire.h"

#include <sched.h>

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

int wire_check(struct spec *s, struct wire_error *e)
{
	const unsigned *at = s->op_at;
	uint64_t f = s->clone_flags;
	int i;

	if (!at[OP_CLONE])
		return wire_fail(e, s->end_at, "missing 'clone' (required)");
	if (s->n_argv == 0)
		return wire_fail(e, s->end_at, "missing 'argv' (at least one required)");

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
	return 0;
}
