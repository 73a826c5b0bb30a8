/* step-progress.c: which mount steps have run so far, for what a later step says when it
 * fails: the read-only bind that keeps its mount point from being made. mount.c reports the
 * progress as it runs the steps; die_create (fsmount.c) asks. */
#include "stage.h"

#include <string.h>

/* The spec whose steps are running, and how many ran. */
static const struct spec *building;
static unsigned steps_done;

/* The last read-only bind so far whose destination holds dst (bind / / of `--root host`,
 * /usr of `os`), or NULL: what keeps a missing mount point from being made. */
const struct mount_step *mount_ro_bind_above(const char *dst)
{
	unsigned i;
	for (i = steps_done; building && i-- > 0;) {
		const struct mount_step *m = &building->steps[i];
		size_t n = strlen(m->dst);
		if (m->kind == STEP_BIND && (m->flags & BIND_RO) &&
		    (n == 1 || (strncmp(dst, m->dst, n) == 0 && dst[n] == '/')))
			return m;
	}
	return NULL;
}

void step_progress(const struct spec *s, unsigned done)
{
	building = s;
	steps_done = done;
}
