/* front.h: the stage invoked as `nsbox` (front.c, FRONT.md). */
#ifndef NSBOX_FRONT_H
#define NSBOX_FRONT_H

#include "wire.h"

/* Serves `nsbox ARGS...` from its front entry into *s (run() as with --spec-fd), or execs
 * DIR/nsbox with the same argv and environment. Never returns. */
_Noreturn void front_main(int argc, char **argv, struct spec *s);

#endif
