/* drop-spec.c: gives the pages of the (static) decoded spec back to the kernel, in a process
 * that stays for the sandbox's lifetime (supervisor, init) and reads nothing of it any more. */
#include "stage.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* Linker symbols (ld's default script): the program's first byte and the end of its text. */
extern const char __executable_start[], etext[];

/* The spec's strings: a mapping of read_all, or the front's static entry. */
static char *held;
static size_t held_len;

void stage_hold_buffer(char *buf, size_t len)
{
	held = buf;
	held_len = len;
}

/* The whole pages inside [p, p + len): a page shared with other variables stays. */
static void drop_pages(const void *p, size_t len, uintptr_t page)
{
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1), end = ((uintptr_t)p + len) & ~(page - 1);

	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}

void stage_drop_spec(const struct spec *s)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start, end;
	char here;
	uintptr_t below = ((uintptr_t)&here & ~(page - 1)) - page;

	drop_pages(s, sizeof *s, page);
	/* A mapping stays mapped (no munmap): madvise frees the same pages, and the init, which
	 * inherited them, may drop them too. */
	if (held)
		drop_pages(held, held_len, page);
	/* The stack below this frame (one page kept as margin) held path buffers of the setup:
	 * dead now. A range reaching under the stack's mapping fails with ENOMEM, yet the
	 * mapped part is still released (madvise(2) ERRORS), so the result is ignored. */
	madvise((void *)(below - 64 * 1024), 64 * 1024, MADV_DONTNEED);
	/* The program text: a read fault maps up to 16 pages around it (fault-around), so setup
	 * left most of the binary mapped. Unmapping it costs nothing: what the long wait runs
	 * faults back in from the page cache (the file is unchanged and read-only). */
	start = (uintptr_t)__executable_start & ~(page - 1);
	end = ((uintptr_t)etext + page - 1) & ~(page - 1);
	madvise((void *)start, end - start, MADV_DONTNEED);
}
