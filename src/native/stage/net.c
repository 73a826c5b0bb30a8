/* net.c: the network the sandbox gets from the stage itself: only the loopback interface of
 * its new network namespace, brought up (everything else is prepared by TypeScript). */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* A new network namespace has lo, down (network_namespaces(7)). SIOCSIFFLAGS on any socket of
 * the namespace is enough: no netlink needed for one flag. */
void net_lo_up(void)
{
	struct ifreq r;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(EXIT_SETUP, "lo-up", errno, "socket");
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &r) < 0)
		die(EXIT_SETUP, "lo-up", errno, "lo");
	r.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &r) < 0)
		die(EXIT_SETUP, "lo-up", errno, "lo");
	close(fd);
}
