/* files.c: probes through the file system: a root-only host file, host data files anyone may
 * read, a world-writable host file under a read-only mount, host POSIX shm, host sysctls, sysrq and the host's root cgroups.
 * Whether the host changed is decided by nsbox on the host side; here only the attempt. */
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads ARG and prints what came back (nsbox compares it with the token it wrote there). */
static void read_and_report(const char *name, const char *path)
{
	char buf[128];
	struct line l;
	long n;
	if (!path)
		return report_fail(name, "argument", EINVAL);
	if ((n = read_file(path, buf, sizeof buf)) < 0)
		return report_fail(name, "open", errno);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_hex(&l, "data", buf, (size_t)n);
	line_emit(&l);
}

void probe_host_file_read(const char *name, const char *arg)
{
	read_and_report(name, arg);
}

/* ARG: host data files separated by ':' (under /var/lib, /srv, the caller's home), 0644 in
 * 0755 directories: only the sandbox's view of the host keeps them out. The first that reads
 * is reported; else the failure of the last one. */
void probe_host_data_read(const char *name, const char *arg)
{
	char paths[1024], *path, *next;
	int err = EINVAL;
	if (!arg || strlen(arg) >= sizeof paths)
		return report_fail(name, "argument", EINVAL);
	strcpy(paths, arg);
	for (path = paths; path; path = next) {
		char buf[128];
		if ((next = strchr(path, ':')))
			*next++ = '\0';
		if (read_file(path, buf, sizeof buf) >= 0)
			return read_and_report(name, path);
		err = errno;
	}
	report_fail(name, "open", err);
}

void probe_posix_shm(const char *name, const char *arg)
{
	char path[256];
	if (!arg)
		return report_fail(name, "argument", EINVAL);
	snprintf(path, sizeof path, "/dev/shm/%s", arg);
	read_and_report(name, path);
}

/* Opens PATH for writing (appending), writes DATA, and reports whether both worked. */
static void write_and_report(const char *name, const char *path, const char *data, size_t len)
{
	struct line l;
	int fd;
	if (!path)
		return report_fail(name, "argument", EINVAL);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY)) < 0)
		return report_fail(name, "open", errno);
	if (write(fd, data, len) < 0) {
		int e = errno;
		close(fd);
		return report_fail(name, "write", e);
	}
	close(fd);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_emit(&l);
}

void probe_ro_write(const char *name, const char *arg)
{
	static const char marker[] = "written from inside the sandbox\n";
	write_and_report(name, arg, marker, sizeof marker - 1);
}

/* Each sysctl (names under /proc/sys, comma-separated) is read and written back changed by one,
 * so the host can tell; nsbox restores the old value during the hold if the write got through. */
void probe_sysctl_write(const char *name, const char *arg)
{
	char list[512], *save = NULL, *item;
	int written = 0, first_err = 0;
	char wrote[256] = "";
	struct line l;
	if (!arg || strlen(arg) >= sizeof list)
		return report_fail(name, "argument", EINVAL);
	strcpy(list, arg);
	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char path[256], value[64], out[32];
		long n, v;
		int fd;
		snprintf(path, sizeof path, "/proc/sys/%s", item);
		if ((n = read_file(path, value, sizeof value - 1)) < 0) {
			if (!first_err)
				first_err = errno;
			continue;
		}
		value[n] = '\0';
		v = strtol(value, NULL, 10);
		snprintf(out, sizeof out, "%ld\n", v > 0 ? v - 1 : v + 1);
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || write(fd, out, strlen(out)) < 0) {
			if (!first_err)
				first_err = errno;
		} else {
			written++;
			if (strlen(wrote) + strlen(item) + 2 < sizeof wrote) {
				strcat(wrote, wrote[0] ? "," : "");
				strcat(wrote, item);
			}
		}
		if (fd >= 0)
			close(fd);
	}
	hold(name, "written", written > 0);
	line_start(&l, "probe", name);
	line_num(&l, "ok", written > 0);
	line_word(&l, "step", "write");
	if (first_err)
		line_errno(&l, "errno", first_err);
	if (written)
		line_word(&l, "wrote", wrote);
	line_emit(&l);
}

/* Only ever 'h' (print help to the kernel log): harmless if it gets through. */
void probe_sysrq(const char *name, const char *arg)
{
	(void)arg;
	write_and_report(name, "/proc/sysrq-trigger", "h", 1);
}

/* Writing 0 to a cgroup.procs moves the writer there: the roots of the v2 tree and of every
 * v1 hierarchy under /sys/fs/cgroup are tried. nsbox compares /proc/PID/cgroup around it. */
void probe_cgroup_escape(const char *name, const char *arg)
{
	char paths[24][160];
	int n = 0, moved = 0, first_err = 0, where = -1, i;
	struct line l;
	DIR *d;
	(void)arg;
	snprintf(paths[n++], sizeof paths[0], "/sys/fs/cgroup/cgroup.procs");
	if ((d = opendir("/sys/fs/cgroup"))) {
		struct dirent *e;
		while ((e = readdir(d)) && n < 24) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(paths[n++], sizeof paths[0], "/sys/fs/cgroup/%.100s/cgroup.procs", e->d_name);
		}
		closedir(d);
	}
	hold(name, "before", 0);
	for (i = 0; i < n; i++) {
		int fd = open(paths[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			/* ENOENT/ENOTDIR: not a hierarchy (the v2 file on a v1 host, a plain dir). */
			if (errno != ENOENT && errno != ENOTDIR && !first_err)
				first_err = errno;
			continue;
		}
		if (write(fd, "0\n", 2) < 0) {
			if (!first_err)
				first_err = errno;
		} else if (!moved++) {
			where = i;
		}
		close(fd);
	}
	hold(name, "after", moved > 0);
	line_start(&l, "probe", name);
	line_num(&l, "ok", moved > 0);
	line_word(&l, "step", "write-cgroup.procs");
	line_num(&l, "tried", n);
	if (first_err)
		line_errno(&l, "errno", first_err);
	if (where >= 0)
		line_word(&l, "moved", paths[where]);
	line_emit(&l);
}
