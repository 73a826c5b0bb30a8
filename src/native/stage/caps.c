/* caps.c: the payload's identity and privileges: the uid/gid it runs as, its supplementary
 * groups, and exactly the capabilities the spec keeps in every set (bounding, permitted,
 * effective, inheritable, ambient); and the little the init keeps for itself. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The highest capability this kernel knows: PR_CAPBSET_READ fails with EINVAL past it, and
 * only there (cap_valid), so a binary search over 0-63 finds it in six calls, not forty.
 * Probing needs no /proc (which the sandbox may not have). */
static int last_cap(void)
{
	static int found = -2; /* the same in every process of the sandbox: probed once */
	int known = -1, unknown = 64, c;

	if (found != -2)
		return found;
	while (unknown - known > 1) {
		c = (known + unknown) / 2;
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0)
			known = c;
		else
			unknown = c;
	}
	return known >= 0 ? (found = known) : known;
}

/* The bounding set limits what any later execve can grant (a setuid-root or file-capability
 * binary, or root's implicit full set): dropping it is what really takes capabilities away
 * from a payload running as root. Needs CAP_SETPCAP, so it runs before anything else drops. */
static void drop_bounding(uint64_t keep, int last)
{
	int c;
	for (c = 0; c <= last; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			die(EXIT_SETUP, "caps", errno, "drop capability %d from the bounding set", c);
}

/* Set once the bounding set holds the payload's capabilities only (caps_bound_for_payload). */
static int bounded;

static int last_cap_or_die(const char *step)
{
	int last = last_cap();
	if (last < 0)
		die(EXIT_SETUP, step, errno, "read the bounding set");
	return last;
}

/* The init narrows the bounding set to the payload's mask before it forks the payload, which
 * inherits the set (capabilities(7)): one pass of PR_CAPBSET_DROP (one syscall per capability,
 * about forty) serves both processes, where each made its own before. The payload then finds
 * `bounded` set (vfork shares the memory it was set in) and skips its pass; the init drops the
 * payload's few capabilities from its own set afterwards (caps_drop_for_init). */
void caps_bound_for_payload(const struct spec *s)
{
	int last = last_cap_or_die("caps");
	if (last < 63 && (s->caps >> (last + 1)))
		die(EXIT_SETUP, "caps", 0, "mask 0x%llx has capabilities beyond this kernel's last (%d)",
		    (unsigned long long)s->caps, last);
	drop_bounding(s->caps, last);
	bounded = 1;
}

static int set_caps(uint64_t eff_perm, uint64_t inh)
{
	struct k_cap_header h = {K_CAPABILITY_VERSION_3, 0};
	struct k_cap_data d[2];
	d[0].effective = d[0].permitted = (uint32_t)eff_perm;
	d[1].effective = d[1].permitted = (uint32_t)(eff_perm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return k_capset(&h, d);
}

void caps_apply(const struct spec *s)
{
	int last, c;
	if (!bounded)
		caps_bound_for_payload(s);
	last = last_cap_or_die("caps");
	/* Changing uid from 0 clears the permitted set unless KEEPCAPS is set (capabilities(7),
	 * "Effect of user ID changes"); keep it so the kept capabilities survive the switch. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die(EXIT_SETUP, "caps", errno, "PR_SET_KEEPCAPS");
	/* No supplementary groups: host groups must not follow the payload in. When setgroups is
	 * denied they cannot be changed (and were never granted); in a joined user namespace
	 * that denies it, EPERM is the same situation. */
	if (s->setgroups != SETGROUPS_DENY && k_setgroups0() < 0 &&
	    !(errno == EPERM && s->join[NS_USER]))
		die(EXIT_SETUP, "setgroups", errno, "clear supplementary groups");
	if (k_setresgid(s->gid) < 0)
		die(EXIT_SETUP, "gid", errno, "%u", s->gid);
	if (k_setresuid(s->uid) < 0)
		die(EXIT_SETUP, "uid", errno, "%u", s->uid);
	/* Only lowering: the new sets are subsets of what is permitted and bounded. */
	if (set_caps(s->caps, s->caps) < 0)
		die(EXIT_SETUP, "caps", errno, "capset 0x%llx", (unsigned long long)s->caps);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		die(EXIT_SETUP, "caps", errno, "clear the ambient set");
	/* A non-root payload loses its capabilities at execve unless they are ambient; root
	 * gets its bounding set back at execve, which is exactly the kept mask. */
	if (s->uid != 0)
		for (c = 0; c <= last; c++)
			if ((s->caps & (1ULL << c)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
				die(EXIT_SETUP, "caps", errno, "raise ambient capability %d", c);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		die(EXIT_SETUP, "caps", errno, "PR_SET_KEEPCAPS");
}

/* The init only signals and reaps processes of its own PID namespace. It keeps CAP_KILL
 * (the payload may run under another uid) and nothing else; with a capability the payload
 * lacks, and not dumpable, it cannot be ptraced by the payload either (ptrace(2) access
 * mode checks). no_new_privs for good measure: it never executes anything. */
void caps_drop_for_init(uint64_t payload_caps)
{
	int last = last_cap_or_die("init");
	/* What caps_bound_for_payload left: the payload's own capabilities. */
	drop_bounding(~payload_caps, last);
	if (set_caps(1ULL << K_CAP_KILL, 0) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die(EXIT_SETUP, "init", errno, "drop privileges");
}
