/*
** group.c - `top`: busy heap blocks grouped by allocation stack, size, module or function.
**
** One pass, no memory per block: each block adds to
**   acc_stack[stack id]   bytes, count, sizes, an example   (blocks with a readable stack)
**   the size table        user size -> the same, plus the untraced share and one stack id
** and hd_top_end() turns those into groups: it names each distinct stack once (hd_symbolize
** caches per address), keys it (canonical frames joined, or its allocation site), merges equal
** keys, adds size groups for blocks without a stack, and sorts biggest first.  Cost: O(blocks)
** hashing during the walk, O(stacks x depth + groups log groups) at the end.
*/
#include <stdlib.h>   /* calloc, qsort, free */
#include <string.h>   /* strcmp, strlen, memcpy */
#include "../core.h"
#include "../common/arena.h"
#include "group.h"

#define NO_STACK UINT32_MAX

typedef struct acc {
    uint64_t bytes, count, min_size, max_size, example, example_heap;
    size_t nsizes;
    hd_size_count sizes[4];
    uint64_t other;
} acc;

static void sizes_add(acc *a, uint64_t size, uint64_t count)
{
    size_t i;
    for (i = 0; i < a->nsizes; i++)
        if (a->sizes[i].size == size) { a->sizes[i].count += count; return; }
    if (a->nsizes < 4) {
        a->sizes[a->nsizes].size = size;
        a->sizes[a->nsizes++].count = count;
    } else {
        a->other += count;
    }
}

typedef struct size_acc {
    uint64_t size;
    int used;
    acc all;                 /* every block of this size */
    acc untraced;            /* those without a readable stack */
    uint32_t stack;          /* a stack id seen at this size (NO_STACK if none) */
    uint64_t stack_bytes;
} size_acc;

struct hd_top_acc {
    hd_dump *d;
    hd_top_opts o;
    acc *st;                 /* by stack id */
    size_t st_cap;
    size_acc *sz;
    size_t sz_cap, sz_used;
    uint64_t busy_bytes, busy_blocks, traced_bytes, traced_blocks, unresolved;
    size_t heaps_walked, heaps_failed;
    /* the last stack reference resolved: runs of blocks with one stack skip the lookup */
    int last_scheme;
    unsigned last_ptr;
    uint64_t last_ref;
    const hd_stack *last_stack;
};

/* The summary with its storage. */
typedef struct summary_impl {
    hd_summary pub;
    arena ar;
    hd_group *groups;
} summary_impl;

const char *hd_group_by_name(hd_group_by by)
{
    switch (by) {
    case HD_BY_STACK: return "stack";
    case HD_BY_SIZE: return "size";
    case HD_BY_MODULE: return "module";
    case HD_BY_FUNCTION: return "function";
    }
    return "?";
}

static size_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k;
}

static void acc_add(acc *a, uint64_t size, uint64_t addr, uint64_t heap)
{
    if (a->count == 0) {
        a->min_size = a->max_size = size;
        a->example = addr;
        a->example_heap = heap;
    } else {
        if (size < a->min_size) a->min_size = size;
        if (size > a->max_size) a->max_size = size;
    }
    a->bytes += size;
    a->count++;
    sizes_add(a, size, 1);
}

/* acc_add without the per-size list (the size table's entries have one size by definition). */
static void acc_add_light(acc *a, uint64_t size, uint64_t addr, uint64_t heap)
{
    if (a->count == 0) {
        a->min_size = a->max_size = size;
        a->example = addr;
        a->example_heap = heap;
    }
    a->bytes += size;
    a->count++;
}

static void acc_merge(acc *into, const acc *a)
{
    size_t i;
    if (a->count == 0) return;
    if (into->count == 0) { *into = *a; return; }
    into->bytes += a->bytes;
    into->count += a->count;
    if (a->min_size < into->min_size) into->min_size = a->min_size;
    if (a->max_size > into->max_size) into->max_size = a->max_size;
    for (i = 0; i < a->nsizes; i++) sizes_add(into, a->sizes[i].size, a->sizes[i].count);
    into->other += a->other;
}

hd_err hd_top_begin(hd_dump *d, const hd_top_opts *o, hd_top_acc **out)
{
    hd_top_acc *a;
    *out = NULL;
    if (!d) return HD_EINVAL;
    if (!(a = calloc(1, sizeof *a))) return HD_ENOMEM;
    a->d = d;
    if (o) a->o = *o;
    if (a->o.by > HD_BY_FUNCTION) { free(a); return HD_EINVAL; }
    *out = a;
    return HD_OK;
}

