/*
** segment.c - a heap's segments and their uncommitted ranges (reference §4.1, §4.2).
**
**   _HEAP.SegmentList ──► _HEAP_SEGMENT.SegmentListEntry (segment = link - 0x10 x86 / - 0x18 x64)
**   _HEAP_SEGMENT       x86   x64
**     SegmentSignature  0x08  0x10   0xFFEEFFEE
**     Heap              0x18  0x28   == heap handle
**     BaseAddress       0x1C  0x30   == segment address, 64 KB aligned
**     NumberOfPages     0x20  0x38   LastValidEntry == BaseAddress + NumberOfPages x 0x1000
**     FirstEntry        0x24  0x40
**     LastValidEntry    0x28  0x48
**     NumberOfUnCommittedPages / Ranges  0x2C/0x30  0x50/0x54
**     UCRSegmentList    0x38  0x60 ──► _HEAP_UCR_DESCRIPTOR.SegmentEntry (desc = link - 0x08 / - 0x10)
**   _HEAP_UCR_DESCRIPTOR: Address 0x10/0x20, Size 0x14/0x28 (bytes)
**
** Segment 0 is the heap itself.  A fully committed segment still has a zero-size UCR at
** LastValidEntry (§4.1, verified on fizzbuzz), which counts in NumberOfUnCommittedRanges.
** Lists go through hh_list_walk (list.c): bounded, cycle-checked, recovered from the tail after a
** bad or missing link.  A segment whose header is missing from the dump but whose address the
** list gives is rebuilt from the MemoryInfoList (its allocation: committed regions and reserved
** ones as UCRs), so that its captured blocks are still walked.
*/
#include <stdlib.h>
#include "heap_int.h"

