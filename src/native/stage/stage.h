/* stage.h: the entry points of the stage's modules, one block per file, in the order the
 * sandbox is built (see main.c for the flow and DESIGN.md section 2 for the why). */
#ifndef NSBOX_STAGE_H
#define NSBOX_STAGE_H

#include <sys/types.h>

#include "wire.h"

/* What the sandbox's processes share besides the spec (stage-fds.c): set once in the child
 * (main.c). */
struct stage_fds {
	int error_w;   /* write end of the CLOEXEC error pipe */
	int lifeline;  /* read end of the sync pipe: POLLHUP once the supervisor is gone */
	mode_t umask;  /* the caller's umask, given back to the payload */
};
extern struct stage_fds stage_fds;

/* run.c: runs a decoded spec: the supervisor's steps, then the child's; buf (cap bytes) holds
 * the spec's strings (stage_give_back gives its pages back). For --spec-fd and --plan (main.c)
 * and the front (front.c). */
_Noreturn void stage_run(struct spec *s, char *buf, size_t cap);
/* Opens /dev/null on each of fds 0-2 that is closed, so no fd of the stage's can land there and
 * reach the payload as its stdin, stdout or stderr. Called first thing by main. */
void stage_fill_stdio(void);

/* ns.c: joining given namespaces (supervisor; ns-fd fds are closed right after), cloning the
 * child, late unshares (child). */
void ns_join(const struct spec *s);
pid_t ns_clone(const struct spec *s, int cgroup_fd);
void ns_unshare_late(const struct spec *s);

/* ids.c: id maps written by the supervisor; the child becoming root of its user ns. */
void ids_write_maps(const struct spec *s, int proc_fd, pid_t child);
void ids_become_root(const struct spec *s);
void ids_write_map(int proc_fd, pid_t pid, const char *name, const struct id_range *m, unsigned n);

/* idmap.c: idmapped binds, made detached by the supervisor (which holds CAP_SYS_ADMIN over the
 * host's file systems) before the clone; the child attaches them in step_bind. */
void idmap_prepare(struct spec *s);
void idmap_close(const struct spec *s);

/* mount.c: propagation, the staging root, the steps in order, the read-only root, pivot_root. */
void mount_build_root(const struct spec *s);

/* step-progress.c: the steps run so far; the read-only bind an earlier step put above a path
 * (for error messages). */
void step_progress(const struct spec *s, unsigned done);
const struct mount_step *mount_ro_bind_above(const char *dst);

/* path.c: resolving and creating paths strictly inside a root fd (openat2 RESOLVE_IN_ROOT).
 * All return -1 with errno set on failure. */
int path_open(int root, const char *abs, int flags);
int path_parent(int root, const char *abs, char leaf[256]);
void path_parent_close(int root, int parent);
int path_open_strict(int root, const char *abs, int flags);
int path_mountpoint(int root, const char *abs, int is_dir);

/* fsmount.c: a detached filesystem mount, attaching it, the error for a missing destination. */
int fs_new(const char *type, const char *const *kv, unsigned attrs);
int attach(int mnt_fd, int dst_fd);
_Noreturn void die_create(const struct mount_step *m, const char *step, int err, const char *what);

/* steps.c: bind, tmpfs, proc, mqueue, dir, symlink; hands mask, remount-ro, dev on. */
void step_run(const struct mount_step *m, int oldroot, int newroot);

/* protect.c: mask and remount-ro. */
void step_mask(const struct mount_step *m, int oldroot, int newroot);
void step_remount_ro(const struct mount_step *m, int newroot);

/* dev.c: the minimal /dev. */
void step_dev(const struct mount_step *m, int oldroot, int newroot);

/* net.c: loopback up. */
void net_lo_up(void);

/* sysctl.c: the sandbox's sysctls, written by the child. */
void sysctl_apply(const struct spec *s);

/* keyring.c: a fresh session keyring for the payload. */
void keyring_new_session(void);

