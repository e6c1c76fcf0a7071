/*
** top.c - hd_top(): walk the heaps and feed every busy user block to the grouping of group.c.
** Nothing is stored per block: the walk callback adds the block to the accumulator and returns.
*/
#include "group.h"

typedef struct walk_ctx {
    hd_top_acc *a;
    hd_err err;
} walk_ctx;

static int on_block(void *user, const hd_block *b)
{
    walk_ctx *c = user;
    if (b->state != HD_BLOCK_BUSY || b->kind == HD_BLOCK_INTERNAL) return 0;
    c->err = hd_top_add(c->a, b->user_address, b->user_size, b->heap->address, (int)b->stack_scheme, b->stack_ref,
                        b->heap->ptr_size);
    return c->err != HD_OK;
}

hd_err hd_top(hd_dump *d, const hd_top_opts *o, hd_summary **out)
{
    hd_top_acc *a = NULL;
    walk_ctx c;
    size_t i, n, matched = 0;
    hd_err e;
    *out = NULL;
    if ((e = hd_top_begin(d, o, &a)) != HD_OK) return e;
    n = hd_heap_count(d);
    c.a = a;
    c.err = HD_OK;
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        if (!h || (o && o->heap && h->address != o->heap)) continue;
        /* a heap mapped from another process (the CSRSS shared heap) holds nobody's allocations
        ** here: counted only when asked for by address */
        if (!h->owned && !(o && o->heap)) continue;
        matched++;
        if (h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) continue;
        e = hd_heap_walk(d, h, on_block, &c);
        if (c.err != HD_OK) { hd_summary *tmp = NULL; hd_top_end(a, &tmp); hd_summary_free(tmp); return c.err; }
        if (e == HD_EUNSUPPORTED) continue;    /* recognised but not walkable (yet) */
        top_heap_done(a, e == HD_OK && !h->partial);
    }
    if (o && o->heap && matched == 0) {
        hd_summary *tmp = NULL;
        hd_top_end(a, &tmp);
        hd_summary_free(tmp);
        return HD_ENOTFOUND;
    }
    return hd_top_end(a, out);
}
