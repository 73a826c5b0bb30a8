/* wire.h: the decoded form of a WIRE.md v1 spec (struct spec) and the decoder's entry point.
 * Every limit below is a rule of WIRE.md; the arrays are sized by them, so decoding never
 * allocates and no count can outgrow its array. */
#ifndef NSBOX_WIRE_H
#define NSBOX_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC "nsbox-wire"
#define WIRE_VERSION "1"
#define WIRE_MAX_STREAM (4u << 20)  /* 4 MiB */
#define WIRE_MAX_TOKEN 131072u      /* bytes of a token counting its NUL: MAX_ARG_STRLEN */
#define WIRE_MAX_RECORDS 4096u
#define WIRE_MAX_MAP 340u           /* the kernel's limit on uid_map lines since 4.15 */
#define WIRE_MAX_ENV 4096u
#define WIRE_MAX_KEEP_FD 1024u
#define WIRE_MAX_PASS_FD 64u        /* become the payload's fds 3..66 (sd_listen_fds(3)) */
#define WIRE_MAX_RLIMIT 16u
#define WIRE_MAX_PATH 4095u
#define WIRE_MAX_HOSTNAME 64u       /* HOST_NAME_MAX */
#define WIRE_MAX_ENV_KEY 255u       /* env-pid KEY */
#define WIRE_MAX_NS_FD 8u
#define WIRE_MAX_ON_EXIT 16u        /* each of on-exit-unlink and on-exit-rmdir */
#define WIRE_MAX_CGROUP_JOIN 16u
#define WIRE_MAX_WATCH 8u
#define WIRE_MAX_WATCH_KEY 64u
#define WIRE_MAX_WATCH_MESSAGE 200u
#define WIRE_MAX_PERSIST_LINK 8u
#define WIRE_MAX_SYSCTL 16u
#define WIRE_MAX_SYSCTL_NAME 255u
#define WIRE_MAX_SYSCTL_VALUE 64u
#define WIRE_MAX_BIND_IDMAP 64u     /* bind-idmap records, uid and gid lines of all binds */
#define WIRE_MAX_PUBLISH 16u        /* host listeners the supervisor forwards (publish.c) */
#define WIRE_MAX_LOG_NAME 200u      /* log NAME: NAME.1 and NAME.new stay names (log-file.h) */
#define WIRE_MIN_LOG_MAX 4096u      /* log MAX: bytes of one generation */

enum ns_kind { NS_USER, NS_MNT, NS_PID, NS_NET, NS_UTS, NS_IPC, NS_CGROUP, NS_TIME, NS_COUNT };
struct ns_kind_info {
	const char *name;
	uint64_t flag;
};
extern const struct ns_kind_info ns_kinds[NS_COUNT]; /* ns-kinds.c */

enum step_kind {
	STEP_BIND, STEP_TMPFS, STEP_PROC, STEP_DEV, STEP_MQUEUE, STEP_DIR, STEP_SYMLINK, STEP_MASK,
	STEP_REMOUNT_RO
};
#define BIND_RO 1u
#define BIND_OPTIONAL 2u
#define BIND_DEV 4u
#define BIND_IDMAP 8u
#define BIND_NO_SYMLINKS 16u /* SRC resolved without following any symlink (a state directory) */

struct id_range {
	uint32_t inside, outside, count;
};

struct mount_step {
	uint8_t kind;
	uint32_t flags;       /* bind: BIND_* */
	uint32_t mode;        /* tmpfs, dir */
	uint64_t size;        /* tmpfs: bytes, 0 = kernel default */
	const char *src;      /* bind: host path; symlink: TARGET */
	const char *dst;      /* DST, or LINK for symlink */
	unsigned at;          /* token index of the op, for messages */
	int idmap_tree;       /* bind with BIND_IDMAP: the detached idmapped tree (idmap.c), 0 = none */
};

/* One line of an idmapped bind's map: on-disk ids r.inside.. are host ids r.outside.. */
struct bind_idmap {
	const char *dst;      /* the bind's DST */
	int gid;              /* 0: a uid line, 1: a gid line */
	struct id_range r;
	unsigned at;
};

struct rlimit_rec {
	int resource;
	uint64_t soft, hard;  /* UINT64_MAX = RLIM_INFINITY, as in the kernel ABI */
};

struct watch_rec {
	const char *file, *key, *message;
};

struct persist_link {
	enum ns_kind kind;
	const char *path;
};

/* A host listening socket whose connections the supervisor forwards to PORT on the sandbox's
 * loopback (publish.c). */
struct publish_rec {
	uint32_t fd;
	uint16_t port;
};

struct sysctl_rec {
	const char *name, *value;  /* NAME is relative to /proc/sys */
};

enum propagation { PROP_SLAVE, PROP_PRIVATE, PROP_SHARED, PROP_UNCHANGED };
enum setgroups_mode { SETGROUPS_UNSET, SETGROUPS_ALLOW, SETGROUPS_DENY };

