/*
** dump_int.h - internal interface of the minidump layer (lib/dump).
*/
#ifndef HD_DUMP_INT_H
#define HD_DUMP_INT_H

#include "../core.h"

HD_API_INTERNAL hd_err file_map(const char *path, const uint8_t **base, uint64_t *size, void **cookie);
HD_API_INTERNAL void file_unmap(const uint8_t *base, uint64_t size, void *cookie);

/* Bytes of the file at [rva, rva+len), or NULL when they run past EOF. */
static inline const uint8_t *md_span(const hd_dump *d, uint64_t rva, uint64_t len)
{
    if (rva > d->size || len > d->size - rva) return NULL;
    return d->base + rva;
}

/* Read a MINIDUMP_STRING at RVA as UTF-8 into the arena; NULL (with a diagnostic) if broken. */
HD_API_INTERNAL const char *md_string(hd_dump *d, uint32_t rva, const char *what);
/* UTF-16LE -> UTF-8 (invalid sequences become U+FFFD), into the arena. */
HD_API_INTERNAL char *md_utf16(hd_dump *d, const uint8_t *p, size_t nchars);

/* Entries of a list stream actually present: COUNT (announced) clipped to what fits in the
** stream after OFF with ENTRY-byte entries, then to LIMIT; each clip is reported, naming the
** entries NOUN ("ranges"; md_checked_count says "entries"). */
HD_API_INTERNAL uint64_t md_checked_count_of(hd_dump *d, const char *what, const char *noun, uint64_t count,
                                             uint64_t limit, size_t stream_size, size_t off, size_t entry);
HD_API_INTERNAL uint64_t md_checked_count(hd_dump *d, const char *what, uint64_t count, uint64_t limit,
                                          size_t stream_size, size_t off, size_t entry);
/* Stream bytes clipped to the file; NULL with *n = 0 when absent. */
HD_API_INTERNAL const uint8_t *md_stream_bytes(const hd_dump *d, uint32_t type, size_t *n);

/* mdmp_aux.c: the streams that refine the core ones */
HD_API_INTERNAL hd_err md_parse_thread_info(hd_dump *d);     /* ThreadInfoListStream */
HD_API_INTERNAL hd_err md_parse_thread_names(hd_dump *d);    /* ThreadNamesStream */
HD_API_INTERNAL hd_err md_parse_unloaded(hd_dump *d);        /* UnloadedModuleListStream */
HD_API_INTERNAL void md_parse_exception(hd_dump *d);         /* ExceptionStream */
HD_API_INTERNAL hd_err md_parse_handles(hd_dump *d);         /* HandleDataStream */

/* The allocation holding VA, from the MemoryInfoList: [first region, end of the last region) of
** the run of adjacent non-free regions that share the AllocationBase of the region at VA.  O(log n)
** after an O(n) index built on first use.  0 when VA is in no busy region. */
HD_API_INTERNAL int md_alloc_span(hd_dump *d, uint64_t va, uint64_t *base, uint64_t *size);

/* The fields MINIDUMP_MODULE and MINIDUMP_UNLOADED_MODULE share (first 24 bytes at E). */
HD_API_INTERNAL void md_module_common(hd_dump *d, const uint8_t *e, hd_module *m, const char *what);
HD_API_INTERNAL hd_err md_parse(hd_dump *d);          /* header, directory, all streams */
HD_API_INTERNAL hd_err md_parse_memory(hd_dump *d);   /* Memory/Memory64List -> d->ranges */
HD_API_INTERNAL void md_free(hd_dump *d);

#endif
