/*
** check.c - reconciliation: the walk against the heap's own bookkeeping and against the dump's
** MemoryInfoList (reference §2.5, §4.1, §4.3, §6.5, §6.7).
**
**   TotalFreeSize x gran          == free back-end bytes walked
**   Counters.TotalSegments        == segments on SegmentList
**   Counters.TotalUCRs            == sum of NumberOfUnCommittedRanges == UCR descriptors listed
**   Counters.TotalMemoryReserved  == sum of NumberOfPages x 0x1000        (exact on Win7; a score on
**   Counters.TotalMemoryCommitted == sum of committed segment bytes          Win8+, §2.5)
**   Counters.TotalSizeInVirtualBlocks == sum of CommitSize of VirtualAllocdBlocks
**   per segment: NumberOfUnCommittedRanges / Pages == its UCR list; blocks tile the committed bytes
**   LFH: AggregateExchg.Depth == free LFH blocks; zones' active subsegments == UserBlocks walked
**   MemoryInfoList (MEM_PRIVATE heaps only, §4.3): committed ranges are MEM_COMMIT, UCRs are not;
**   VirtualAlloc'd blocks: entry == AllocationBase, CommitSize == committed bytes of the allocation
** Every mismatch is an hd_heap_check with ok == 0 and a warning diagnostic (informative checks -
** those the reference says need not match - become info diagnostics).
*/
#include <string.h>
#include "heap_int.h"

void hh_add_check(hh_heap *h, const char *name, uint64_t expected, uint64_t actual, unsigned how)
{
    hd_heap_check *k = vec_push(&h->checks);
    if (!k) return;
    k->name = name;
    k->expected = expected;
    k->actual = actual;
    k->ok = expected == actual;
    k->informative = (how & HH_CHECK_INFORMATIVE) != 0;
    k->incomplete = (how & HH_CHECK_INCOMPLETE) != 0;
    h->pub.checks = h->checks.data;
    h->pub.check_count = h->checks.len;
}

/* Committed bytes MemoryInfoList reports inside [a, b), and whether every region there is
** MEM_PRIVATE. */
static uint64_t meminfo_committed(const hd_dump *d, uint64_t a, uint64_t b, int *private_only)
{
    uint64_t sum = 0, va = a;
    *private_only = 1;
    while (va < b) {
        const hd_region *g = hd_region_find(d, va);
        uint64_t end;
        if (!g) { *private_only = 0; return sum; }
        end = g->base + g->size;
        if (end <= va) { *private_only = 0; return sum; }
        if (end > b) end = b;
        if (g->type != HD_MEM_PRIVATE) *private_only = 0;
        if (g->state == HD_MEM_COMMIT) sum += end - va;
        va = end;
    }
    return sum;
}

/* VirtualAlloc'd blocks against MemoryInfoList: one pass over the list. */
static void check_va_meminfo(hh_walk *w)
{
    hd_dump *d = w->d;
    hh_heap *h = w->h;
    const hl_common *c = h->c;
    unsigned ptr = c->ptr;
    uint64_t head = h->pub.virtual_alloc_list, cur, n_base = 0, n_commit = 0, n = 0;
    hh_cycle cy;
    if (as_ptr(d, head, ptr, &cur) != HD_OK) return;
    hh_cycle_init(&cy, head, d->lim.max_list);
    while (cur && cur != head) {
        uint64_t commit = 0, reserve = 0, got, next;
        const hd_region *g = hd_region_find(d, cur);
        int priv;
        if (as_ptr(d, cur, ptr, &next) != HD_OK) break;
        as_ptr(d, cur + c->va_commit_size, ptr, &commit);
        as_ptr(d, cur + c->va_reserve_size, ptr, &reserve);
        n++;
        /* the entry is page-aligned in its own allocation, at most 15 pages in (§5.2: the block
        ** start is randomised by 0-15 pages inside the reservation; Win7 puts it at the base) */
        if (g && g->alloc_base <= cur && cur - g->alloc_base < 16 * 0x1000) n_base++;
        got = meminfo_committed(d, cur, cur + reserve, &priv);
        if (got == commit) n_commit++;
        if (hh_cycle_step(&cy, cur)) break;
        cur = next;
    }
    if (!n) return;
    hh_add_check(h, "VirtualAlloc entries within 16 pages of their MemoryInfoList AllocationBase", n, n_base, 0);
    hh_add_check(h, "VirtualAlloc blocks whose CommitSize == MEM_COMMIT bytes of the allocation", n, n_commit, 0);
}

