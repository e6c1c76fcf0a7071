/*
** arena.c - bump allocator (see arena.h).  Chunks are 64 KB or the request size, whichever is
** larger; nothing is freed before arena_free().
*/
#include <stdio.h>    /* vsnprintf */
#include <stdint.h>   /* SIZE_MAX */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcpy, memset */
#include "arena.h"

struct arena_chunk {
    arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
};

void arena_init(arena *a) { a->head = NULL; a->total = 0; }

void arena_free(arena *a)
{
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->total = 0;
}

void *arena_alloc(arena *a, size_t n)
{
    arena_chunk *c = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    void *p;
    if (need < n) return NULL;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > 65536 ? need : 65536;
        if (cap > SIZE_MAX - sizeof(arena_chunk)) return NULL;
        c = malloc(sizeof(arena_chunk) + cap);
        if (!c) return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
        a->total += cap;
    }
    p = c->mem + c->used;
    c->used += need;
    memset(p, 0, need);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
    char buf[512];
    va_list ap2;
    int n;
    char *p;
    va_copy(ap2, ap);
    n = vsnprintf(buf, sizeof buf, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    if ((size_t)n < sizeof buf) return arena_strndup(a, buf, (size_t)n);
    p = arena_alloc(a, (size_t)n + 1);
    if (!p) return NULL;
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    char *p;
    va_start(ap, fmt);
    p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
