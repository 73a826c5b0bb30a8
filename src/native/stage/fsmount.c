/* fsmount.c: the new mount API as the mount steps use it: a filesystem made as a detached
 * mount, attached onto an fd; and the message for a destination that cannot be created. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* fsopen + fsconfig + fsmount: kv is NULL-terminated pairs; a NULL value is a flag option.
 * Returns a detached mount fd, or -1 with errno. */
int fs_new(const char *type, const char *const *kv, unsigned attrs)
{
	int fs = k_fsopen(type, FSOPEN_CLOEXEC), m = -1, err;
	if (fs < 0)
		return -1;
	for (; kv && kv[0]; kv += 2) {
		unsigned cmd = kv[1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;
		if (k_fsconfig(fs, cmd, kv[0], kv[1], 0) < 0)
			goto out;
	}
	if (k_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		m = k_fsmount(fs, FSMOUNT_CLOEXEC, attrs);
out:
	err = errno;
	close(fs);
	errno = err;
	return m;
}

int attach(int mnt_fd, int dst_fd)
{
	return k_move_mount(mnt_fd, "", dst_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* EROFS while creating a missing destination (or a parent of it): the usual cause is a
 * destination under a read-only bind (`--root host`, then `--bind /srv /data`), which a bare
 * "Read-only file system" does not explain: name the bind and what to do instead. ELOOP: the
 * destination itself is a symlink (path_mountpoint). */
_Noreturn void die_create(const struct mount_step *m, const char *step, int err, const char *what)
{
	const struct mount_step *ro = err == EROFS ? mount_ro_bind_above(m->dst) : NULL;
	if (err == ELOOP)
		die(EXIT_SETUP, step, err, "%s: %s is a symlink in the new root; give the path it leads "
		    "to", what, m->dst);
	if (ro && strcmp(what, m->dst) != 0)
		die(EXIT_SETUP, step, err, "%s: %s is not there and cannot be made inside the read-only "
		    "bind of %s (ro-bind %s); use a path outside it, or put a --tmpfs on a parent first",
		    what, m->dst, ro->dst, ro->src);
	if (ro)
		die(EXIT_SETUP, step, err, "%s is not there and cannot be made inside the read-only bind "
		    "of %s (ro-bind %s); use a path outside it, or put a --tmpfs on a parent first",
		    m->dst, ro->dst, ro->src);
	if (err == EROFS)
		die(EXIT_SETUP, step, err, "%s: cannot create it under a read-only mount; mount a tmpfs "
		    "on a writable parent first", what);
	die(EXIT_SETUP, step, err, "%s", what);
}
