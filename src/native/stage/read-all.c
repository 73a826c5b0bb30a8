/* read-all.c: reading a whole spec or plan into a mapping reserved up front (MAP_NORESERVE:
 * only the pages written become resident, which the supervisor's footprint depends on). */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A regular file or memfd is read from offset 0 with pread (its writer usually left the
 * offset at the end); anything else (a pipe) to EOF. At most cap bytes: a caller that reads
 * one byte more than its limit sees an oversize input as such. Closes fd. */
char *read_all(int fd, size_t cap, size_t *len, const char *step, const char *what)
{
	size_t got = 0;
	struct stat st;
	char *buf;
	int regular;

	if (fstat(fd, &st) < 0)
		die(EXIT_SETUP, step, errno, "%s", what);
	regular = S_ISREG(st.st_mode);
	buf = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED)
		die(EXIT_SETUP, step, errno, "buffer");
	while (got < cap) {
		ssize_t n = regular ? pread(fd, buf + got, cap - got, (off_t)got) : read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_SETUP, step, errno, "read %s", what);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}
