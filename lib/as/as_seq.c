/*
** as_seq.c - sequential access to the captured address space for walkers that cover gigabytes:
** spans (one lookup, many reads), the next captured address after a gap, and mapping advice so
** that a 16 GB walk does not keep 16 GB of file pages resident.
*/
#if !defined(_WIN32)
#  define _DEFAULT_SOURCE 1   /* madvise */
#endif
#include <stdint.h>
#include "as.h"
#if !defined(_WIN32)
#  include <sys/mman.h>       /* madvise */
#  include <unistd.h>         /* sysconf */
#endif

/* Index of the first range whose end is above VA (the one containing VA, or the next). */
static size_t first_ending_above(const hd_dump *d, uint64_t va)
{
    const hd_range *r = d->ranges.data;
    size_t lo = 0, hi = d->ranges.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].base + r[mid].size <= va) lo = mid + 1; else hi = mid;
    }
    return lo;
}

const uint8_t *as_span(const hd_dump *d, uint64_t va, uint64_t *avail)
{
    size_t i = first_ending_above(d, va);
    const hd_range *r;
    *avail = 0;
    if (i >= d->ranges.len) return NULL;
    r = (const hd_range *)d->ranges.data + i;
    if (va < r->base) return NULL;
    *avail = r->size - (va - r->base);
    return d->base + r->file_offset + (va - r->base);
}

uint64_t as_next_captured(const hd_dump *d, uint64_t va)
{
    size_t i = first_ending_above(d, va);
    const hd_range *r;
    if (i >= d->ranges.len) return UINT64_MAX;
    r = (const hd_range *)d->ranges.data + i;
    return va < r->base ? r->base : va;
}

#if !defined(_WIN32)
static void advise(const hd_dump *d, uint64_t va, uint64_t len, int advice, int inward)
{
    static long page;
    uint64_t end = va + len;
    if (!d->map_cookie || len == 0 || end < va) return;
    if (!page) page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
    while (va < end) {
        uint64_t n;
        const uint8_t *p = as_span(d, va, &n);
        uintptr_t s, e;
        if (!p) {
            uint64_t nx = as_next_captured(d, va);
            if (nx == UINT64_MAX || nx >= end) return;
            va = nx;
            continue;
        }
        if (n > end - va) n = end - va;
        s = (uintptr_t)p;
        e = s + (uintptr_t)n;
        if (inward) {   /* only whole pages: a neighbour's bytes on a shared page stay mapped */
            s = (s + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
            e &= ~(uintptr_t)(page - 1);
        } else {
            s &= ~(uintptr_t)(page - 1);
        }
        if (e > s) (void)madvise((void *)s, (size_t)(e - s), advice);
        va += n;
    }
}
void as_release(const hd_dump *d, uint64_t va, uint64_t len) { advise(d, va, len, MADV_DONTNEED, 1); }
void as_sequential(const hd_dump *d, uint64_t va, uint64_t len) { advise(d, va, len, MADV_SEQUENTIAL, 0); }
#else
void as_release(const hd_dump *d, uint64_t va, uint64_t len) { (void)d; (void)va; (void)len; }
void as_sequential(const hd_dump *d, uint64_t va, uint64_t len) { (void)d; (void)va; (void)len; }
#endif
