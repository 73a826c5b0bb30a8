/* file-identity.h: which version of a file the stage runs from (file-identity.c). */
#ifndef NSBOX_FILE_IDENTITY_H
#define NSBOX_FILE_IDENTITY_H

#include <sys/stat.h>

/* Five decimal numbers and their separators, NUL included. */
#define FILE_IDENTITY_MAX (5 * 21)

/* "DEV INO SIZE MTIME_NS CTIME_NS" of st, as src/core/file-deps.ts identityFields writes them
 * (joined by single spaces), into out. */
void file_identity(const struct stat *st, char out[FILE_IDENTITY_MAX]);

/* A file time in nanoseconds since the epoch, as the identity and a front entry write it. */
unsigned long long file_time_ns(const struct timespec *t);

#endif
