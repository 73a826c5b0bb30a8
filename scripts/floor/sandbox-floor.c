/* sandbox-floor.c: the kernel's share of a sandbox start, for scripts/bench.ts. Only what the
 * kernel requires for the sandbox the bench compares (no checks, no spec, no mounts beyond one):
 * clone3 with the same six namespaces, the id maps written from outside, a tmpfs root with /usr
 * bound in and the usual links, pivot_root with one detach of the old root, and an init that
 * vforks `/usr/bin/true` and reaps it. Not a sandbox to use: nothing is read-only, no seccomp,
 * no capability is dropped. Run as root; exits with true's status. The id range is the one
 * nsbox's default plan maps; it owns nothing here but the files of the throwaway tmpfs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct clone_args3 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

static void fail(const char *what)
{
	perror(what);
	_exit(125);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail(path);
	close(fd);
}

static void child(int sync_r)
{
	char *argv[] = {"true", NULL};
	char byte;
	pid_t p;
	int st;

	if (read(sync_r, &byte, 1) != 1 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		fail("ids");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, "mode=0755") < 0 || mkdir("/tmp/usr", 0755) < 0 ||
	    mount("/usr", "/tmp/usr", NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    symlink("usr/lib", "/tmp/lib") < 0 || symlink("usr/lib64", "/tmp/lib64") < 0 ||
	    symlink("usr/bin", "/tmp/bin") < 0)
		fail("root");
	if (chdir("/tmp") < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		fail("pivot_root");
	if ((p = vfork()) == 0) {
		execve("/usr/bin/true", argv, NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		fail("init");
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

int main(void)
{
	struct clone_args3 a = {0};
	char path[64];
	int sync[2], st;
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		fail("pipe");
	a.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
	a.exit_signal = SIGCHLD;
	if ((pid = (pid_t)syscall(SYS_clone3, &a, sizeof a)) < 0)
		fail("clone3");
	if (pid == 0) {
		close(sync[1]);
		child(sync[0]);
	}
	snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
	write_file(path, "deny");
	snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
	write_file(path, "0 1879048192 65536\n");
	snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
	write_file(path, "0 1879048192 65536\n");
	if (write(sync[1], "1", 1) != 1 || waitpid(pid, &st, 0) < 0)
		fail("release");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 125;
}
