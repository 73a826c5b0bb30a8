/* arena.c: strings of the spec the supervisor still needs after it unmapped the spec buffer
 * (paths to remove, messages to print), copied into one static arena. Sized for every such
 * record at its maximum; only the pages written become resident. */
#include "report.h"
#include "stage.h"

#include <string.h>

/* A test build may shrink it to reach the full-arena path. */
#ifndef ARENA_BYTES
#define ARENA_BYTES ((2 * WIRE_MAX_ON_EXIT + NS_COUNT + WIRE_MAX_PERSIST_LINK + 2 * WIRE_MAX_WATCH) * \
		     (WIRE_MAX_PATH + 16))
#endif

/* Never returns a stand-in: a path to remove or a file to watch that came back empty would
 * act on the wrong object, so a full arena stops the run. */
const char *arena_keep(const char *str)
{
	static char arena[ARENA_BYTES];
	static size_t used;
	size_t len = strlen(str) + 1;
	char *p;
	if (len > sizeof arena - used)
		die(EXIT_SETUP, "internal", 0, "no room left to keep %zu more bytes of the spec", len);
	p = memcpy(arena + used, str, len);
	used += len;
	return p;
}
