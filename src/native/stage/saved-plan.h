/* saved-plan.h: running a plan file `nsbox plan --save` wrote (see saved-plan.c, PLAN.md). */
#ifndef NSBOX_SAVED_PLAN_H
#define NSBOX_SAVED_PLAN_H

#include <stddef.h>

#include "wire.h"

/* Checks the stage and the plan FILE (ownership, checksum, version, stage, kernel) and reads
 * it; dies with one line otherwise. Returns the buffer (of *cap bytes, to munmap) and where
 * the wire spec sits in it; *append_args: whether ARGS may follow FILE. */
char *plan_load(const char *file, size_t *cap, size_t *wire_at, size_t *wire_len, int *append_args);

/* Appends ARGS to the decoded spec's argv, only when the plan allows it. */
void plan_append_args(struct spec *s, const char *file, int allowed, char **args, int n);

#endif