/* caps.c: ids, capabilities and securebits of the payload; what the init keeps. */
void caps_bound_for_payload(const struct spec *s);
void caps_apply(const struct spec *s);
void caps_drop_for_init(uint64_t payload_caps);

/* init.c: PID 1 of the sandbox: forks the payload, forwards signals, reaps. */
_Noreturn void init_run(const struct spec *s);

/* payload.c: the last steps of the payload process and execve. */
_Noreturn void payload_exec(const struct spec *s);

/* cgroup.c: the v2 cgroup to clone into (returned by cgroup_open) and v1 cgroup-join dirs. */
int cgroup_open(const struct spec *s);
void cgroup_join_child(const struct spec *s, pid_t child);
void cgroup_close(void);

/* watch.c: counters read before the child runs and after it is gone. */
void watch_open(const struct spec *s);
void watch_arm(void);
void watch_report(void);
void watch_close(void);

/* persist.c: persist mode: targets opened early (supervisor), the child's stop, the binds. */
void persist_open(const struct spec *s);
void persist_close(void);
void persist_order_mnt_ns(void);
_Noreturn void persist_stop(void);
void persist_bind(pid_t child);

/* publish.c: host listeners whose connections the supervisor forwards into the sandbox's
 * network namespace: checked before any join, closed in the child, the child's namespaces held
 * right after the clone, served once the payload runs. */
void publish_open(const struct spec *s);
void publish_close(void);
void publish_hold(pid_t child, int new_user);
void publish_serve(void);
int publish_pending(void);

/* output-log.c: the payload's stdout and stderr through a pipe into a capped, rotated log
 * written by the supervisor: opened before the clone, the pipe given to the child, the write end
 * closed in the supervisor after the clone, then pumped while the sandbox runs (by publish.c's
 * loop when it serves, else by output_log_serve) and drained once the child is over. */
void output_log_open(const struct spec *s);
void output_log_child(void);
void output_log_release(void);
int output_log_pending(void);
int output_log_fd(void);
int output_log_pump(void);
void output_log_serve(pid_t child);
void output_log_drain(void);

/* on-exit.c: on-exit-unlink and on-exit-rmdir. */
void on_exit_init(const struct spec *s);
void on_exit_close(void);
void on_exit_run(void);

/* read-all.c: fd read whole (at most cap bytes) into a fresh mapping; closes fd. */
char *read_all(int fd, size_t cap, size_t *len, const char *step, const char *what);

/* arena.c: copies of spec strings that outlive the spec buffer (never NULL; dies when full). */
const char *arena_keep(const char *str);

/* drop-spec.c: gives setup's pages back to the kernel (the decoded spec, the buffer its strings
 * are in, both named before the clone with stage_setup_pages, the stack below, the read-only
 * segments), in a process that stays for the sandbox's lifetime and reads nothing of them any
 * more: the spec and the buffer read as zeros after. The supervisor and the init call it only once the sandbox has run for
 * STAGE_DROP_GRACE_MS: what it costs is then never paid by a short-lived sandbox. */
#define STAGE_DROP_GRACE_MS 20
struct timespec;
void stage_setup_pages(const struct spec *s, const char *buf, size_t cap);
void stage_give_back(void);
/* The grace begins (stage_grace_start, CLOCK_MONOTONIC); what is left of it, in ms, 0 once it
 * is over: a wait woken early (a signal) goes on waiting the rest, not the whole grace again. */
void stage_grace_start(struct timespec *since);
int stage_grace_left_ms(const struct timespec *since);

/* supervisor.c: the process the caller waits on; and the tie from the sandbox back to it. */
void supervisor_finish(void);
_Noreturn void supervisor_exit(int code);
void supervisor_block_signals(void);
void supervisor_die_with_parent(pid_t ppid);
void supervisor_forward_to(pid_t child);
_Noreturn void supervisor_wait(pid_t child, int error_r, int persist);
void tie_to_supervisor(void);

#endif
