/* drop-spec.c: gives the pages of the (static) decoded spec back to the kernel, in a process
 * that stays for the sandbox's lifetime (supervisor, init) and reads nothing of it any more. */
#include "stage.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

void stage_drop_spec(const struct spec *s)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)s + page - 1) & ~(page - 1), end = (uintptr_t)(s + 1) & ~(page - 1);
	char here;
	uintptr_t below = ((uintptr_t)&here & ~(page - 1)) - page;

	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
	/* The stack below this frame (one page kept as margin) held path buffers of the setup:
	 * dead now. A range reaching under the stack's mapping fails with ENOMEM, yet the
	 * mapped part is still released (madvise(2) ERRORS), so the result is ignored. */
	madvise((void *)(below - 64 * 1024), 64 * 1024, MADV_DONTNEED);
}