void top_heap_done(hd_top_acc *a, int complete)
{
    a->heaps_walked++;
    if (!complete) a->heaps_failed++;
}

static size_acc *size_slot(hd_top_acc *a, uint64_t size)
{
    size_t j;
    if (a->sz_used * 2 >= a->sz_cap) {
        size_t ncap = a->sz_cap ? a->sz_cap * 2 : 256, i;
        size_acc *n = calloc(ncap, sizeof *n);
        if (!n) return NULL;
        for (i = 0; i < a->sz_cap; i++) {
            if (!a->sz[i].used) continue;
            for (j = mix(a->sz[i].size) & (ncap - 1); n[j].used; j = (j + 1) & (ncap - 1)) {}
            n[j] = a->sz[i];
        }
        free(a->sz);
        a->sz = n;
        a->sz_cap = ncap;
    }
    for (j = mix(size) & (a->sz_cap - 1); a->sz[j].used; j = (j + 1) & (a->sz_cap - 1))
        if (a->sz[j].size == size) return &a->sz[j];
    a->sz[j].used = 1;
    a->sz[j].size = size;
    a->sz[j].stack = NO_STACK;
    a->sz_used++;
    return &a->sz[j];
}

hd_err hd_top_add(hd_top_acc *a, uint64_t user_address, uint64_t user_size, uint64_t heap, int scheme, uint64_t ref,
                  unsigned ptr_size)
{
    const hd_stack *s = NULL;
    size_acc *z;
    if (!a) return HD_EINVAL;
    if (user_size < a->o.min_size) return HD_OK;
    a->busy_bytes += user_size;
    a->busy_blocks++;
    if (scheme != 0) {
        if (scheme == a->last_scheme && ref == a->last_ref && ptr_size == a->last_ptr && a->last_stack) {
            s = a->last_stack;
        } else {
            hd_err e = hd_stack_resolve(a->d, scheme, ref, ptr_size, &s);
            if (e == HD_ENOMEM) return e;
            if (e != HD_OK) a->unresolved++;
            a->last_scheme = scheme;
            a->last_ref = ref;
            a->last_ptr = ptr_size;
            a->last_stack = s;
        }
    }
    if (!s) {
        if (!(z = size_slot(a, user_size))) return HD_ENOMEM;
        acc_add_light(&z->all, user_size, user_address, heap);
        acc_add_light(&z->untraced, user_size, user_address, heap);
        return HD_OK;
    }
    /* traced blocks enter the size table only when grouping by size */
    z = NULL;
    if (a->o.by == HD_BY_SIZE) {
        if (!(z = size_slot(a, user_size))) return HD_ENOMEM;
        acc_add_light(&z->all, user_size, user_address, heap);
    }
    a->traced_bytes += user_size;
    a->traced_blocks++;
    if (s->id >= a->st_cap) {
        size_t ncap = a->st_cap ? a->st_cap * 2 : 64;
        acc *n;
        while (ncap <= s->id) ncap *= 2;
        if (!(n = realloc(a->st, ncap * sizeof *n))) return HD_ENOMEM;
        memset(n + a->st_cap, 0, (ncap - a->st_cap) * sizeof *n);
        a->st = n;
        a->st_cap = ncap;
    }
    acc_add(&a->st[s->id], user_size, user_address, heap);
    if (z && z->stack == NO_STACK) z->stack = s->id;
    return HD_OK;
}

/* ---- allocation site ------------------------------------------------------------------------ */

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y) return 0;
    }
    return *a == *b;
}

static int iprefix(const char *s, const char *p)
{
    for (; *p; s++, p++) {
        char x = *s;
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (x != *p) return 0;
    }
    return 1;
}

/* Modules whose frames are the heap and the C runtime's allocator, never the caller. */
static int allocator_module(const char *m)
{
    return ieq(m, "ntdll") || ieq(m, "kernel32") || ieq(m, "kernelbase") || ieq(m, "msvcrt") ||
           iprefix(m, "ucrtbase") || iprefix(m, "msvcr") || iprefix(m, "vcruntime") || ieq(m, "verifier") ||
           iprefix(m, "api-ms-win-crt-heap");
}

