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
** Lists are walked with the max_list bound and Brent's cycle check; broken links end the list
** with a diagnostic.
*/
#include <stdlib.h>
#include "heap_int.h"

static int cmp_ucr(const void *a, const void *b)
{
    const hd_heap_ucr *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

static void read_ucrs(hd_dump *d, hh_heap *h, hd_heap_segment *sg, size_t *first)
{
    const hl_common *c = h->c;
    unsigned ptr = c->ptr;
    uint64_t head = sg->address + c->seg_ucr_segment_list, cur, prev = head, sum = 0;
    hh_cycle cy;
    size_t n = 0, i;
    *first = h->ucrs.len;
    sg->ucr_list_complete = 0;
    if (as_ptr(d, head, ptr, &cur) != HD_OK) {
        HD_DIAG(d, HD_SEV_WARN, HD_EUNMAPPED, "heap", head, "segment 0x%llx: UCRSegmentList head not captured", (unsigned long long)sg->address);
        return;
    }
    hh_cycle_init(&cy, head, d->lim.max_list);
    for (;;) {
        if (cur == head) {
            sg->ucr_list_complete = 1;
            break;
        }
        uint64_t desc = cur - c->ucr_segment_entry, bl, addr, size;
        hd_heap_ucr *u;
        if (!cur || as_ptr(d, cur + ptr, ptr, &bl) != HD_OK || as_ptr(d, desc + c->ucr_address, ptr, &addr) != HD_OK ||
            as_ptr(d, desc + c->ucr_size, ptr, &size) != HD_OK) {
            HD_DIAG(d, HD_SEV_WARN, cur ? HD_EUNMAPPED : HD_ECORRUPT, "heap", cur,
                    "segment 0x%llx: UCR list link 0x%llx %s; the rest of the list is lost",
                    (unsigned long long)sg->address, (unsigned long long)cur, cur ? "is not captured" : "is NULL");
            hh_problem(d, h, "segment 0x%llx: UCR list cut at 0x%llx", (unsigned long long)sg->address, (unsigned long long)cur);
            break;
        }
        if (bl != prev) {
            HD_CORRUPT(d, "heap", cur, "segment 0x%llx: UCR descriptor 0x%llx: Blink 0x%llx, expected 0x%llx",
                       (unsigned long long)sg->address, (unsigned long long)desc, (unsigned long long)bl, (unsigned long long)prev);
            hh_problem(d, h, "segment 0x%llx: UCR list link broken at 0x%llx", (unsigned long long)sg->address, (unsigned long long)cur);
        }
        if (addr < sg->address || addr > sg->last_valid_entry || size > sg->last_valid_entry - addr || (addr & 0xFFF) || (size & 0xFFF)) {
            HD_CORRUPT(d, "heap", desc, "segment 0x%llx: UCR descriptor 0x%llx describes 0x%llx+0x%llx, outside the segment or not page-aligned; ignored",
                       (unsigned long long)sg->address, (unsigned long long)desc, (unsigned long long)addr, (unsigned long long)size);
            hh_problem(d, h, "bad UCR descriptor at 0x%llx", (unsigned long long)desc);
            sg->ucr_list_complete = -1;
        } else if ((u = vec_push(&h->ucrs)) != NULL) {
            u->descriptor = desc;
            u->address = addr;
            u->size = size;
            sum += size;
            n++;
        }
        if (hh_cycle_step(&cy, cur)) {
            HD_CORRUPT(d, "heap", cur, "segment 0x%llx: UCR list loops or exceeds %llu entries", (unsigned long long)sg->address,
                       (unsigned long long)d->lim.max_list);
            hh_problem(d, h, "segment 0x%llx: UCR list loops", (unsigned long long)sg->address);
            break;
        }
        prev = cur;
        if (as_ptr(d, cur, ptr, &cur) != HD_OK) break;
    }
    if (sg->ucr_list_complete < 0) sg->ucr_list_complete = 0;
    if (n) hd_sort((hd_heap_ucr *)h->ucrs.data + *first, n, sizeof(hd_heap_ucr), cmp_ucr);
    for (i = 1; i < n; i++) {
        const hd_heap_ucr *a = VEC_AT(&h->ucrs, hd_heap_ucr, *first + i - 1), *b = VEC_AT(&h->ucrs, hd_heap_ucr, *first + i);
        if (a->address + a->size > b->address)
            HD_CORRUPT(d, "heap", b->descriptor, "segment 0x%llx: UCRs 0x%llx and 0x%llx overlap", (unsigned long long)sg->address,
                       (unsigned long long)a->address, (unsigned long long)b->address);
    }
    sg->ucr_count = n;
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
    return 1;
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
    const hl_common *c = h->c;
    unsigned ptr = c->ptr;
    uint64_t head = h->pub.address + h->lay->segment_list, cur, prev = head;
    hh_cycle cy;
    vec *firsts = &h->ucr_first;
    int have0 = 0;
    if (as_ptr(d, head, ptr, &cur) != HD_OK) cur = head;
    hh_cycle_init(&cy, head, d->lim.max_list);
    h->seglist_complete = 0;
    for (;;) {
        uint64_t seg = cur - c->seg_list_entry, bl;
        if (cur == head) {
            h->seglist_complete = 1;
            break;
        }
        hd_heap_segment *sg;
        size_t *f;
        if (!cur || as_ptr(d, cur + ptr, ptr, &bl) != HD_OK) {
            HD_DIAG(d, HD_SEV_WARN, cur ? HD_EUNMAPPED : HD_ECORRUPT, "heap", cur, "heap 0x%llx: SegmentList link 0x%llx %s; later segments are lost",
                    (unsigned long long)h->pub.address, (unsigned long long)cur, cur ? "is not captured" : "is NULL");
            hh_problem(d, h, "SegmentList cut at 0x%llx", (unsigned long long)cur);
            break;
        }
        if (bl != prev) {
            HD_CORRUPT(d, "heap", cur, "heap 0x%llx: SegmentList entry 0x%llx: Blink 0x%llx, expected 0x%llx", (unsigned long long)h->pub.address,
                       (unsigned long long)cur, (unsigned long long)bl, (unsigned long long)prev);
            hh_problem(d, h, "SegmentList link broken at 0x%llx", (unsigned long long)cur);
        }
        if (h->segments.len >= d->lim.max_segments) {
            HD_DIAG(d, HD_SEV_WARN, HD_ELIMIT, "heap", cur, "heap 0x%llx: more than %u segments; the rest ignored (limit)",
                    (unsigned long long)h->pub.address, d->lim.max_segments);
            break;
        }
        sg = vec_push(&h->segments);
        f = vec_push(firsts);
        if (!sg || !f) break;
        if (read_segment(d, h, seg, sg)) read_ucrs(d, h, sg, f);
        else *f = h->ucrs.len;
        if (seg == h->pub.address) have0 = 1;
        if (hh_cycle_step(&cy, cur)) {
            HD_CORRUPT(d, "heap", cur, "heap 0x%llx: SegmentList loops or exceeds the limit", (unsigned long long)h->pub.address);
            hh_problem(d, h, "SegmentList loops");
            break;
        }
        prev = cur;
        if (as_ptr(d, cur, ptr, &cur) != HD_OK) break;
    }
    if (!have0) {
        /* the heap's own segment must be walked even when the list lost it */
        hd_heap_segment *sg = vec_push(&h->segments);
        size_t *f = vec_push(firsts);
        if (sg && f) {
            HD_CORRUPT(d, "heap", head, "heap 0x%llx: segment 0 is not on SegmentList; walked anyway", (unsigned long long)h->pub.address);
            if (read_segment(d, h, h->pub.address, sg)) read_ucrs(d, h, sg, f);
            else *f = h->ucrs.len;
        }
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
