/* file-identity.c: a file named by device, inode, size and modification and change times. A new
 * file has another inode; writing one sets its change time to now, which no system call can set
 * back (utimensat(2) too sets it to now). On ext4, xfs, btrfs and tmpfs a change time that was
 * read is not handed out again to the next change (multigrain timestamps, Linux 6.13); elsewhere
 * a write in the same clock tick as the read could keep it. So while the five match, the bytes
 * are the ones read when they were recorded: what binds a front entry to its stage and nsbox,
 * and lets a saved plan skip hashing its stage. */
#include "file-identity.h"

#include <stdio.h>

unsigned long long file_time_ns(const struct timespec *t)
{
	return (unsigned long long)t->tv_sec * 1000000000ull + (unsigned long long)t->tv_nsec;
}

void file_identity(const struct stat *st, char out[FILE_IDENTITY_MAX])
{
	snprintf(out, FILE_IDENTITY_MAX, "%llu %llu %llu %llu %llu", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino, (unsigned long long)st->st_size, file_time_ns(&st->st_mtim), file_time_ns(&st->st_ctim));
}
