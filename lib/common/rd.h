/*
** rd.h - little-endian loads and overflow-checked arithmetic.
**
** Dump bytes are never cast to structs: every field is read with rd_le16/32/64 from a byte
** pointer that the caller has already bounds-checked (see hd_view / mdmp_span).  Checked add/mul
** are used for every base+size and count*size computed from dump data.
*/
#ifndef HD_RD_H
#define HD_RD_H

#include <stdint.h>
#include <stddef.h>

static inline uint16_t rd_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t rd_le64(const uint8_t *p)
{
    return (uint64_t)rd_le32(p) | ((uint64_t)rd_le32(p + 4) << 32);
}
/* A pointer of the dumped process: 4 or 8 bytes. */
static inline uint64_t rd_ptr(const uint8_t *p, unsigned ptr_size)
{
    return ptr_size == 8 ? rd_le64(p) : (uint64_t)rd_le32(p);
}

/* 1 on overflow, else *r = a + b. */
static inline int ck_add(uint64_t a, uint64_t b, uint64_t *r)
{
    if (a > UINT64_MAX - b) return 1;
    *r = a + b;
    return 0;
}
/* 1 on overflow, else *r = a * b. */
static inline int ck_mul(uint64_t a, uint64_t b, uint64_t *r)
{
    if (a != 0 && b > UINT64_MAX / a) return 1;
    *r = a * b;
    return 0;
}
/* 1 when [off, off+len) does not lie inside [0, total). */
static inline int ck_span(uint64_t off, uint64_t len, uint64_t total)
{
    return off > total || len > total - off;
}

#endif
