/*
** mdmp_mem.c - captured memory ranges from MemoryListStream and Memory64ListStream.
**
** Memory64List: NumberOfMemoryRanges u64 +0, BaseRva u64 +8, then descriptors
** {StartOfMemoryRange u64, DataSize u64}; the data of range i follows range i-1 contiguously
** from BaseRva.  MemoryList: NumberOfMemoryRanges u32 +0, then MINIDUMP_MEMORY_DESCRIPTOR
** {StartOfMemoryRange u64, DataSize u32, Rva u32} (16 bytes).  Full-memory dumps use the former,
** small dumps the latter; some writers emit both.
**
** The result, d->ranges, is sorted by base and non-overlapping, so the address space can find
** the range holding an address by binary search.  Damage is resolved deterministically and
** reported: a zero-length range is dropped; a range whose data runs past EOF is clipped to the
** bytes present; a range that wraps the address space is clipped; where ranges overlap, the one
** with the lower base wins (ties: the one listed first, Memory64List before MemoryList) and the
** later one is trimmed or, if wholly covered, dropped.
*/
#include <stdlib.h>
#include "dump_int.h"
#include "../common/rd.h"

typedef struct raw_range { uint64_t base, size, off; uint64_t order; } raw_range;

static int cmp_raw(const void *a, const void *b)
{
    const raw_range *x = a, *y = b;
    if (x->base != y->base) return x->base < y->base ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Append one descriptor, clipped to the file and to the top of the address space. */
static void add_raw(hd_dump *d, vec *raw, uint64_t base, uint64_t size, uint64_t off, const char *src)
{
    raw_range *r;
    uint64_t end;
    if (size == 0) {
        HD_DIAG(d, HD_SEV_INFO, HD_ECORRUPT, "memory", base, "%s: zero-length range at 0x%llx ignored", src, (unsigned long long)base);
        return;
    }
    if (off >= d->size) {
        HD_DIAG(d, HD_SEV_ERROR, HD_ETRUNC, "memory", base, "%s: data of range 0x%llx (+0x%llx) is past the end of the file; range dropped",
                src, (unsigned long long)base, (unsigned long long)size);
        return;
    }
    if (size > d->size - off) {
        HD_DIAG(d, HD_SEV_ERROR, HD_ETRUNC, "memory", base, "%s: range 0x%llx announces 0x%llx bytes, only 0x%llx are in the file; clipped",
                src, (unsigned long long)base, (unsigned long long)size, (unsigned long long)(d->size - off));
        size = d->size - off;
    }
    if (ck_add(base, size, &end)) {
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "memory", base, "%s: range 0x%llx + 0x%llx wraps the address space; clipped",
                src, (unsigned long long)base, (unsigned long long)size);
        size = UINT64_MAX - base;
        if (size == 0) return;
    }
    r = vec_push(raw);
    if (!r) return;
    r->base = base;
    r->size = size;
    r->off = off;
    r->order = raw->len;
}

static hd_err read_memory64(hd_dump *d, vec *raw)
{
    const uint8_t *p;
    size_t n;
    uint64_t cnt, off, i;
    if (hd_stream_data(d, HD_STREAM_MEMORY64_LIST, &p, &n) != HD_OK) return HD_OK;
    if (n < 16) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "Memory64ListStream is %zu bytes: truncated (needs 16)", n);
        return HD_OK;
    }
    off = rd_le64(p + 8);
    cnt = md_checked_count_of(d, "Memory64ListStream", "ranges", rd_le64(p), d->lim.max_ranges, n, 16, 16);
    if (vec_reserve(raw, raw->len + (size_t)cnt) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + 16 + 16 * i;
        uint64_t size = rd_le64(e + 8);
        add_raw(d, raw, rd_le64(e), size, off, "Memory64List");
        if (ck_add(off, size, &off)) off = UINT64_MAX;
    }
    return HD_OK;
}

static hd_err read_memory32(hd_dump *d, vec *raw)
{
    const uint8_t *p;
    size_t n;
    uint64_t cnt, i;
    if (hd_stream_data(d, HD_STREAM_MEMORY_LIST, &p, &n) != HD_OK) return HD_OK;
    if (n < 4) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ETRUNC, "minidump", "MemoryListStream is %zu bytes: truncated (needs 4)", n);
        return HD_OK;
    }
    cnt = md_checked_count_of(d, "MemoryListStream", "ranges", rd_le32(p), d->lim.max_ranges, n, 4, 16);
    if (vec_reserve(raw, raw->len + (size_t)cnt) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < cnt; i++) {
        const uint8_t *e = p + 4 + 16 * i;
        add_raw(d, raw, rd_le64(e), rd_le32(e + 8), rd_le32(e + 12), "MemoryList");
    }
    return HD_OK;
}

hd_err md_parse_memory(hd_dump *d)
{
    vec raw;
    hd_err e;
    size_t i;
    uint64_t end = 0;   /* end of the last kept range */
    int have = 0;
    vec_init(&raw, sizeof(raw_range));
    if ((e = read_memory64(d, &raw)) != HD_OK || (e = read_memory32(d, &raw)) != HD_OK) {
        vec_free(&raw);
        return e;
    }
    hd_sort(raw.data, raw.len, sizeof(raw_range), cmp_raw);
    if (vec_reserve(&d->ranges, raw.len) != HD_OK) {
        vec_free(&raw);
        return HD_ENOMEM;
    }
    for (i = 0; i < raw.len; i++) {
        raw_range r = *VEC_AT(&raw, raw_range, i);
        hd_range *g;
        if (have && r.base < end) {
            uint64_t cut = end - r.base;
            if (cut >= r.size) {
                HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "memory", r.base, "range 0x%llx (+0x%llx) is wholly covered by an earlier range; dropped",
                        (unsigned long long)r.base, (unsigned long long)r.size);
                continue;
            }
            HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "memory", r.base, "range 0x%llx (+0x%llx) overlaps an earlier range by 0x%llx bytes; trimmed",
                    (unsigned long long)r.base, (unsigned long long)r.size, (unsigned long long)cut);
            r.base += cut;
            r.off += cut;
            r.size -= cut;
        }
        g = vec_push(&d->ranges);
        g->base = r.base;
        g->size = r.size;
        g->file_offset = r.off;
        d->captured += r.size;
        end = r.base + r.size;
        have = 1;
    }
    vec_free(&raw);
    return HD_OK;
}
