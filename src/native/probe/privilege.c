/* privilege.c: probes that try to regain power inside: mount, a new mount namespace, a nested
 * user namespace, a setuid-root binary, TIOCSTI on a terminal, open_by_handle_at. Only the
 * probe sees these happen (they change nothing on the host), so its own word is the verdict.
 * Attempts that change the process (unshare, setsid) run in a forked child. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* What a forked attempt sends back: how far it got and why it stopped. */
struct outcome {
	char step[32];
	int err;
	int ok;
	char extra[96];
};

static int in_child(void (*attempt)(struct outcome *), struct outcome *out)
{
	int p[2], status;
	pid_t pid;
	memset(out, 0, sizeof *out);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		struct outcome o = {0};
		alarm(5); /* never hang the run */
		attempt(&o);
		if (write(p[1], &o, sizeof o) != sizeof o)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], out, sizeof *out) != sizeof *out)
		snprintf(out->step, sizeof out->step, "child-died");
	close(p[0]);
	waitpid(pid, &status, 0);
	return 0;
}

static void set_step(struct outcome *o, const char *step, int err)
{
	snprintf(o->step, sizeof o->step, "%s", step);
	o->err = err;
}

static void emit_outcome(const char *name, const struct outcome *o)
{
	struct line l;
	line_start(&l, "probe", name);
	line_num(&l, "ok", o->ok);
	line_word(&l, "step", o->step);
	if (o->err)
		line_errno(&l, "errno", o->err);
	if (o->extra[0]) {
		/* extra is already `key=value key=value`: append it as it is. */
		size_t n = strlen(o->extra);
		if (l.len + n + 1 < sizeof l.buf - 2) {
			l.buf[l.len++] = ' ';
			memcpy(l.buf + l.len, o->extra, n);
			l.len += n;
		}
	}
	line_emit(&l);
}

/* A directory to mount on: our own under /tmp if we can make one, else one that exists. */
static const char *mount_dir(void)
{
	static const char mine[] = "/tmp/nsbox-probe-mnt";
	struct stat st;
	if (mkdir(mine, 0700) == 0 || errno == EEXIST)
		return mine;
	if (stat("/mnt", &st) == 0 && S_ISDIR(st.st_mode))
		return "/mnt";
	return "/tmp";
}

