/* sha256.h: SHA-256 (FIPS 180-4) for checking a saved plan and the stage's own executable. */
#ifndef NSBOX_SHA256_H
#define NSBOX_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;      /* bytes fed so far */
	uint8_t block[64];
	size_t used;       /* bytes waiting in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
/* Writes 64 lowercase hex digits and a NUL. */
void sha256_hex(struct sha256 *c, char out[65]);

/* sha256-x86.c, for sha256.c alone: whether this CPU has the SHA extensions, and the block
 * function on them (K: the 64 round constants). */
int sha256_x86_usable(void);
void sha256_x86_blocks(uint32_t h[8], const uint8_t *p, size_t blocks, const uint32_t K[64]);

#endif
