/* sockets.c: probes over the network stack: a host listener on an abstract unix socket, on a
 * path socket and on 127.0.0.1 (nsbox counts the accepts during the hold), and raw and packet sockets, which only
 * the probe itself can report (having one is the exposure, whatever it could reach). */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void connect_and_hold(const char *name, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct line l;
	int r = connect(fd, sa, len), e = errno;
	hold(name, "connected", r == 0);
	close(fd);
	if (r < 0)
		return report_fail(name, "connect", e);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_emit(&l);
}

/* Connects to the unix socket ARG: abstract (a leading NUL, no file; reachable from any process
 * of the same network namespace) or a path. */
static void unix_connect(const char *name, const char *arg, int abstract)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = arg ? strlen(arg) : 0;
	int fd;
	if (!n || n + 1 > sizeof sa.sun_path)
		return report_fail(name, "argument", EINVAL);
	memcpy(sa.sun_path + (abstract ? 1 : 0), arg, n);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return report_fail(name, "socket", errno);
	connect_and_hold(name, fd, (struct sockaddr *)&sa,
			 abstract ? (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n) : sizeof sa);
}

void probe_unix_abstract(const char *name, const char *arg)
{
	unix_connect(name, arg, 1);
}

/* ARG: a host path socket anyone may connect to; connect(2) needs only write permission on the
 * socket file (unix(7)), so only the sandbox's view of the host keeps it out. */
void probe_unix_path(const char *name, const char *arg)
{
	unix_connect(name, arg, 0);
}

void probe_tcp_loopback(const char *name, const char *arg)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	long long port = parse_num(arg);
	int fd;
	if (port <= 0 || port > 65535)
		return report_fail(name, "argument", EINVAL);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return report_fail(name, "socket", errno);
	connect_and_hold(name, fd, (struct sockaddr *)&sa, sizeof sa);
}

static void open_socket(const char *name, int domain, int type, int protocol)
{
	struct line l;
	int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return report_fail(name, "socket", errno);
	close(fd);
	line_start(&l, "probe", name);
	line_num(&l, "ok", 1);
	line_emit(&l);
}

void probe_raw_socket(const char *name, const char *arg)
{
	(void)arg;
	open_socket(name, AF_INET, SOCK_RAW, IPPROTO_ICMP);
}

void probe_packet_socket(const char *name, const char *arg)
{
	(void)arg;
	/* AF_PACKET 17, ETH_P_ALL 0x0003 (linux/if_ether.h, not visible to musl-gcc). */
	open_socket(name, 17, SOCK_RAW, htons(0x0003));
}
