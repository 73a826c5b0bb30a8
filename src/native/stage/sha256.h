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

#endif