/* Allocator functions that a module may link statically. */
static int allocator_function(const char *f)
{
    static const char *const names[] = {
        "malloc", "calloc", "realloc", "_malloc_base", "_calloc_base", "_realloc_base", "_recalloc",
        "_malloc_dbg", "_calloc_dbg", "_realloc_dbg", "_malloc_crt", "_calloc_crt", "_realloc_crt",
        "_aligned_malloc", "_aligned_realloc", "_aligned_offset_malloc", "_expand", "_nh_malloc", "_heap_alloc",
        "operator new", "operator new[]", "HeapAlloc", "HeapReAlloc", "RtlAllocateHeap", "RtlReAllocateHeap",
        "LocalAlloc", "GlobalAlloc", "CoTaskMemAlloc", "SysAllocString", "SysAllocStringLen",
    };
    size_t i;
    const char *p = strrchr(f, ':');
    if (p && p > f && p[-1] == ':' && !strncmp(p + 1, "operator", 8)) f = p + 1;   /* std::operator new */
    for (i = 0; i < HD_ARRAY_LEN(names); i++)
        if (!strcmp(f, names[i])) return 1;
    return 0;
}

size_t hd_alloc_site(const hd_frame *const *frames, size_t depth)
{
    size_t i;
    if (depth == 0) return 0;
    for (i = 0; i < depth; i++) {
        const hd_frame *f = frames[i];
        if (f->module && allocator_module(f->module_name)) continue;
        if (f->function && allocator_function(f->function)) continue;
        return i;
    }
    return depth - 1;
}

/* ---- building the groups -------------------------------------------------------------------- */

typedef struct stackinfo {
    const hd_frame **frames;
    size_t depth, site;
    const char *key;
} stackinfo;

typedef struct gkey { const char *key; size_t group; } gkey;

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

/* Canonical key of a stack for mode BY. */
static const char *stack_key(arena *ar, hd_group_by by, const hd_frame **f, size_t depth, size_t site)
{
    size_t i, n = 0;
    char *k, *p;
    if (by == HD_BY_MODULE) {
        const hd_frame *s = f[site];
        return s->module ? s->module_name : s->jit ? "<JIT code>" : "<no module>";
    }
    if (by == HD_BY_FUNCTION) {
        const hd_frame *s = f[site];
        if (s->function) return arena_printf(ar, "%s!%s", s->module_name, s->function);
        return s->text;
    }
    for (i = 0; i < depth; i++) n += strlen(f[i]->text) + 1;
    if (!(k = arena_alloc(ar, n + 1))) return NULL;
    p = k;
    for (i = 0; i < depth; i++) {
        size_t m = strlen(f[i]->text);
        memcpy(p, f[i]->text, m);
        p += m;
        *p++ = i + 1 < depth ? '\n' : 0;
    }
    if (depth == 0) *k = 0;
    return k;
}

