/* watch.c: counters the supervisor reads before the child is released and after it is gone
 * (memory.events oom_kill, pids.events max, v1 memory.oom_control oom_kill); a rise is one line
 * on stderr, so a payload killed by its limit says why. Never changes the exit status. */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct watch {
	int fd;
	const char *file, *key, *message;
	uint64_t base;
};
static struct watch watches[WIRE_MAX_WATCH];
static unsigned n_watches;
static int armed;

/* Reads KEY's value from a "KEY VALUE\n" file (cgroup-v2.rst "Flat Keyed"; v1's
 * memory.oom_control has the same shape). Returns 1 with *v, 0 if KEY is absent, -1 on a read
 * error. These files are a few lines: one page is plenty. */
static int read_counter(const struct watch *w, uint64_t *v)
{
	char buf[4096], *line, *nl, *end;
	size_t klen = strlen(w->key);
	ssize_t n;
	while ((n = pread(w->fd, buf, sizeof buf - 1, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -1;
	buf[n] = 0;
	for (line = buf; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (strncmp(line, w->key, klen) != 0 || line[klen] != ' ')
			continue;
		errno = 0;
		*v = strtoull(line + klen + 1, &end, 10);
		return errno || end == line + klen + 1 || (*end && *end != '\n') ? 0 : 1;
	}
	return 0;
}

/* Opened, and KEY checked, before any join or clone: a watch on a file without the key would
 * never report anything, which is a mistake worth failing for. */
void watch_open(const struct spec *s)
{
	unsigned i;
	uint64_t v;
	int r;
	for (i = 0; i < s->n_watch; i++) {
		struct watch *w = &watches[i];
		w->file = arena_keep(s->watch[i].file);
		w->key = arena_keep(s->watch[i].key);
		w->message = arena_keep(s->watch[i].message);
		if ((w->fd = openat(AT_FDCWD, w->file, O_RDONLY | O_CLOEXEC)) < 0)
			die(EXIT_SETUP, "watch", errno, "%s", w->file);
		n_watches = i + 1;
		r = read_counter(w, &v);
		if (r < 0)
			die(EXIT_SETUP, "watch", errno, "read %s", w->file);
		if (r == 0)
			die(EXIT_SETUP, "watch", 0, "%s has no counter '%s'", w->file, w->key);
	}
}

/* The baseline, taken just before the child is released: nothing of the sandbox has run yet. */
void watch_arm(void)
{
	unsigned i;
	for (i = 0; i < n_watches; i++)
		if (read_counter(&watches[i], &watches[i].base) != 1)
			die(EXIT_SETUP, "watch", errno, "read '%s' in %s", watches[i].key, watches[i].file);
	armed = 1;
}

void watch_report(void)
{
	unsigned i;
	uint64_t now;
	if (!armed)
		return;
	armed = 0;
	for (i = 0; i < n_watches; i++) {
		const struct watch *w = &watches[i];
		char line[WIRE_MAX_WATCH_MESSAGE + WIRE_MAX_WATCH_KEY + 48];
		int n;
		if (read_counter(w, &now) != 1) {
			warn("watch", errno, "read '%s' in %s", w->key, w->file);
			continue;
		}
		if (now <= w->base)
			continue;
		/* One write(2) per line, as for errors: lines of concurrent sandboxes do not mix. */
		n = snprintf(line, sizeof line, "nsbox: %s (%s +%" PRIu64 ")\n", w->message, w->key,
			     now - w->base);
		if (n > 0 && write(2, line, (size_t)n) < 0)
			continue;
	}
}

void watch_close(void)
{
	unsigned i;
	for (i = 0; i < n_watches; i++)
		close(watches[i].fd);
}
