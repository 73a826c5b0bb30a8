/* front.h: the stage invoked as `nsbox` (front.c, FRONT.md). */
#ifndef NSBOX_FRONT_H
#define NSBOX_FRONT_H

#include <limits.h>
#include <sys/types.h>

#include "wire.h"

/* Serves `nsbox ARGS...` from its front entry into *s (run() as with --spec-fd), or execs
 * DIR/nsbox with the same argv and environment. Never returns. */
_Noreturn void front_main(int argc, char **argv, struct spec *s);

/* front-record.c: whether `name` is a sandbox name nsbox takes (src/model/names.ts
 * NAME_PATTERN); ROOT/sandboxes/PID.json and ROOT/names/NAME, `pid-PID` for an empty NAME (0; -1
 * when one is longer than a wire path); and writing them: NULL, or why not, with nothing left
 * behind. */
int front_name_valid(const char *name);
int front_record_paths(const char *root, const char *sandbox, char record[PATH_MAX], char name[PATH_MAX]);
const char *front_record_write(const char *root, const char *sandbox, const char *spec_json, uid_t uid);

#endif
