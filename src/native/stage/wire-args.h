/* wire-args.h: the token type and the argument parsers shared by the decoder (wire.c) and
 * implemented in wire-args.c. Each returns 0, or -1 with the wire_error filled. */
#ifndef NSBOX_WIRE_ARGS_H
#define NSBOX_WIRE_ARGS_H

#include "wire.h"

struct tok {
	char *p;     /* NUL-terminated in the buffer; len excludes the NUL */
	size_t len;
	unsigned idx;
};

const char *arg_show(const struct tok *t, char out[44]);
int arg_num(const struct tok *t, uint64_t max, uint64_t *out, struct wire_error *e);
int arg_u32(const struct tok *t, uint32_t *out, struct wire_error *e);
int arg_bool(const struct tok *t, int *out, struct wire_error *e);
int arg_mode(const struct tok *t, uint32_t *out, struct wire_error *e);
int arg_path(const struct tok *t, struct wire_error *e);
int arg_pick(const struct tok *t, const char *const *names, int n, const char *what,
	     struct wire_error *e);
int arg_fd(const struct tok *t, const char *what, uint32_t *out, struct wire_error *e);
int arg_text(const struct tok *t, size_t max, const char *what, struct wire_error *e);
int arg_word(const struct tok *t, size_t max, const char *what, struct wire_error *e);
int arg_sysctl_name(const struct tok *t, struct wire_error *e);
int arg_map(const struct tok *a, struct id_range *r, struct wire_error *e);
int arg_rlimit(struct spec *s, const struct tok *a, struct wire_error *e);
int arg_seccomp(struct spec *s, const struct tok *t, struct wire_error *e);

#endif
