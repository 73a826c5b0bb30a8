/* owner-checks.h: who could have written a file the stage trusts (owner-checks.c), for saved
 * plans (which die with the reason) and the front (for which a failure is a miss). */
#ifndef NSBOX_OWNER_CHECKS_H
#define NSBOX_OWNER_CHECKS_H

#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Why a check failed: err (0: none) and one line of detail, as die() takes them. */
struct check_fail {
	int err;
	char why[PATH_MAX + 256];
};

/* Every directory from path's parent up to `/`: owned by root (or `owner`, when not 0) and not
 * writable by group or others, except a sticky one, which only the first directory, when
 * `strict`, may not be. 0, or -1 with *f filled. */
int guarded_dirs(const char *path, uid_t owner, int strict, struct check_fail *f);

/* The file fd is open on (named path in messages): regular, owned by root or `owner`, writable
 * by its owner only. Fills *st. 0, or -1 with *f filled. */
int guarded_file(const char *path, int fd, uid_t owner, struct stat *st, struct check_fail *f);

/* The caller's uid and gid, whose files the stage trusts as the caller's own. Its privileges
 * are the effective ids': a set-user-ID program that kept its user's real uid would have the
 * user's files (a plan, ROOT/plans) run with the program owner's rights, so real and effective
 * ids that differ are refused. 0, or -1 with *f filled. */
int caller_ids(uid_t *uid, gid_t *gid, struct check_fail *f);

/* The running stage (/proc/self/exe): an installed file, root's, in directories root's alone.
 * Returns an O_CLOEXEC fd on it, its path (the kernel's name for it, absolute) and its stat;
 * -1 with *f filled. */
int installed_self(char path[PATH_MAX], struct stat *st, struct check_fail *f);

#endif
