/* drop-spec.c: gives the pages of the (static) decoded spec back to the kernel, in a process
 * that stays for the sandbox's lifetime (supervisor, init) and reads nothing of it any more.
 *
 * When: only once the sandbox has run for STAGE_DROP_GRACE_MS (the supervisor waits that long
 * on a pidfd of the child, the init in sigtimedwait). Giving the pages back is not free: the
 * madvise calls zap and flush (a TLB flush is a hypercall on a paravirtualised guest), and the
 * text the process runs next faults back in, 16 pages a fault. Measured on a 2-CPU VM, doing it
 * at once made `true` in a saved plan about 0.6 ms slower (7.8 -> 8.4 ms, about 7 %): paid by
 * every short sandbox (cron lines, scripts) for memory that a sandbox over within milliseconds
 * never holds for long. A sandbox that runs on gives the pages back after the grace. */
#include "stage.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* Linker symbols (ld's default script): the program's first byte and the end of its text. */
extern const char __executable_start[], etext[];

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
	/* The program text: a read fault maps up to 16 pages around it (fault-around), so setup
	 * left most of the binary mapped. Unmapping it costs nothing: what the long wait runs
	 * faults back in from the page cache (the file is unchanged and read-only). */
	start = (uintptr_t)__executable_start & ~(page - 1);
	end = ((uintptr_t)etext + page - 1) & ~(page - 1);
	madvise((void *)start, end - start, MADV_DONTNEED);
}
