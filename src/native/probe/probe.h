/* probe.h: the selftest probe program. nsbox runs it inside exactly the sandbox `run` would
 * build; each probe tries one way out and prints one machine-readable line on stdout, which
 * nsbox reads (src/core/selftest/). Where the host can see the effect itself, the probe first
 * prints a `hold` line and waits for one byte on stdin, so nsbox looks while it still holds. */
#ifndef NSBOX_PROBE_H
#define NSBOX_PROBE_H

#include <stddef.h>

/* One line under construction: `probe NAME key=value ...` or `hold NAME PHASE key=value ...`. */
struct line {
	char buf[1024];
	size_t len;
};

void line_start(struct line *l, const char *kind, const char *name);
void line_word(struct line *l, const char *key, const char *value);
void line_num(struct line *l, const char *key, long long value);
void line_errno(struct line *l, const char *key, int err);
void line_hex(struct line *l, const char *key, const void *data, size_t n);
/* Writes the line (with its newline) to stdout in one write(2). */
void line_emit(struct line *l);

/* `probe NAME ok=0 errno=E step=STEP`: the usual failed attempt. */
void report_fail(const char *name, const char *step, int err);
/* Prints `hold NAME PHASE ok=OK` and blocks until nsbox has looked (one byte on stdin). */
void hold(const char *name, const char *phase, int ok);

const char *errno_name(int err);
/* Reads up to n bytes of a file; returns the count or -1 with errno set. */
long read_file(const char *path, void *buf, size_t n);
/* Parses a decimal argument; -1 when it is not one. */
long long parse_num(const char *s);
/* True when pid is the probe itself, its parent or PID 1: signalling those would only stop the
 * probe, not test anything (a host pid can collide with a pid of the sandbox's namespace). */
int is_own_pid(long long pid);

/* Each probe: name, the argument nsbox gave (or NULL). */
void probe_host_file_read(const char *name, const char *arg);
void probe_host_data_read(const char *name, const char *arg);
void probe_ro_write(const char *name, const char *arg);
void probe_posix_shm(const char *name, const char *arg);
void probe_sysctl_write(const char *name, const char *arg);
void probe_sysrq(const char *name, const char *arg);
void probe_cgroup_escape(const char *name, const char *arg);
void probe_proc_see(const char *name, const char *arg);
void probe_proc_environ(const char *name, const char *arg);
void probe_signal(const char *name, const char *arg);
void probe_ptrace(const char *name, const char *arg);
void probe_unix_abstract(const char *name, const char *arg);
void probe_unix_path(const char *name, const char *arg);
void probe_tcp_loopback(const char *name, const char *arg);
void probe_raw_socket(const char *name, const char *arg);
void probe_packet_socket(const char *name, const char *arg);
void probe_mount(const char *name, const char *arg);
void probe_unshare_mount(const char *name, const char *arg);
void probe_userns(const char *name, const char *arg);
void probe_setuid(const char *name, const char *arg);
void probe_tiocsti(const char *name, const char *arg);
void probe_open_by_handle(const char *name, const char *arg);
void probe_keyring(const char *name, const char *arg);
void probe_sysv_shm(const char *name, const char *arg);
void probe_kernel_module(const char *name, const char *arg);
void probe_bpf(const char *name, const char *arg);
void probe_perf(const char *name, const char *arg);

/* The other modes of the binary. */
int target_main(int argc, char **argv);
int suid_report_main(void);

#endif
