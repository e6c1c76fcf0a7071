/*
** as.h - typed reads from the process address space for the layers above (proc, heap, stack).
** Each returns HD_OK or HD_EUNMAPPED; on failure *out is 0.
*/
#ifndef HD_AS_H
#define HD_AS_H

#include "../core.h"
#include "../common/rd.h"

static inline hd_err as_u8(const hd_dump *d, uint64_t va, uint8_t *out)
{
    const uint8_t *p = hd_view(d, va, 1);
    *out = p ? p[0] : 0;
    return p ? HD_OK : HD_EUNMAPPED;
}
static inline hd_err as_u16(const hd_dump *d, uint64_t va, uint16_t *out)
{
    const uint8_t *p = hd_view(d, va, 2);
    *out = p ? rd_le16(p) : 0;
    return p ? HD_OK : HD_EUNMAPPED;
}
static inline hd_err as_u32(const hd_dump *d, uint64_t va, uint32_t *out)
{
    const uint8_t *p = hd_view(d, va, 4);
    *out = p ? rd_le32(p) : 0;
    return p ? HD_OK : HD_EUNMAPPED;
}
static inline hd_err as_u64(const hd_dump *d, uint64_t va, uint64_t *out)
{
    const uint8_t *p = hd_view(d, va, 8);
    *out = p ? rd_le64(p) : 0;
    return p ? HD_OK : HD_EUNMAPPED;
}
/* A pointer of a process with the given pointer size (4 or 8). */
static inline hd_err as_ptr(const hd_dump *d, uint64_t va, unsigned ptr_size, uint64_t *out)
{
    const uint8_t *p = hd_view(d, va, ptr_size);
    *out = p ? rd_ptr(p, ptr_size) : 0;
    return p ? HD_OK : HD_EUNMAPPED;
}

/* ---- sequential access for multi-GB walks (as_seq.c) ------------------------------------ */
/* Pointer to VA and the number of bytes captured contiguously from it in the same range (so a
** walker can decode many headers per lookup); NULL and *avail = 0 when VA is not captured. */
HD_API_INTERNAL const uint8_t *as_span(const hd_dump *d, uint64_t va, uint64_t *avail);
/* The lowest captured address >= VA, or UINT64_MAX when none. */
HD_API_INTERNAL uint64_t as_next_captured(const hd_dump *d, uint64_t va);
/* Advice for the mapping behind [va, va+len): the walker will not come back soon (the pages are
** dropped from this process' RSS and re-read from the file if touched again), or it is about to
** read it in order.  No effect for hd_open_mem dumps or where the OS has no madvise. */
HD_API_INTERNAL void as_release(const hd_dump *d, uint64_t va, uint64_t len);
HD_API_INTERNAL void as_sequential(const hd_dump *d, uint64_t va, uint64_t len);

#endif
