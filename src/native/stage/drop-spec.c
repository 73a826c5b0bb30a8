/* drop-spec.c: gives setup's pages back to the kernel in a process that stays for the
 * sandbox's lifetime (supervisor, init) and reads nothing of them any more: the decoded spec,
 * the wire buffer it points into, the stack below, the program's read-only segments.
 *
 * When: only once the sandbox has run for STAGE_DROP_GRACE_MS (the supervisor waits that long
 * on a pidfd of the child, the init in sigtimedwait). Giving the pages back is not free: the
 * madvise calls zap and flush (a TLB flush is a hypercall on a paravirtualised guest), and
 * what the process runs next faults back in. Measured on a 2-CPU VM, doing it at once made
 * `true` in a saved plan about 0.6 ms slower (7.8 -> 8.4 ms, about 7 %): paid by every short
 * sandbox (cron lines, scripts) for memory that a sandbox over within milliseconds never holds
 * for long. A sandbox that runs on gives the pages back after the grace. */
#include "stage.h"

#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Linker symbol (ld's default script): the program's first byte, where its first segment is. */
extern const char __executable_start[];

/* What setup leaves behind, the same in the supervisor and the init (named before the clone):
 * the spec and the buffer its strings are in (a mapping of read_all, or the front's static
 * entry). */
static struct {
	const struct spec *spec;
	const char *buf;
	size_t cap;
} setup;

void stage_setup_pages(const struct spec *s, const char *buf, size_t cap)
{
	setup.spec = s;
	setup.buf = buf;
	setup.cap = cap;
}

/* The whole pages inside [p, p + len): a page shared with other variables stays. */
static void drop_pages(const void *p, size_t len, uintptr_t page)
{
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1), end = ((uintptr_t)p + len) & ~(page - 1);

	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}

/* The program's read-only segments (the headers, the text, the read-only data), from its own
 * program headers (getauxval(AT_PHDR)), all read before any is dropped: the headers are in
 * the first. A read fault maps up to 16 pages around it (fault-around), so setup left most of
 * each mapped. Dropping them costs nothing to keep: the file is unchanged and read-only, and
 * what the long wait runs faults back in from the page cache; it reads no read-only data. */
static void drop_read_only(uintptr_t page)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t i, k = 0, n = getauxval(AT_PHNUM);
	uintptr_t bias = 0, lowest = UINTPTR_MAX, range[8][2];

	if (!ph)
		return;
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < lowest)
			lowest = ph[i].p_vaddr;
	if (lowest != UINTPTR_MAX)
		bias = ((uintptr_t)__executable_start & ~(page - 1)) - (lowest & ~(page - 1));
	for (i = 0; i < n && k < 8; i++)
		if (ph[i].p_type == PT_LOAD && !(ph[i].p_flags & PF_W)) {
			range[k][0] = (bias + ph[i].p_vaddr) & ~(page - 1);
			range[k++][1] = (bias + ph[i].p_vaddr + ph[i].p_memsz + page - 1) & ~(page - 1);
		}
	for (i = 0; i < k; i++) {
		uintptr_t at;
		/* Fault-around maps up to 16 pages around a fault, but never past the VMA: every
		 * other page marked MADV_RANDOM (a readahead hint, of no use to a file in the page
		 * cache) splits the segment into one-page VMAs first, so what the wait runs after the
		 * drop comes back a page a fault, not a 64 KiB window. The stage's text outgrew one
		 * window (27 pages with the front) and the wait runs code in both: all of it came
		 * back (108 KiB); now the few pages the wait runs. */
		for (at = range[i][0] + page; at < range[i][1]; at += 2 * page)
			madvise((void *)at, page, MADV_RANDOM);
		madvise((void *)range[i][0], range[i][1] - range[i][0], MADV_DONTNEED);
	}
}

/* clock_gettime as a system call, not through the vDSO: a process that reads the clock from
 * the vDSO maps its page, 4 KB more resident for the sandbox's lifetime, to save a microsecond
 * twice. */
void stage_grace_start(struct timespec *since)
{
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, since) < 0)
		since->tv_sec = since->tv_nsec = 0;
}

int stage_grace_left_ms(const struct timespec *since)
{
	struct timespec now;
	long long ms;

	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now) < 0)
		return 0;
	ms = STAGE_DROP_GRACE_MS - ((long long)(now.tv_sec - since->tv_sec) * 1000 +
				    (now.tv_nsec - since->tv_nsec) / 1000000);
	return ms > 0 ? (int)ms : 0;
}

void stage_give_back(void)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	char here;
	uintptr_t below = ((uintptr_t)&here & ~(page - 1)) - page;

	if (!setup.spec)
		return;
	drop_pages(setup.spec, sizeof *setup.spec, page);
	/* A mapping stays mapped (no munmap): madvise frees the same pages, and the front's entry
	 * is static. */
	if (setup.buf)
		drop_pages(setup.buf, setup.cap, page);
	setup.spec = NULL;
	/* The stack below this frame (one page kept as margin) held path buffers of the setup:
	 * dead now. A range reaching under the stack's mapping fails with ENOMEM, yet the
	 * mapped part is still released (madvise(2) ERRORS), so the result is ignored. */
	madvise((void *)(below - 64 * 1024), 64 * 1024, MADV_DONTNEED);
	drop_read_only(page);
}