/* Ops, in the order of WIRE.md's table; spec.op_at[OP] is the token index of the op's first
 * record (0 = absent: token 0 is the magic, never an op), so rules can point at it. */
enum op {
	OP_CLONE, OP_JOIN, OP_NS_FD, OP_UIDMAP, OP_GIDMAP, OP_SETGROUPS, OP_PROPAGATION, OP_BIND,
	OP_TMPFS, OP_PROC, OP_DEV, OP_MQUEUE, OP_DIR, OP_SYMLINK, OP_MASK, OP_REMOUNT_RO,
	OP_HOSTNAME, OP_LO_UP, OP_SYSCTL, OP_UID, OP_GID, OP_CWD, OP_ENV, OP_ENV_PID, OP_KEEP_FD,
	OP_PASS_FD, OP_INIT, OP_NEW_SESSION, OP_DIE_WITH_PARENT, OP_NO_NEW_PRIVS, OP_CAPS, OP_RLIMIT,
	OP_SECCOMP, OP_CGROUP, OP_CGROUP_JOIN, OP_WATCH, OP_ARGV, OP_PERSIST, OP_PERSIST_LINK,
	OP_ON_EXIT_UNLINK, OP_ON_EXIT_RMDIR, OP_BIND_IDMAP, OP_PUBLISH, OP_LOG, OP_COUNT
};

/* Field order: the scalars and counts first, then the arrays from small to large. The arrays
 * are sized by the wire's limits and a start uses only their first entries, so what a start
 * touches sits on about six pages instead of the nine the declaration order of the ops gave:
 * each page the supervisor writes first, and each the child then reads, is a page fault
 * (10-15 us on a 2-CPU paravirtualised VM, which traps every new mapping twice). */
struct spec {
	uint64_t clone_flags;
	const char *join[NS_COUNT];              /* NULL = not joined */
	unsigned join_at[NS_COUNT];
	unsigned n_ns_fd, n_uidmap, n_gidmap, n_steps, n_bind_idmap, n_sysctl, n_env, n_keep_fd;
	unsigned n_pass_fd, n_rlimits, n_cgroup_join, n_watch, n_argv, n_persist_link;
	unsigned n_on_exit_unlink, n_on_exit_rmdir, n_publish;
	enum setgroups_mode setgroups;
	enum propagation propagation;
	const char *hostname;
	int lo_up;
	uint32_t uid, gid;
	const char *cwd;
	const char *env_pid;
	int init, new_session, die_with_parent, no_new_privs;
	uint64_t caps;
	const unsigned char *seccomp;            /* decoded in place in the input buffer */
	size_t seccomp_len;                      /* bytes, a multiple of 8 */
	const char *cgroup;
	const char *persist;                     /* persist mode: DIR; NULL = run argv */
	const char *log_name;                    /* log: NAME in the directory log_dir; NULL = none */
	uint32_t log_dir;
	uint64_t log_max;                        /* log: bytes of one generation (output-log.c) */
	unsigned op_at[OP_COUNT];
	unsigned end_at;
	uint32_t ns_fd[WIRE_MAX_NS_FD];
	struct rlimit_rec rlimits[WIRE_MAX_RLIMIT];
	struct sysctl_rec sysctl[WIRE_MAX_SYSCTL];
	const char *cgroup_join[WIRE_MAX_CGROUP_JOIN];
	struct watch_rec watch[WIRE_MAX_WATCH];
	struct persist_link persist_link[WIRE_MAX_PERSIST_LINK];
	const char *on_exit_unlink[WIRE_MAX_ON_EXIT], *on_exit_rmdir[WIRE_MAX_ON_EXIT];
	struct publish_rec publish[WIRE_MAX_PUBLISH];
	struct id_range uidmap[WIRE_MAX_MAP], gidmap[WIRE_MAX_MAP];
	struct bind_idmap bind_idmap[WIRE_MAX_BIND_IDMAP];
	uint32_t pass_fd[WIRE_MAX_PASS_FD];      /* the i-th becomes fd 3+i in the payload */
	uint32_t keep_fd[WIRE_MAX_KEEP_FD];
	const char *argv[WIRE_MAX_RECORDS + 1];  /* NULL-terminated */
	const char *env[WIRE_MAX_ENV + 2];       /* + env-pid + NULL */
	struct mount_step steps[WIRE_MAX_RECORDS];
};

struct wire_error {
	char reason[200];
	unsigned token;
};

/* Decodes buf[0..len) (modified in place: seccomp hex becomes bytes) into *s, which must be
 * zeroed. Returns 0, or -1 with *e filled. Pointers in *s point into buf. */
int wire_decode(char *buf, size_t len, struct spec *s, struct wire_error *e);

/* "NOFILE" for RLIMIT_NOFILE, for messages. */
const char *wire_rlimit_name(int resource);

/* Cross-field rules, run by wire_decode after `end` (wire-check.c). */
int wire_check(struct spec *s, struct wire_error *e);

/* Shared by wire.c and wire-check.c: sets *e and returns -1. */
int wire_fail(struct wire_error *e, unsigned token, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
