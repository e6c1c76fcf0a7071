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

HD_API_INTERNAL hd_err md_parse(hd_dump *d);          /* header, directory, all streams */
HD_API_INTERNAL hd_err md_parse_memory(hd_dump *d);   /* Memory/Memory64List -> d->ranges */
HD_API_INTERNAL void md_free(hd_dump *d);

#endif
