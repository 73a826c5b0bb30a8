/* sysctl.c: the sandbox's own kernel settings, written by the child into /proc/sys after the
 * new root is built, while it still holds its capabilities. From inside its user namespace only
 * per-namespace settings are writable; the payload, without capabilities, cannot undo them. */
#include "kernel.h"
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

/* /proc inside the sandbox, checked to be a procfs: a directory of the bound host root or a
 * tmpfs at /proc would take the write somewhere else entirely. */
static int open_proc(const char *name)
{
	struct statfs sf;
	int fd = openat(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_SETUP, "sysctl", errno, "%s: no /proc in the sandbox (mount one with a proc step)", name);
	if (fstatfs(fd, &sf) < 0)
		die(EXIT_SETUP, "sysctl", errno, "%s: /proc", name);
	if (sf.f_type != K_PROC_SUPER_MAGIC)
		die(EXIT_SETUP, "sysctl", 0, "%s: /proc in the sandbox is not a procfs (mount one with a proc step)",
		    name);
	return fd;
}

/* RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS: NAME stays below /proc/sys (the decoder already refuses
 * '..'; this holds whatever is mounted there). */
static int open_at(int proc, const char *name)
{
	struct k_open_how how = {0};
	char rel[WIRE_MAX_SYSCTL_NAME + 8];
	snprintf(rel, sizeof rel, "sys/%s", name);
	how.flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
	return k_openat2(proc, rel, &how);
}

/* A private clone of the proc mount alone, made writable: not recursive, so without the
 * read-only mount a `remount-ro` put on sys. It is never attached and goes away with its fd;
 * cloning needs CAP_SYS_ADMIN, which the payload lacks. A mount that came read-only from a
 * more privileged namespace stays so (the kernel locks that flag): EPERM. */
static int writable_clone(int proc, const char *name)
{
	struct k_mount_attr attr = {0};
	int priv = k_open_tree(proc, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC);
	attr.attr_clr = MOUNT_ATTR_RDONLY;
	if (priv < 0 || k_mount_setattr(priv, "", AT_EMPTY_PATH, &attr) < 0)
		die(EXIT_SETUP, "sysctl", errno, "%s: /proc/sys is read-only, and a writable clone of /proc "
		    "cannot be made", name);
	return priv;
}

void sysctl_apply(const struct spec *s)
{
	unsigned i;
	int proc, priv = -1;
	if (!s->n_sysctl)
		return;
	proc = open_proc(s->sysctl[0].name);
	for (i = 0; i < s->n_sysctl; i++) {
		const char *name = s->sysctl[i].name, *value = s->sysctl[i].value;
		size_t len = strlen(value);
		ssize_t n;
		int fd = open_at(proc, name);
		/* A `remount-ro /proc/sys` step (or a read-only bind holding the host's /proc)
		 * made the path read-only for the payload, and for us. */
		if (fd < 0 && errno == EROFS) {
			if (priv < 0)
				priv = writable_clone(proc, name);
			fd = open_at(priv, name);
		}
		if (fd < 0)
			die(EXIT_SETUP, "sysctl", errno, "%s: open /proc/sys/%s", name, name);
		/* One write(2): a sysctl file parses what one write brings (proc_sys_call_handler). */
		n = write(fd, value, len);
		if (n != (ssize_t)len)
			die(EXIT_SETUP, "sysctl", n < 0 ? errno : EIO, "%s = %s", name, value);
		close(fd);
	}
	if (priv >= 0)
		close(priv);
	close(proc);
}
