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
 * destination under a read-only bind (`bind / /` read-only, then `bind /srv /data`), which a
 * bare "Read-only file system" does not explain. */
_Noreturn void die_create(const char *step, int err, const char *what)
{
	int made = strcmp(step, "dir") == 0 || strcmp(step, "symlink") == 0;
	if (err == EROFS && made)
		die(EXIT_SETUP, step, err, "%s: cannot create it under a read-only mount; mount a tmpfs "
		    "on a writable parent first", what);
	if (err == EROFS)
		die(EXIT_SETUP, step, err, "%s: cannot create the mount point under a read-only mount; "
		    "bind onto an existing path, or mount a tmpfs on a writable parent first", what);
	die(EXIT_SETUP, step, err, "%s", what);
}
