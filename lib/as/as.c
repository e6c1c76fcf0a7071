/*
** as.c - the virtual address space of the dumped process: read by address over the captured
** ranges (d->ranges, sorted and non-overlapping, built by lib/dump/mdmp_mem.c).
**
** Lookup is a binary search, O(log n).  hd_view() hands out pointers into the mapped file, so
** walkers read headers without copying; hd_read() copies and reports what is missing.
*/
#include <string.h>
#include "../core.h"
#include "../common/rd.h"

/* Index of the range containing VA, or -1. */
static ptrdiff_t find_range(const hd_dump *d, uint64_t va)
{
    const hd_range *r = d->ranges.data;
    size_t lo = 0, hi = d->ranges.len;
    while (lo < hi) {   /* first range with base > va */
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].base <= va) lo = mid + 1; else hi = mid;
    }
    if (lo == 0 || va - r[lo - 1].base >= r[lo - 1].size) return -1;
    return (ptrdiff_t)(lo - 1);
}

const uint8_t *hd_view(const hd_dump *d, uint64_t va, size_t len)
{
    ptrdiff_t i = find_range(d, va);
    const hd_range *r;
    if (i < 0) return NULL;
    r = (const hd_range *)d->ranges.data + i;
    if (len > r->size - (va - r->base)) return NULL;
    return d->base + r->file_offset + (va - r->base);
}

uint64_t hd_captured_at(const hd_dump *d, uint64_t va)
{
    ptrdiff_t i = find_range(d, va);
    uint64_t n;
    if (i < 0) return 0;
    {
        const hd_range *r = (const hd_range *)d->ranges.data + i;
        n = r->size - (va - r->base);
        /* adjacent ranges are contiguous in the address space too */
        while ((size_t)i + 1 < d->ranges.len && r[1].base == r->base + r->size) {
            r++;
            i++;
            n += r->size;
        }
    }
    return n;
}

uint64_t hd_captured_in(const hd_dump *d, uint64_t va, uint64_t size)
{
    const hd_range *r = d->ranges.data;
    size_t lo = 0, hi = d->ranges.len;
    uint64_t end, sum = 0;
    if (size == 0) return 0;
    if (ck_add(va, size, &end)) end = UINT64_MAX;
    while (lo < hi) {   /* first range with base > va */
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].base <= va) lo = mid + 1; else hi = mid;
    }
    if (lo > 0) lo--;   /* the range that may contain va */
    for (; lo < d->ranges.len && r[lo].base < end; lo++) {
        uint64_t b = HD_MAX(r[lo].base, va), e = HD_MIN(r[lo].base + r[lo].size, end);
        if (e > b) sum += e - b;
    }
    return sum;
}

hd_err hd_read(const hd_dump *d, uint64_t va, void *buf, size_t len, size_t *got)
{
    size_t done = 0;
    uint8_t *out = buf;
    while (done < len) {
        ptrdiff_t i = find_range(d, va + done);
        const hd_range *r;
        uint64_t avail;
        size_t n;
        if (i < 0 || va + done < va) break;
        r = (const hd_range *)d->ranges.data + i;
        avail = r->size - (va + done - r->base);
        n = (size_t)HD_MIN((uint64_t)(len - done), avail);
        memcpy(out + done, d->base + r->file_offset + (va + done - r->base), n);
        done += n;
    }
    if (got) *got = done;
    if (done < len) {
        memset(out + done, 0, len - done);
        return HD_EUNMAPPED;
    }
    return HD_OK;
}

size_t hd_range_count(const hd_dump *d) { return d->ranges.len; }
const hd_range *hd_range_at(const hd_dump *d, size_t i) { return vec_at(&d->ranges, i); }
uint64_t hd_captured_bytes(const hd_dump *d) { return d->captured; }