void probe_mount(const char *name, const char *arg)
{
	struct outcome o = {0};
	const char *dir = mount_dir();
	(void)arg;
	if (mount("nsbox-probe", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k") < 0) {
		set_step(&o, "mount", errno);
	} else {
		umount2(dir, MNT_DETACH);
		set_step(&o, "mount", 0);
		o.ok = 1;
	}
	emit_outcome(name, &o);
}

static void try_new_mount_ns(struct outcome *o)
{
	if (unshare(CLONE_NEWNS) < 0)
		return set_step(o, "unshare", errno);
	/* Never let the test mount reach the sandbox's own tree (or further). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return set_step(o, "make-private", errno);
	if (mount("nsbox-probe", mount_dir(), "tmpfs", MS_NOSUID | MS_NODEV, "size=4k") < 0)
		return set_step(o, "mount", errno);
	set_step(o, "mount", 0);
	o->ok = 1;
}

void probe_unshare_mount(const char *name, const char *arg)
{
	struct outcome o;
	(void)arg;
	if (in_child(try_new_mount_ns, &o) < 0)
		return report_fail(name, "fork", errno);
	emit_outcome(name, &o);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r;
	if (fd < 0)
		return -1;
	r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return r;
}

/* A nested user namespace gives every capability again, over whatever it owns; mounting a
 * tmpfs in a mount namespace of its own is the classic first step of many kernel escalations.
 * The id maps may be refused (mapping the parent's root needs CAP_SETFCAP there since 5.12);
 * the capabilities in the new namespace do not depend on them, so the attempt goes on. */
static void try_nested_userns(struct outcome *o)
{
	char map[64];
	const char *maps = "ok";
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER) < 0)
		return set_step(o, "unshare-user", errno);
	o->ok = 1; /* a user namespace of its own: full capabilities inside it */
	snprintf(map, sizeof map, "0 %u 1", uid);
	if ((write_text("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) || write_text("/proc/self/uid_map", map) < 0)
		maps = errno_name(errno);
	snprintf(map, sizeof map, "0 %u 1", gid);
	if (maps[0] == 'o' && write_text("/proc/self/gid_map", map) < 0)
		maps = errno_name(errno);
	snprintf(o->extra, sizeof o->extra, "userns=1 maps=%s", maps);
	if (unshare(CLONE_NEWNS) < 0)
		return set_step(o, "unshare-mnt", errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return set_step(o, "make-private", errno);
	if (mount("nsbox-probe", mount_dir(), "tmpfs", MS_NOSUID | MS_NODEV, "size=4k") < 0)
		return set_step(o, "mount", errno);
	snprintf(o->extra, sizeof o->extra, "userns=1 maps=%s mounted=1", maps);
	set_step(o, "mount", 0);
}

void probe_userns(const char *name, const char *arg)
{
	struct outcome o;
	(void)arg;
	if (in_child(try_nested_userns, &o) < 0)
		return report_fail(name, "fork", errno);
	emit_outcome(name, &o);
}

/* What a setuid copy of this binary prints: whether the kernel honoured the bit. */
int suid_report_main(void)
{
	printf("ruid=%u euid=%u secure=%lu\n", getuid(), geteuid(), getauxval(AT_SECURE));
	return 0;
}

void probe_setuid(const char *name, const char *arg)
{
	char buf[96] = "";
	struct outcome o = {0};
	int p[2], status;
	long n;
	pid_t pid;
	if (!arg)
		return report_fail(name, "argument", EINVAL);
	if (pipe2(p, O_CLOEXEC) < 0)
		return report_fail(name, "pipe", errno);
	if ((pid = fork()) < 0)
		return report_fail(name, "fork", errno);
	if (pid == 0) {
		char err[32];
		dup2(p[1], 1);
		execl(arg, arg, "suid-report", (char *)NULL);
		snprintf(err, sizeof err, "exec-failed %d\n", errno);
		if (write(1, err, strlen(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof buf - 1);
	close(p[0]);
	waitpid(pid, &status, 0);
	if (n <= 0)
		return report_fail(name, "read", n < 0 ? errno : EIO);
	buf[n] = '\0';
	if (strncmp(buf, "exec-failed ", 12) == 0)
		return report_fail(name, "exec", atoi(buf + 12));
	buf[strcspn(buf, "\n")] = '\0';
	set_step(&o, "exec", 0);
	o.ok = 1;
	snprintf(o.extra, sizeof o.extra, "%s", buf);
	emit_outcome(name, &o);
}

/* TIOCSTI pushes bytes into a terminal's input: a payload with a terminal it shares with its
 * caller types commands into the caller's shell (CVE-2017-5226). Tried on a pty of its own,
 * made its controlling terminal, with the plain command and with a high bit set in the 64-bit
 * argument (the kernel reads 32 bits: CVE-2019-10063 bypassed filters that compared all 64). */
static void try_tiocsti(struct outcome *o)
{
	char pts[64], c = ' ';
	int m, s, r1, e1, r2, e2;
	if (setsid() < 0)
		return set_step(o, "setsid", errno);
	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return set_step(o, "openpt", errno);
	if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, pts, sizeof pts) != 0)
		return set_step(o, "unlockpt", errno);
	if ((s = open(pts, O_RDWR | O_CLOEXEC)) < 0)
		return set_step(o, "open-pts", errno);
	ioctl(s, TIOCSCTTY, 0);
	r1 = ioctl(s, TIOCSTI, &c);
	e1 = errno;
	r2 = (int)syscall(SYS_ioctl, s, 0x100000000UL | TIOCSTI, &c);
	e2 = errno;
	snprintf(o->extra, sizeof o->extra, "plain=%s high-bit=%s", r1 == 0 ? "ok" : errno_name(e1),
		 r2 == 0 ? "ok" : errno_name(e2));
	o->ok = r1 == 0 || r2 == 0;
	set_step(o, "ioctl", o->ok ? 0 : e1);
}

void probe_tiocsti(const char *name, const char *arg)
{
	struct outcome o;
	(void)arg;
	if (in_child(try_tiocsti, &o) < 0)
		return report_fail(name, "fork", errno);
	emit_outcome(name, &o);
}

/* open_by_handle_at opens any inode of a file system by its handle, past every directory and
 * bind mount in the way ("shocker", CVE-2014-3519); it needs CAP_DAC_READ_SEARCH on the host. */
void probe_open_by_handle(const char *name, const char *arg)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[128];
	} h;
	struct outcome o = {0};
	int mount_id, root, fd;
	(void)arg;
	h.fh.handle_bytes = sizeof h.bytes;
	if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) < 0)
		return report_fail(name, "name_to_handle_at", errno);
	if ((root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return report_fail(name, "open", errno);
	fd = open_by_handle_at(root, &h.fh, O_RDONLY | O_CLOEXEC);
	set_step(&o, "open_by_handle_at", fd < 0 ? errno : 0);
	o.ok = fd >= 0;
	if (fd >= 0)
		close(fd);
	close(root);
	emit_outcome(name, &o);
}