void hh_reconcile(hh_walk *w)
{
    hd_dump *d = w->d;
    hh_heap *h = w->h;
    const hd_heap_counters *k = &h->pub.counters;
    int win7 = h->lay->pointer_key != HL_NA;   /* §2.5: byte counters exact on Win7 only */
    uint64_t reserved = 0, committed = 0, ucrs = 0, ucr_listed = 0;
    size_t i, nseg_read = 0;
    int partial = w->partial;   /* a mismatch is reported, it does not make the walk partial */
    unsigned inc = w->incomplete ? HH_CHECK_INCOMPLETE : 0;
    for (i = 0; i < h->pub.segment_count; i++) {
        const hd_heap_segment *sg = &h->pub.segments[i];
        uint64_t ucr_bytes = 0;
        size_t j;
        if (!sg->readable) continue;
        nseg_read++;
        reserved += sg->reserved;
        committed += sg->committed;
        ucrs += sg->uncommitted_ranges;
        ucr_listed += sg->ucr_count;
        for (j = 0; j < sg->ucr_count; j++) ucr_bytes += sg->ucrs[j].size;
        if (sg->ucr_list_complete && (sg->ucr_count != sg->uncommitted_ranges || ucr_bytes != (uint64_t)sg->uncommitted_pages * 0x1000)) {
            hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, sg->address, "segment 0x%llx: NumberOfUnCommittedRanges %u / Pages %u, but its UCR list has %zu ranges / %llu pages",
                      (unsigned long long)sg->address, sg->uncommitted_ranges, sg->uncommitted_pages, sg->ucr_count,
                      (unsigned long long)(ucr_bytes / 0x1000));
        }
        /* MemoryInfoList, for private heaps (§4.3: not for MEM_MAPPED ones) */
        if (d->has_meminfo) {
            int priv;
            uint64_t got = meminfo_committed(d, sg->address, sg->last_valid_entry, &priv);
            if (priv && got != sg->committed)
                hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, sg->address, "segment 0x%llx: MemoryInfoList has 0x%llx bytes committed, the UCR list says 0x%llx",
                          (unsigned long long)sg->address, (unsigned long long)got, (unsigned long long)sg->committed);
        }
    }
    hh_add_check(h, "blocks tile the committed segment bytes", committed - HD_MIN(committed, w->ucr_found_bytes),
                 w->t.walked_bytes + w->t.missing_bytes, inc);
    hh_add_check(h, "TotalFreeSize x granularity == free bytes walked", k->total_free_size * h->c->gran, w->t.free_bytes, inc);
    if (h->pub.has_counters) {
        unsigned seginc = h->seglist_complete ? 0 : HH_CHECK_INCOMPLETE;
        hh_add_check(h, "Counters.TotalSegments == segments on SegmentList", k->total_segments, h->pub.segment_count, seginc);
        hh_add_check(h, "Counters.TotalUCRs == sum of NumberOfUnCommittedRanges", k->total_ucrs, ucrs, seginc);
        hh_add_check(h, "Counters.TotalUCRs == UCR descriptors listed", k->total_ucrs, ucr_listed, seginc | inc);
        hh_add_check(h, "Counters.TotalMemoryReserved == segment reserve", k->total_memory_reserved, reserved,
                     (win7 ? 0 : HH_CHECK_INFORMATIVE) | seginc);
        hh_add_check(h, "Counters.TotalMemoryCommitted == segment commit", k->total_memory_committed, committed,
                     (win7 ? 0 : HH_CHECK_INFORMATIVE) | seginc | inc);
        hh_add_check(h, "Counters.TotalSizeInVirtualBlocks == sum of CommitSize", k->total_size_in_virtual_blocks, w->t.virtual_bytes,
                     w->va_incomplete ? HH_CHECK_INCOMPLETE : 0);
    }
    if (d->has_meminfo) check_va_meminfo(w);
    if (h->lfh_ok) {
        uint64_t zc, zs;
        hh_add_check(h, "LFH free blocks == sum of AggregateExchg.Depth", w->lfh_depth_total, w->t.lfh_free, inc);
        hh_lfh_zones(w, &zc, &zs);
        hh_add_check(h, "LFH subsegments in zones == UserBlocks found by the walk", zc, w->lfh_containers, inc | w->zones_incomplete);
        hh_add_check(h, "LFH UserBlocks addresses (sum) in zones == walked", zs, w->lfh_container_sum, inc | w->zones_incomplete);
    }
    /* every mismatch is a diagnostic */
    for (i = 0; i < h->checks.len; i++) {
        const hd_heap_check *c = VEC_AT(&h->checks, hd_heap_check, i);
        if (c->ok || c->incomplete) continue;   /* `check` shows the latter as n/a */
        hh_damage(w, c->informative || c->incomplete ? HD_SEV_INFO : HD_SEV_WARN, HD_ECORRUPT, h->pub.address,
                  "reconciliation: %s: the heap says 0x%llx, the walk found 0x%llx%s", c->name, (unsigned long long)c->expected,
                  (unsigned long long)c->actual,
                  c->incomplete ? " (not evaluable: memory or a list is missing from the dump)"
                                : c->informative ? " (not expected to match on this layout, §2.5)" : "");
    }
    (void)nseg_read;
    w->partial = partial;
}
