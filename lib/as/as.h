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

#endif
