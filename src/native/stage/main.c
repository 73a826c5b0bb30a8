/* main.c: the stage's three ways in, each ending in stage_run (run.c), which builds the sandbox:
 *  - `nsbox-stage --spec-fd N [--check]`: the wire spec nsbox wrote (WIRE.md), read and decoded;
 *  - `nsbox-stage --plan FILE [ARG...]`: a saved plan's interpreter line (saved-plan.c, PLAN.md);
 *  - invoked as `nsbox` without one of those flags: the front (front.c, FRONT.md), which serves
 *    a repeated `nsbox run` line from its entry or execs nsbox with the same argv. */
#include "front.h"
#include "report.h"
#include "saved-plan.h"
#include "stage.h"
#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Large but in .bss: only the pages a spec uses become resident. Page-aligned, so that
 * stage_give_back gives back its first page too instead of sharing it with other variables. */
static struct spec spec __attribute__((aligned(4096)));

static _Noreturn void usage(void)
{
	static const char msg[] = "nsbox-stage: usage: nsbox-stage --spec-fd N [--check] | --plan FILE [ARG...]\n";
	if (write(2, msg, sizeof msg - 1) < 0)
		_exit(EXIT_USAGE);
	_exit(EXIT_USAGE);
}

/* One byte more than the limit is read so an oversize stream is seen as such. */
static char *read_spec(int fd, size_t *len)
{
	char what[24];
	snprintf(what, sizeof what, "fd %d", fd);
	return read_all(fd, WIRE_MAX_STREAM + 1, len, "spec-fd", what);
}

/* `--plan FILE [ARG...]` (argv[0..2]): the interpreter line of a saved plan (saved-plan.c). */
static _Noreturn void run_saved_plan(int argc, char **argv)
{
	struct wire_error e;
	size_t cap, at, len, n0;
	int append, i;
	const char *file = argv[2];
	char *buf = plan_load(file, &cap, &at, &len, &append);

	if (wire_decode(buf + at, len, &spec, &e) < 0)
		die(EXIT_SETUP, "invalid wire spec", 0, "%s: %s (at token %u)", file, e.reason, e.token);
	plan_append_args(&spec, file, append, argv + 3, argc - 3);
	trace("plan checked and decoded");
	/* The init is the sandbox's PID 1, and /proc/1/cmdline is readable by the payload whatever
	 * its dumpability (proc(5)): it shows `nsbox` and the appended ARGs (the payload's own), as
	 * for --spec-fd, not the host paths of the stage and the plan. */
	n0 = strlen(argv[0]);
	for (i = 0; i < 3; i++)
		memset(argv[i], 0, strlen(argv[i]));
	if (n0 >= 5)
		memcpy(argv[0], "nsbox", 5);
	stage_run(&spec, buf, cap);
}

/* `nsbox ...` is the front, unless nsbox itself execs the stage (always with --spec-fd); a saved
 * plan's interpreter line names the stage by its own path. */
static int is_front(int argc, char **argv)
{
	const char *base;

	if (argc < 1)
		return 0;
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	return strcmp(base, "nsbox") == 0 &&
	       !(argc >= 2 && (strcmp(argv[1], "--spec-fd") == 0 || strcmp(argv[1], "--plan") == 0 ||
			       strcmp(argv[1], "--check") == 0));
}

int main(int argc, char **argv)
{
	struct wire_error e;
	int i, fd = -1, check = 0;
	size_t len;
	char *buf, *end;

	/* Before anything is opened: with 0-2 closed by the caller, the front's and a plan's files,
	 * and then on-exit's directories, would take their places and hide them from stage_run. */
	stage_fill_stdio();
	trace_init();
	trace("start");
	if (is_front(argc, argv))
		front_main(argc, argv, &spec);
	if (argc >= 3 && strcmp(argv[1], "--plan") == 0)
		run_saved_plan(argc, argv);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0 && !check) {
			check = 1;
		} else if (strcmp(argv[i], "--spec-fd") == 0 && i + 1 < argc && fd < 0) {
			long v;
			errno = 0;
			v = strtol(argv[++i], &end, 10);
			/* 0-2 are the payload's stdio, not a place for the spec. */
			if (errno || *end || end == argv[i] || v < 3 || v > 1 << 20)
				usage();
			fd = (int)v;
		} else {
			usage();
		}
	}
	if (fd < 0)
		usage();
	buf = read_spec(fd, &len);
	if (wire_decode(buf, len, &spec, &e) < 0)
		die(EXIT_SETUP, "invalid wire spec", 0, "%s (at token %u)", e.reason, e.token);
	trace("spec decoded");
	if (check) {
		static const char ok[] = "ok\n";
		return write(1, ok, sizeof ok - 1) == sizeof ok - 1 ? 0 : EXIT_SETUP;
	}
	stage_run(&spec, buf, WIRE_MAX_STREAM + 1);
}
