/* kernel.c: probes of kernel objects and interfaces: a host key, a host SysV shared memory
 * segment (nsbox counts its attaches during the hold), kernel modules, BPF and perf events.
 * Constants are copied from the Linux UAPI headers, which musl-gcc does not see. */
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEYCTL_READ 11
#define BPF_PROG_LOAD 5
#define BPF_PROG_TYPE_SOCKET_FILTER 1
#define PERF_TYPE_SOFTWARE 1
#define PERF_COUNT_SW_CPU_CLOCK 0
#define PERF_FLAG_FD_CLOEXEC 8UL

static void emit_fd_result(const char *name, const char *step, long fd, int err)
{
	struct line l;
	if (fd < 0)
		return report_fail(name, step, err);
	close((int)fd);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_word(&l, "step", step);
	line_emit(&l);
}

void probe_keyring(const char *name, const char *arg)
{
	char buf[128];
	long long id = parse_num(arg);
	struct line l;
	long n;
	if (id <= 0)
		return report_fail(name, "argument", EINVAL);
	if ((n = syscall(SYS_keyctl, KEYCTL_READ, (long)id, buf, sizeof buf)) < 0)
		return report_fail(name, "keyctl-read", errno);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_hex(&l, "data", buf, (size_t)(n < (long)sizeof buf ? n : (long)sizeof buf));
	line_emit(&l);
}

void probe_sysv_shm(const char *name, const char *arg)
{
	long long id = parse_num(arg);
	struct line l;
	void *p;
	int e;
	if (id < 0)
		return report_fail(name, "argument", EINVAL);
	p = shmat((int)id, NULL, SHM_RDONLY);
	e = errno;
	hold(name, "attached", p != (void *)-1);
	if (p == (void *)-1)
		return report_fail(name, "shmat", e);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_hex(&l, "data", p, 32);
	line_emit(&l);
	shmdt(p);
}

/* init_module(NULL, 0, "") and finit_module(-1, "", 0) load nothing either way; an error other
 * than EPERM means the capability check passed (CAP_SYS_MODULE on the host). */
void probe_kernel_module(const char *name, const char *arg)
{
	struct line l;
	int e1, e2, exposed;
	(void)arg;
	syscall(SYS_init_module, NULL, 0UL, "");
	e1 = errno;
	syscall(SYS_finit_module, -1, "", 0);
	e2 = errno;
	exposed = (e1 != EPERM && e1 != ENOSYS) || (e2 != EPERM && e2 != ENOSYS);
	line_start(&l, "probe", name);
	line_num(&l, "ok", exposed);
	line_errno(&l, "init_module", e1);
	line_errno(&l, "finit_module", e2);
	line_emit(&l);
}

/* The smallest program there is (r0 = 0; exit) as a socket filter: loading it at all is the test. */
void probe_bpf(const char *name, const char *arg)
{
	static const unsigned long long insns[2] = {
		0x00000000000000b7ULL, /* BPF_ALU64 | BPF_MOV | BPF_K: r0 = 0 */
		0x0000000000000095ULL, /* BPF_JMP | BPF_EXIT */
	};
	static const char license[] = "GPL";
	union {
		struct {
			unsigned prog_type, insn_cnt;
			unsigned long long insns, license;
		} load;
		unsigned char bytes[128]; /* the rest of union bpf_attr: zero */
	} attr;
	long fd;
	(void)arg;
	memset(&attr, 0, sizeof attr);
	attr.load.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.load.insn_cnt = 2;
	attr.load.insns = (unsigned long long)(unsigned long)insns;
	attr.load.license = (unsigned long long)(unsigned long)license;
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	emit_fd_result(name, "bpf-prog-load", fd, errno);
}

/* A software counter on itself, user space only: what perf_event_paranoid 2 still allows to
 * anyone; the filter refuses the call whole (a long history of kernel bugs sits behind it). */
void probe_perf(const char *name, const char *arg)
{
	union {
		struct {
			unsigned type, size;
			unsigned long long config, sample_period, sample_type, read_format, flags;
		} a;
		unsigned char bytes[128];
	} attr;
	long fd;
	(void)arg;
	memset(&attr, 0, sizeof attr);
	attr.a.type = PERF_TYPE_SOFTWARE;
	attr.a.size = 112; /* PERF_ATTR_SIZE_VER5 */
	attr.a.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.a.flags = 1ULL | (1ULL << 5) | (1ULL << 6); /* disabled, exclude_kernel, exclude_hv */
	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	emit_fd_result(name, "perf_event_open", fd, errno);
}
