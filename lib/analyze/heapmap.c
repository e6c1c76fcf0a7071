/*
** heapmap.c - the heap walker's contribution to the address map: which regions are heap memory
** (segments and VirtualAlloc'd blocks of every heap the process owns), fed to
** hd_addrmap_mark_heap() so that `address --summary` counts them as Heap even when no PEB list
** names the heap (24H2, heaps found by the scan) and for VirtualAlloc'd blocks, which live in
** allocations of their own (the seed's 13 GB).  Part of the heap walker's work; lives here
** because the address map is above the heap layer.
*/
#include <stdlib.h>
#include "../heap/heap_int.h"

typedef struct collect { vec *v; const hd_heap *h; } collect;

static int on_va(void *user, const hd_block *b)
{
    collect *c = user;
    hd_heap_range *r;
    if (!b->va_entry || !b->reserve_size) return 0;
    r = vec_push(c->v);
    if (!r) return 1;
    r->base = b->va_entry;
    r->size = b->reserve_size;
    r->heap = c->h->address;
    r->ptr_size = c->h->ptr_size;
    r->detail = "VirtualAlloc";
    return 0;
}

/* page heap allocations: each its own virtual block (user data against a guard page) */
static int on_dph(void *user, const hd_block *b)
{
    collect *c = user;
    hd_heap_range *r;
    if (!b->dph_virtual_block || !b->size) return 0;
    r = vec_push(c->v);
    if (!r) return 1;
    r->base = b->dph_virtual_block;
    r->size = b->size;
    r->heap = c->h->address;
    r->ptr_size = c->h->ptr_size;
    r->detail = "Page heap";
    return 0;
}

hd_err hd_addrmap_mark_heaps(hd_dump *d)
{
    vec v;
    size_t i, k, n = hd_heap_count(d);
    hd_err e = HD_OK;
    struct hd_heapset *set = hh_set(d);
    if (!set) return HD_ENOMEM;
    if (set->addrmap_marked) return HD_OK;
    set->addrmap_marked = 1;
    vec_init(&v, sizeof(hd_heap_range));
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        collect c;
        if ((h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) || !h->owned) continue;
        for (k = 0; k < h->segment_count; k++) {
            const hd_heap_segment *s = &h->segments[k];
            hd_heap_range *r;
            if (!s->readable) continue;
            r = vec_push(&v);
            if (!r) { e = HD_ENOMEM; goto out; }
            r->base = s->address;
            r->size = s->reserved;
            r->heap = h->address;
            r->ptr_size = h->ptr_size;
            r->detail = k == 0 ? "Segment 0 (heap header)" : "Segment";
        }
        c.v = &v;
        c.h = h;
        hd_heap_walk_virtual(d, h, on_va, &c);
        if (h->kind == HD_HEAP_PAGE) hd_heap_walk(d, h, on_dph, &c);
    }
    if (v.len) e = hd_addrmap_mark_heap(d, v.data, v.len);
out:
    vec_free(&v);
    return e;
}