static int cmp_group(const void *a, const void *b)
{
    const hd_group *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void summary_impl_free(summary_impl *s)
{
    if (!s) return;
    arena_free(&s->ar);
    free(s->groups);
    free(s);
}

void hd_summary_free(hd_summary *s)
{
    summary_impl_free((summary_impl *)s);   /* pub is the first member */
}

static void acc_free(hd_top_acc *a)
{
    free(a->st);
    free(a->sz);
    free(a);
}

static void fill_from_acc(hd_group *g, const acc *a)
{
    size_t i;
    g->size_kinds = a->nsizes;
    for (i = 0; i < a->nsizes; i++) g->sizes[i] = a->sizes[i];
    g->other_sizes_count = a->other;
    g->bytes = a->bytes;
    g->count = a->count;
    g->min_size = a->min_size;
    g->max_size = a->max_size;
    g->example = a->example;
    g->example_heap = a->example_heap;
}

hd_err hd_top_end(hd_top_acc *a, hd_summary **out)
{
    summary_impl *s;
    stackinfo *si = NULL;
    gkey *tab = NULL;
    acc *gacc = NULL;
    size_t nstacks, i, ng = 0, gcap, tcap;
    hd_err e = HD_ENOMEM;
    *out = NULL;
    if (!a) return HD_EINVAL;
    if (!(s = calloc(1, sizeof *s))) { acc_free(a); return HD_ENOMEM; }
    arena_init(&s->ar);
    s->pub.by = a->o.by;
    s->pub.busy_bytes = a->busy_bytes;
    s->pub.busy_blocks = a->busy_blocks;
    s->pub.traced_bytes = a->traced_bytes;
    s->pub.traced_blocks = a->traced_blocks;
    s->pub.unresolved_blocks = a->unresolved;
    s->pub.heaps_walked = a->heaps_walked;
    s->pub.heaps_failed = a->heaps_failed;
    nstacks = a->st_cap;

    /* name every stack that has blocks, once */
    if (nstacks && !(si = calloc(nstacks, sizeof *si))) goto fail;
    for (i = 0; i < nstacks; i++) {
        const hd_stack *st;
        size_t k;
        if (a->st[i].count == 0 || !(st = hd_stack_at(a->d, i))) continue;
        s->pub.stack_count++;
        si[i].depth = st->depth;
        if (!(si[i].frames = arena_alloc(&s->ar, (st->depth ? st->depth : 1) * sizeof *si[i].frames))) goto fail;
        for (k = 0; k < st->depth; k++)
            if ((e = hd_symbolize(a->d, st->frames[k], &si[i].frames[k])) != HD_OK) goto fail;
        si[i].site = hd_alloc_site(si[i].frames, si[i].depth);
        if (!(si[i].key = stack_key(&s->ar, a->o.by, si[i].frames, si[i].depth, si[i].site))) { e = HD_ENOMEM; goto fail; }
    }

    gcap = nstacks + a->sz_used + 1;
    if (!(s->groups = calloc(gcap, sizeof *s->groups)) || !(gacc = calloc(gcap, sizeof *gacc))) { e = HD_ENOMEM; goto fail; }
    if (a->o.by != HD_BY_SIZE) {
        /* stack-keyed groups, merging equal keys; the stack with most bytes represents the group */
        tcap = 16;
        while (tcap < nstacks * 2 + 2) tcap *= 2;
        if (!(tab = calloc(tcap, sizeof *tab))) { e = HD_ENOMEM; goto fail; }
        for (i = 0; i < nstacks; i++) {
            size_t j;
            hd_group *g;
            if (a->st[i].count == 0 || !si[i].key) continue;
            for (j = hash_str(si[i].key) & (tcap - 1); tab[j].key; j = (j + 1) & (tcap - 1))
                if (!strcmp(tab[j].key, si[i].key)) break;
            if (!tab[j].key) {
                tab[j].key = si[i].key;
                tab[j].group = ng++;
                g = &s->groups[tab[j].group];
                g->has_stack = 1;
                g->key = si[i].key;
            } else {
                g = &s->groups[tab[j].group];
            }
            {
                acc *cur = &gacc[g - s->groups];
                /* g->size holds the representative's bytes until the loop below resets it */
                int rep = g->stacks == 0 || a->st[i].bytes > g->size;
                acc_merge(cur, &a->st[i]);
                fill_from_acc(g, cur);
                if (rep) {
                    g->size = a->st[i].bytes;
                    g->frames = si[i].frames;
                    g->depth = si[i].depth;
                    g->site_index = si[i].site;
                }
                g->stacks++;
            }
        }
        for (i = 0; i < ng; i++) {
            hd_group *g = &s->groups[i];
            g->size = 0;
            g->site = g->depth ? g->frames[g->site_index]->text : "";
        }
    }
    /* size groups: every block (by size) or the blocks without a stack */
    for (i = 0; i < a->sz_cap; i++) {
        const size_acc *z = &a->sz[i];
        const acc *src;
        hd_group *g;
        if (!z->used) continue;
        src = a->o.by == HD_BY_SIZE ? &z->all : &z->untraced;
        if (src->count == 0) continue;
        g = &s->groups[ng++];
        fill_from_acc(g, src);
        g->size = z->size;
        g->size_kinds = 1;
        g->sizes[0].size = z->size;
        g->sizes[0].count = src->count;
        g->other_sizes_count = 0;
        g->key = arena_printf(&s->ar, "size 0x%llx", (unsigned long long)z->size);
        if (!g->key) { e = HD_ENOMEM; goto fail; }
        g->site = "";
        g->stacks = 0;
        if (a->o.by == HD_BY_SIZE && z->stack != NO_STACK && z->stack < nstacks && si[z->stack].frames) {
            g->has_stack = 1;
            g->frames = si[z->stack].frames;
            g->depth = si[z->stack].depth;
            g->site_index = si[z->stack].site;
            g->site = g->depth ? g->frames[g->site_index]->text : "";
        }
    }
    hd_sort(s->groups, ng, sizeof *s->groups, cmp_group);
    s->pub.groups = s->groups;
    s->pub.group_count = ng;
    free(si);
    free(tab);
    free(gacc);
    acc_free(a);
    *out = &s->pub;
    return HD_OK;
fail:
    free(si);
    free(tab);
    free(gacc);
    acc_free(a);
    summary_impl_free(s);
    return e;
}