static int cmp_ucr(const void *a, const void *b)
{
    const hd_heap_ucr *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

typedef struct ucr_ctx { hd_dump *d; hh_heap *h; hd_heap_segment *sg; size_t n; int bad; } ucr_ctx;

static int on_ucr(void *user, uint64_t link, int backward)
{
    ucr_ctx *u = user;
    const hl_common *c = u->h->c;
    uint64_t desc = link - c->ucr_segment_entry, addr = 0, size = 0;
    hd_heap_ucr *x;
    (void)backward;
    as_ptr(u->d, desc + c->ucr_address, c->ptr, &addr);
    as_ptr(u->d, desc + c->ucr_size, c->ptr, &size);
    if (addr < u->sg->address || addr > u->sg->last_valid_entry || size > u->sg->last_valid_entry - addr || (addr & 0xFFF) || (size & 0xFFF)) {
        HD_CORRUPT(u->d, "heap", desc, "segment 0x%llx: UCR descriptor 0x%llx describes 0x%llx+0x%llx, outside the segment or not page-aligned; ignored",
                   (unsigned long long)u->sg->address, (unsigned long long)desc, (unsigned long long)addr, (unsigned long long)size);
        hh_problem(u->d, u->h, "bad UCR descriptor at 0x%llx", (unsigned long long)desc);
        u->bad = 1;
        return 0;
    }
    hh_drop(u->d, desc);   /* descriptors end committed ranges all over the segment */
    if ((x = vec_push(&u->h->ucrs)) == NULL) return 1;
    x->descriptor = desc;
    x->address = addr;
    x->size = size;
    u->n++;
    return 0;
}

static void read_ucrs(hd_dump *d, hh_heap *h, hd_heap_segment *sg, size_t *first)
{
    ucr_ctx u;
    unsigned r;
    size_t i;
    uint64_t sum = 0;
    *first = h->ucrs.len;
    u.d = d;
    u.h = h;
    u.sg = sg;
    u.n = 0;
    u.bad = 0;
    r = hh_list_walk(d, NULL, h, sg->address + h->c->seg_ucr_segment_list, "UCRSegmentList", h->c->ucr_segment_entry, NULL, on_ucr, &u);
    sg->ucr_list_complete = !(r & HH_LIST_CUT) && !u.bad;
    if (u.n) hd_sort((hd_heap_ucr *)h->ucrs.data + *first, u.n, sizeof(hd_heap_ucr), cmp_ucr);
    for (i = 0; i < u.n; i++) {
        const hd_heap_ucr *b = VEC_AT(&h->ucrs, hd_heap_ucr, *first + i);
        sum += b->size;
        if (i && VEC_AT(&h->ucrs, hd_heap_ucr, *first + i - 1)->address + VEC_AT(&h->ucrs, hd_heap_ucr, *first + i - 1)->size > b->address)
            HD_CORRUPT(d, "heap", b->descriptor, "segment 0x%llx: UCRs 0x%llx and 0x%llx overlap", (unsigned long long)sg->address,
                       (unsigned long long)VEC_AT(&h->ucrs, hd_heap_ucr, *first + i - 1)->address, (unsigned long long)b->address);
    }
    sg->ucr_count = u.n;
    sg->committed = sg->reserved >= sum ? sg->reserved - sum : 0;
}

/* Read one segment header at ADDR into SG; 0 when it is not usable. */
static int read_segment(hd_dump *d, hh_heap *h, uint64_t addr, hd_heap_segment *sg)
{
    const hl_common *c = h->c;
    unsigned ptr = c->ptr;
    uint32_t sig = 0;
    uint64_t heap = 0;
    sg->address = addr;
    if (!hd_view(d, addr, c->sizeof_segment)) {
        HD_DIAG(d, HD_SEV_WARN, HD_EUNMAPPED, "heap", addr, "heap 0x%llx: segment 0x%llx: header not captured (memory not captured)",
                (unsigned long long)h->pub.address, (unsigned long long)addr);
        hh_problem(d, h, "segment 0x%llx: memory not captured", (unsigned long long)addr);
        return 0;
    }
    as_u32(d, addr + c->seg_signature, &sig);
    as_ptr(d, addr + c->seg_heap, ptr, &heap);
    as_ptr(d, addr + c->seg_base_address, ptr, &sg->base_address);
    as_u32(d, addr + c->seg_number_of_pages, &sg->number_of_pages);
    as_ptr(d, addr + c->seg_first_entry, ptr, &sg->first_entry);
    as_ptr(d, addr + c->seg_last_valid_entry, ptr, &sg->last_valid_entry);
    as_u32(d, addr + c->seg_uncommitted_pages, &sg->uncommitted_pages);
    as_u32(d, addr + c->seg_uncommitted_ranges, &sg->uncommitted_ranges);
    sg->reserved = (uint64_t)sg->number_of_pages * 0x1000;
    if (sig != HL_SEGMENT_SIGNATURE || heap != h->pub.address || sg->base_address != addr || (addr & 0xFFFF) ||
        sg->last_valid_entry != addr + sg->reserved || sg->number_of_pages == 0 || sg->first_entry <= addr ||
        sg->first_entry >= sg->last_valid_entry) {
        HD_CORRUPT(d, "heap", addr, "heap 0x%llx: segment 0x%llx fails its invariants (signature 0x%x, Heap 0x%llx, BaseAddress 0x%llx, "
                   "%u pages, FirstEntry 0x%llx, LastValidEntry 0x%llx)", (unsigned long long)h->pub.address, (unsigned long long)addr, sig,
                   (unsigned long long)heap, (unsigned long long)sg->base_address, sg->number_of_pages, (unsigned long long)sg->first_entry,
                   (unsigned long long)sg->last_valid_entry);
        hh_problem(d, h, "segment 0x%llx: bad header", (unsigned long long)addr);
        return 0;
    }
    sg->readable = 1;
    hh_drop(d, addr);
    return 1;
}

/* A segment whose header is not in the dump: its extent and uncommitted ranges from the
** MemoryInfoList (the allocation based at ADDR), so its captured blocks can still be walked. */
static int segment_from_meminfo(hd_dump *d, hh_heap *h, uint64_t addr, hd_heap_segment *sg, size_t *first)
{
    const hd_region *g = hd_region_find(d, addr);
    uint64_t va = addr, end = addr;
    size_t n = 0;
    *first = h->ucrs.len;
    if (!d->has_meminfo || !g || g->alloc_base != addr) return 0;
    while ((g = hd_region_find(d, va)) != NULL && g->alloc_base == addr && g->size && g->state != HD_MEM_FREE) {
        if (g->state != HD_MEM_COMMIT) {
            hd_heap_ucr *u = vec_push(&h->ucrs);
            if (!u) break;
            u->descriptor = 0;
            u->address = g->base;
            u->size = g->size;
            n++;
        }
        end = g->base + g->size;
        va = end;
        if (n > d->lim.max_segments) break;
    }
    if (end <= addr) return 0;
    sg->address = sg->base_address = addr;
    sg->last_valid_entry = end;
    sg->reserved = end - addr;
    sg->number_of_pages = (uint32_t)(sg->reserved / 0x1000);
    sg->first_entry = addr + h->c->sizeof_segment;
    sg->ucr_count = n;
    sg->uncommitted_ranges = (uint32_t)n;
    sg->committed = sg->reserved;
    for (va = 0; va < n; va++) {
        const hd_heap_ucr *u = VEC_AT(&h->ucrs, hd_heap_ucr, *first + va);
        sg->committed -= u->size;
        sg->uncommitted_pages += (uint32_t)(u->size / 0x1000);
    }
    sg->readable = 1;
    sg->ucr_list_complete = 0;
    sg->from_memory_info = 1;
    HD_DIAG(d, HD_SEV_INFO, HD_EUNMAPPED, "heap", addr, "heap 0x%llx: segment 0x%llx rebuilt from the MemoryInfoList (0x%llx bytes, %zu uncommitted ranges)",
            (unsigned long long)h->pub.address, (unsigned long long)addr, (unsigned long long)sg->reserved, n);
    return 1;
}

typedef struct seg_ctx { hd_dump *d; hh_heap *h; int have0, full; } seg_ctx;

static void add_segment(hd_dump *d, hh_heap *h, uint64_t seg, int allow_meminfo, seg_ctx *s)
{
    hd_heap_segment *sg;
    size_t *f;
    if (h->segments.len >= d->lim.max_segments) {
        if (!s->full)
            HD_DIAG(d, HD_SEV_WARN, HD_ELIMIT, "heap", seg, "heap 0x%llx: more than %u segments; the rest ignored (limit)",
                    (unsigned long long)h->pub.address, d->lim.max_segments);
        s->full = 1;
        return;
    }
    sg = vec_push(&h->segments);
    f = vec_push(&h->ucr_first);
    if (!sg || !f) return;
    if (allow_meminfo && !hd_view(d, seg, h->c->sizeof_segment)) {
        /* the list walk already reported the missing header */
        if (!segment_from_meminfo(d, h, seg, sg, f)) {
            sg->address = seg;
            *f = h->ucrs.len;
            hh_problem(d, h, "segment 0x%llx: memory not captured", (unsigned long long)seg);
        }
    } else if (read_segment(d, h, seg, sg)) {
        read_ucrs(d, h, sg, f);
    } else {
        *f = h->ucrs.len;
    }
    if (seg == h->pub.address) s->have0 = 1;
}

static int on_segment(void *user, uint64_t link, int backward)
{
    seg_ctx *s = user;
    (void)backward;
    add_segment(s->d, s->h, link - s->h->c->seg_list_entry, 0, s);
    return s->full;
}

static void fix_pointers(hh_heap *h)
{
    size_t i;
    for (i = 0; i < h->segments.len; i++) {
        hd_heap_segment *sg = VEC_AT(&h->segments, hd_heap_segment, i);
        sg->ucrs = sg->ucr_count ? VEC_AT(&h->ucrs, hd_heap_ucr, *VEC_AT(&h->ucr_first, size_t, i)) : NULL;
    }
    h->pub.segments = h->segments.data;
    h->pub.segment_count = h->segments.len;
}

void hh_read_segments(hd_dump *d, hh_heap *h)
{
    seg_ctx s;
    uint64_t missing = 0;
    unsigned r;
    h->segments_read = 1;
    s.d = d;
    s.h = h;
    s.have0 = 0;
    s.full = 0;
    r = hh_list_walk(d, NULL, h, h->pub.address + h->lay->segment_list, "SegmentList", h->c->seg_list_entry, &missing, on_segment, &s);
    h->seglist_complete = !(r & HH_LIST_CUT);
    if (missing) add_segment(d, h, missing - h->c->seg_list_entry, 1, &s);   /* its header is not captured */
    if (!s.have0) {
        /* the heap's own segment must be walked even when the list lost it */
        HD_CORRUPT(d, "heap", h->pub.address + h->lay->segment_list, "heap 0x%llx: segment 0 is not on SegmentList; walked anyway",
                   (unsigned long long)h->pub.address);
        add_segment(d, h, h->pub.address, 1, &s);
    }
    fix_pointers(h);
}

int hh_add_scanned_segment(hd_dump *d, hh_heap *h, uint64_t addr)
{
    hd_heap_segment *sg;
    size_t *f, i;
    for (i = 0; i < h->segments.len; i++)
        if (VEC_AT(&h->segments, hd_heap_segment, i)->address == addr) return 0;
    if (h->segments.len >= d->lim.max_segments) return 0;
    sg = vec_push(&h->segments);
    f = vec_push(&h->ucr_first);
    if (!sg || !f) return 0;
    if (read_segment(d, h, addr, sg)) read_ucrs(d, h, sg, f);
    else *f = h->ucrs.len;
    sg->found_by_scan = 1;
    h->seglist_complete = 0;
    HD_DIAG(d, HD_SEV_INFO, HD_ENOTFOUND, "heap", addr, "heap 0x%llx: segment 0x%llx found by the signature scan, not through SegmentList",
            (unsigned long long)h->pub.address, (unsigned long long)addr);
    fix_pointers(h);
    return sg->readable;
}
