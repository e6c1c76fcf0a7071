/*
** arena.h - bump allocator for objects that live as long as the hd_dump (strings, diag text).
*/
#ifndef HD_ARENA_H
#define HD_ARENA_H

#include <stdarg.h>
#include <stddef.h>
#include "internal.h"

typedef struct arena_chunk arena_chunk;
typedef struct arena { arena_chunk *head; size_t total; } arena;

HD_API_INTERNAL void arena_init(arena *a);
HD_API_INTERNAL void arena_free(arena *a);
HD_API_INTERNAL void *arena_alloc(arena *a, size_t n);            /* 16-aligned, zeroed; NULL on OOM */
HD_API_INTERNAL char *arena_strndup(arena *a, const char *s, size_t n);
HD_API_INTERNAL char *arena_printf(arena *a, const char *fmt, ...) HD_PRINTF(2, 3);
HD_API_INTERNAL char *arena_vprintf(arena *a, const char *fmt, va_list ap) HD_PRINTF(2, 0);

#endif
