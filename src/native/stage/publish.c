/* publish.c: `publish FD PORT` (WIRE.md "Publish"): the supervisor forwards every connection
 * accepted on a host listening socket to PORT on the sandbox's loopback. A socket keeps the
 * network namespace it was made in (socket(7)): once the supervisor has entered the sandbox's,
 * its listeners still accept host connections while every socket it makes afterwards is the
 * sandbox's. Bytes are relayed with splice(2) through one pipe per direction, so they never
 * enter the supervisor's memory: a busy forward costs no resident pages beyond its table. */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Connections relayed at once; more wait in the listener's backlog (listen(2)) until one ends.
 * Each holds 6 fds (two sockets, two pipes), so fewer when RLIMIT_NOFILE is lower. */
#define PUBLISH_MAX_CONN 128
#define FDS_PER_CONN 6
/* Empty pipes kept from finished connections for the next ones: a connection per request (HTTP
 * without keep-alive) then costs no pipe2 and close calls. Each is 2 fds, reserved with the
 * stage's own below RLIMIT_NOFILE. */
#define PIPE_POOL 16
#define FD_RESERVE (64 + 2 * PIPE_POOL)
/* A pipe holds 64 KiB by default (pipe(7)); one splice moves at most that. */
#define PIPE_CHUNK (64u * 1024u)
/* Rounds of one direction before the others get their turn (each round ends at EAGAIN anyway). */
#define PUMP_ROUNDS 16

struct listener {
	int fd, family;
	uint16_t port;
};

/* One direction of a connection: bytes wait in the pipe until the destination takes them. */
struct flow {
	int pipe[2];
	size_t pending;
	uint8_t eof, shut; /* the source said EOF; the destination got shutdown(SHUT_WR) */
};

struct conn {
	int fd[2];           /* 0: the host's client, 1: the socket to the sandbox's server */
	uint8_t connecting;  /* the connect to the sandbox is still in progress */
	struct flow flow[2]; /* 0: client to server, 1: server to client */
};

/* The host's /proc (opened before any join), then the child's pidfd and namespaces (publish_hold). */
static int proc_fd = -1, pid_fd = -1, net_fd = -1, user_fd = -1;
/* One object, the small and always used parts first: an idle forward touches one or two pages of
 * it, and a connection only its own slots (the supervisor's resident memory is the budget). */
/* Apart from the rest: every start reads it (the child to close the listeners, the supervisor to
 * know whether to serve), and alone it sits with the other small variables instead of on a page
 * of its own, which costs a page fault to read (build.ts, --sort-section). */
static unsigned n_listeners;
static struct {
	unsigned n_conns, max_conns, n_pool;
	int starved; /* out of fds or memory: stop accepting until a connection ends or 100 ms pass */
	struct listener listeners[WIRE_MAX_PUBLISH];
	int pool[PIPE_POOL][2];
	struct pollfd pfd[2 + WIRE_MAX_PUBLISH + 2 * PUBLISH_MAX_CONN];
	struct conn conns[PUBLISH_MAX_CONN];
} fwd;

/* Before any join: each fd must be a listening TCP socket (nsbox made it in the host's
 * network namespace). Copied out of the spec, which the supervisor drops later. */
