/* main.c: the probe program's entry point. `nsbox-probe run NAME[=ARG]...` runs the named probes
 * in order and ends with `done`; `target UID GID TOKEN` is the host process the probes aim at;
 * `suid-report` is what a setuid copy of this binary prints. Built static (musl) like the stage,
 * handed into the sandbox as a sealed memfd and exec'ed there as /proc/self/fd/N. */
#include "probe.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

static const struct {
	const char *name;
	void (*run)(const char *name, const char *arg);
} probes[] = {
	{"host-file-read", probe_host_file_read}, {"host-data-read", probe_host_data_read},
	{"ro-write", probe_ro_write},             {"proc-see", probe_proc_see},
	{"proc-environ", probe_proc_environ},     {"signal", probe_signal},
	{"ptrace", probe_ptrace},                 {"unix-abstract", probe_unix_abstract},
	{"unix-path", probe_unix_path},           {"tcp-loopback", probe_tcp_loopback},
	{"raw-socket", probe_raw_socket},         {"packet-socket", probe_packet_socket},
	{"mount", probe_mount},                   {"unshare-mount", probe_unshare_mount},
	{"userns", probe_userns},                 {"setuid", probe_setuid},
	{"open-by-handle", probe_open_by_handle}, {"sysctl-write", probe_sysctl_write},
	{"sysrq", probe_sysrq},                   {"tiocsti", probe_tiocsti},
	{"keyring", probe_keyring},               {"sysv-shm", probe_sysv_shm},
	{"posix-shm", probe_posix_shm},           {"cgroup-escape", probe_cgroup_escape},
	{"kernel-module", probe_kernel_module},   {"bpf", probe_bpf},
	{"perf", probe_perf},
};

static void run_one(char *spec)
{
	char *eq = strchr(spec, '=');
	unsigned i;
	if (eq)
		*eq = '\0';
	for (i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		if (strcmp(probes[i].name, spec) == 0) {
			probes[i].run(spec, eq ? eq + 1 : NULL);
			return;
		}
	}
	report_fail(spec, "unknown-probe", 0);
}

int main(int argc, char **argv)
{
	struct line l;
	int i;
	/* A setuid copy (the `setuid` probe's fixture) does nothing but report, whatever argv
	 * says: anyone who finds it on the host gets no other mode of this binary as root. */
	if (getauxval(AT_SECURE))
		return suid_report_main();
	if (argc >= 2 && strcmp(argv[1], "suid-report") == 0)
		return suid_report_main();
	if (argc >= 2 && strcmp(argv[1], "target") == 0)
		return target_main(argc - 2, argv + 2);
	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		fprintf(stderr, "usage: nsbox-probe run NAME[=ARG]... | target UID GID TOKEN | suid-report\n");
		return 2;
	}
	/* A probe that writes to a closed socket must fail with EPIPE, not kill the run. */
	signal(SIGPIPE, SIG_IGN);
	for (i = 2; i < argc; i++)
		run_one(argv[i]);
	line_start(&l, "done", "all");
	line_emit(&l);
	return 0;
}
