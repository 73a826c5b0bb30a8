/* trace.c: NSBOX_TRACE: one stderr line per step of the stage, in milliseconds since a given
 * origin, for profiling start-up. nsbox passes its own start time (epoch microseconds) so its
 * phases and the stage's share one clock; any other value means "since the stage started".
 * Off: one getenv at start, nothing else. Integers only: float parsing would grow the stage. */
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long origin_us = -1; /* CLOCK_REALTIME in µs; < 0: tracing is off */

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

void trace_init(void)
{
	const char *v = getenv("NSBOX_TRACE"), *p;
	long long given = 0;

	if (!v || !*v || (v[0] == '0' && !v[1]))
		return;
	for (p = v; *p >= '0' && *p <= '9' && given < 1000000000000000000LL / 10; p++)
		given = given * 10 + (*p - '0');
	origin_us = (*p == '\0' && given > 1000000000000000LL) ? given : now_us();
}

void trace(const char *step)
{
	char line[320];
	long long dt;
	int n;

	if (origin_us < 0)
		return;
	dt = now_us() - origin_us;
	n = snprintf(line, sizeof line, "nsbox-trace: %5lld.%02lld ms  stage: %s\n", dt / 1000, (dt % 1000) / 10, step);
	if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
		return;
}