void publish_open(const struct spec *s)
{
	unsigned i;
	for (i = 0; i < s->n_publish; i++) {
		struct listener *l = &fwd.listeners[i];
		int listening = 0, type = 0;
		socklen_t n = sizeof l->family;
		l->fd = (int)s->publish[i].fd;
		l->port = s->publish[i].port;
		if (getsockopt(l->fd, SOL_SOCKET, SO_DOMAIN, &l->family, &n) < 0)
			die(EXIT_SETUP, "publish", errno, "fd %d", l->fd);
		n = sizeof type;
		if (getsockopt(l->fd, SOL_SOCKET, SO_TYPE, &type, &n) < 0)
			die(EXIT_SETUP, "publish", errno, "fd %d", l->fd);
		n = sizeof listening;
		if (getsockopt(l->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &n) < 0)
			die(EXIT_SETUP, "publish", errno, "fd %d", l->fd);
		if ((l->family != AF_INET && l->family != AF_INET6) || type != SOCK_STREAM || !listening)
			die(EXIT_SETUP, "publish", 0, "fd %d is not a listening TCP socket", l->fd);
		/* Nonblocking: a client gone between poll and accept must not stall the supervisor.
		 * TCP_NODELAY here is inherited by every accepted socket (see open_conn for why). */
		if (fcntl(l->fd, F_SETFD, FD_CLOEXEC) < 0 ||
		    fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK) < 0 ||
		    setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int)) < 0)
			die(EXIT_SETUP, "publish", errno, "fd %d: set nonblocking, nodelay", l->fd);
		n_listeners = i + 1;
	}
	if (n_listeners && (proc_fd = openat(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "publish", errno, "open /proc");
}

/* In the child: the listeners are the supervisor's alone; the init and payload never hold one. */
void publish_close(void)
{
	unsigned i;
	for (i = 0; i < n_listeners; i++)
		close(fwd.listeners[i].fd);
	if (proc_fd >= 0)
		close(proc_fd);
}

static int open_ns(pid_t child, const char *kind)
{
	char path[48];
	int fd;
	snprintf(path, sizeof path, "%d/ns/%s", (int)child, kind);
	if ((fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "publish", errno, "open /proc/%s", path);
	return fd;
}

/* Right after the clone, while the child still waits to be released. Opening /proc/PID/ns/KIND
 * (and setns on a pidfd) needs ptrace read access to the child (proc_ns_get_link, validate_nsset):
 * for an unprivileged caller that holds only now, while the child has our credentials; once it
 * becomes root of its user namespace the credential change makes it non-dumpable (prctl(2)
 * PR_SET_DUMPABLE), and from then on only CAP_SYS_PTRACE on the host would do. */
void publish_hold(pid_t child, int new_user)
{
	if (!n_listeners)
		return;
	/* pidfd_open(2): readable once the child exits; it replaces the blocking waitpid. */
	if ((pid_fd = (int)syscall(SYS_pidfd_open, child, 0)) < 0)
		die(EXIT_SETUP, "publish", errno, "pidfd_open %d", (int)child);
	net_fd = open_ns(child, "net");
	if (new_user)
		user_fd = open_ns(child, "user");
	close(proc_fd);
	proc_fd = -1;
}

/* PR_SET_DUMPABLE 0 first: after the setns the supervisor is a process in the sandbox's
 * network (and, unprivileged, user) namespace, and a non-dumpable one can only be ptraced
 * with CAP_SYS_PTRACE over its mm's user namespace, the host's (ptrace(2), "Ptrace access
 * mode checking"), which the sandbox never has. Joining the network namespace needs
 * CAP_SYS_ADMIN over its owner and over the caller's own user namespace (net/core/
 * net_namespace.c netns_install). Root has both and stays in the host's user namespace, so
 * the sandbox's root gets no capability over it (kill(2) checks CAP_KILL in the target's user
 * namespace). An unprivileged caller has neither in its own namespace: it joins the sandbox's
 * user namespace first (created by it: all capabilities there), with its uid unchanged. */
static void enter_sandbox_net(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die(EXIT_SETUP, "publish", errno, "PR_SET_DUMPABLE");
	if (setns(net_fd, CLONE_NEWNET) == 0)
		return;
	if (errno != EPERM || user_fd < 0)
		die(EXIT_SETUP, "publish", errno, "enter the sandbox's network namespace");
	if (setns(user_fd, CLONE_NEWUSER) < 0)
		die(EXIT_SETUP, "publish", errno, "enter the sandbox's user namespace");
	if (setns(net_fd, CLONE_NEWNET) < 0)
		die(EXIT_SETUP, "publish", errno, "enter the sandbox's network namespace");
}

static int take_pipe(int p[2])
{
	if (!fwd.n_pool)
		return pipe2(p, O_NONBLOCK | O_CLOEXEC);
	fwd.n_pool--;
	p[0] = fwd.pool[fwd.n_pool][0];
	p[1] = fwd.pool[fwd.n_pool][1];
	return 0;
}

/* Only an empty pipe goes back: a relay cut off with bytes still in it would hand them on to
 * the next connection. */
static void give_pipe(const struct flow *f)
{
	if (f->pipe[0] < 0)
		return;
	if (!f->pending && fwd.n_pool < PIPE_POOL) {
		fwd.pool[fwd.n_pool][0] = f->pipe[0];
		fwd.pool[fwd.n_pool++][1] = f->pipe[1];
		return;
	}
	close(f->pipe[0]);
	close(f->pipe[1]);
}

static void close_conn(unsigned i, int abort)
{
	struct conn *c = &fwd.conns[i];
	unsigned k;
	for (k = 0; k < 2; k++) {
		/* An aborted relay resets both ends (SO_LINGER 0, socket(7)): a cut-off reply must
		 * not look complete to the client. */
		if (abort) {
			struct linger lg = {1, 0};
			setsockopt(c->fd[k], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		close(c->fd[k]);
		give_pipe(&c->flow[k]);
	}
	fwd.conns[i] = fwd.conns[--fwd.n_conns];
	fwd.starved = 0;
}

/* Connects a fresh socket, made in the sandbox's network namespace, to its loopback. */
static int connect_inner(const struct listener *l, int *connecting)
{
	struct sockaddr_in a4 = {0};
	struct sockaddr_in6 a6 = {0};
	int fd = socket(l->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r;
	if (fd < 0)
		return -1;
	if (l->family == AF_INET) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(l->port);
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r = connect(fd, (struct sockaddr *)&a4, sizeof a4);
	} else {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(l->port);
		a6.sin6_addr = in6addr_loopback;
		r = connect(fd, (struct sockaddr *)&a6, sizeof a6);
	}
	*connecting = r < 0;
	if (r < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A failed connect to the sandbox (nothing listens yet, or it is full) closes the client:
 * the forward never answers in the server's place. */
static void open_conn(int client, const struct listener *l)
{
	struct conn *c = &fwd.conns[fwd.n_conns];
	int connecting = 0, k;
	memset(c, 0, sizeof *c);
	c->fd[0] = client;
	c->flow[0].pipe[0] = c->flow[1].pipe[0] = -1;
	if ((c->fd[1] = connect_inner(l, &connecting)) < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			fwd.starved = 1;
		struct linger lg = {1, 0};
		setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(client);
		return;
	}
	c->connecting = (uint8_t)connecting;
	/* The relay passes on segments as they come, so it must not hold one back for an ACK
	 * (Nagle, tcp(7) TCP_NODELAY): the sender already chose where its writes end, and a delayed
	 * ACK on the other side would stall a small reply for up to 40 ms. The client's socket
	 * inherited it from the listener. */
	setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	for (k = 0; k < 2; k++)
		if (take_pipe(c->flow[k].pipe) < 0) {
			c->flow[k].pipe[0] = -1;
			fwd.n_conns++;
			close_conn(fwd.n_conns - 1, 1);
			fwd.starved = 1;
			return;
		}
	fwd.n_conns++;
}

static void accept_from(const struct listener *l)
{
	while (fwd.n_conns < fwd.max_conns && !fwd.starved) {
		int c = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			open_conn(c, l);
		} else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			fwd.starved = 1;
		} else if (errno != EINTR && errno != ECONNABORTED) {
			return; /* EAGAIN: no more waiting; anything else: the next poll tells */
		}
	}
}

/* Moves what one direction can move now. Returns -1 when the relay must be aborted. At EOF of
 * the source and with nothing left in the pipe, the destination is shut for writing only: a
 * client's half-close reaches the server, whose reply still comes back. */
static int pump(struct conn *c, unsigned d)
{
	struct flow *f = &c->flow[d];
	int src = c->fd[d], dst = c->fd[1 - d];
	unsigned round;
	ssize_t n;
	for (round = 0; round < PUMP_ROUNDS; round++) {
		if (f->pending)
			n = splice(f->pipe[0], NULL, dst, NULL, f->pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		else if (f->eof)
			break;
		else
			n = splice(src, NULL, f->pipe[1], NULL, PIPE_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && f->pending)
			f->pending -= (size_t)n;
		else if (n > 0)
			f->pending = (size_t)n;
		else if (n == 0 && !f->pending)
			f->eof = 1;
	}
	/* Outside the loop: the round that saw EOF may have been the last one, and nothing would
	 * wake this direction again (poll_conn waits for nothing on a finished one). When the other
	 * direction is over too, the close that follows sends the FIN: both receive queues were
	 * read to their end, so it is not a reset (tcp(7)). */
	if (f->eof && !f->pending && !f->shut) {
		if (!c->flow[1 - d].shut && shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
			return -1;
		f->shut = 1;
	}
	return 0;
}

/* Returns -1 to abort, 1 when both directions are over, 0 otherwise. */
static int progress(struct conn *c)
{
	unsigned d;
	/* Connected, or refused: a refused connect's error comes back from the first splice to or
	 * from that socket (its pending sk_err), which aborts the relay. */
	c->connecting = 0;
	for (d = 0; d < 2; d++)
		if (pump(c, d) < 0)
			return -1;
	return c->flow[0].shut && c->flow[1].shut;
}

/* What each end waits for; an fd with nothing to wait for is left out (-1), so a hung-up end
 * whose bytes cannot move yet does not wake the loop over and over. */
static void poll_conn(const struct conn *c, struct pollfd *p)
{
	short ev[2] = {0, 0};
	unsigned d;
	if (c->connecting) {
		ev[1] = POLLOUT;
	} else {
		for (d = 0; d < 2; d++) {
			if (c->flow[d].pending)
				ev[1 - d] |= POLLOUT;
			else if (!c->flow[d].eof)
				ev[d] |= POLLIN;
		}
	}
	for (d = 0; d < 2; d++) {
		p[d].fd = ev[d] ? c->fd[d] : -1;
		p[d].events = ev[d];
		p[d].revents = 0;
	}
}

static void serve(int pidfd)
{
	unsigned i, first = 2 + n_listeners;
	int r;
	for (;;) {
		fwd.pfd[0] = (struct pollfd){pidfd, POLLIN, 0};
		/* The sandbox's output log, when it has one (output-log.c); -1 is skipped by poll. */
		fwd.pfd[1] = (struct pollfd){output_log_fd(), POLLIN, 0};
		for (i = 0; i < n_listeners; i++)
			fwd.pfd[2 + i] = (struct pollfd){fwd.n_conns < fwd.max_conns && !fwd.starved ? fwd.listeners[i].fd : -1, POLLIN, 0};
		for (i = 0; i < fwd.n_conns; i++)
			poll_conn(&fwd.conns[i], &fwd.pfd[first + 2 * i]);
		/* EINTR: a forwarded signal; the pidfd says when the sandbox is over. Starved, the
		 * listeners are left out for a while instead of failing accept(2) in a busy loop; with
		 * no connection left to end, only the time brings them back. */
		r = poll(fwd.pfd, first + 2 * fwd.n_conns, fwd.starved ? 100 : -1);
		fwd.starved = 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_SETUP, "publish", errno, "poll");
		}
		if (fwd.pfd[1].revents)
			output_log_pump();
		if (fwd.pfd[0].revents)
			return;
		/* Backwards: closing swaps the last connection into the slot, already handled. */
		for (i = fwd.n_conns; i-- > 0;) {
			if (!(fwd.pfd[first + 2 * i].revents | fwd.pfd[first + 2 * i + 1].revents))
				continue;
			if ((r = progress(&fwd.conns[i])) != 0)
				close_conn(i, r < 0);
		}
		for (i = 0; i < n_listeners; i++)
			if (fwd.pfd[2 + i].revents)
				accept_from(&fwd.listeners[i]);
	}
}

/* Whether publish_serve has listeners to serve (it returns at once without). */
int publish_pending(void)
{
	return n_listeners != 0;
}

/* Once the payload runs (its execve succeeded): forwards until the child exits, then closes
 * the listeners (the ports close with the sandbox). The child is left for the caller to reap. */
void publish_serve(void)
{
	struct rlimit nofile;
	unsigned i;
	if (!n_listeners)
		return;
	fwd.max_conns = PUBLISH_MAX_CONN;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < FD_RESERVE + FDS_PER_CONN * PUBLISH_MAX_CONN)
		fwd.max_conns = nofile.rlim_cur > FD_RESERVE + FDS_PER_CONN ? (unsigned)(nofile.rlim_cur - FD_RESERVE) / FDS_PER_CONN : 1;
	enter_sandbox_net();
	close(net_fd);
	if (user_fd >= 0)
		close(user_fd);
	serve(pid_fd);
	while (fwd.n_conns)
		close_conn(fwd.n_conns - 1, 0);
	for (; fwd.n_pool > 0; fwd.n_pool--) {
		close(fwd.pool[fwd.n_pool - 1][0]);
		close(fwd.pool[fwd.n_pool - 1][1]);
	}
	for (i = 0; i < n_listeners; i++)
		close(fwd.listeners[i].fd);
	n_listeners = 0;
	close(pid_fd);
}
