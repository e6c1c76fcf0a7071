/*
** detect.c - classifying a heap candidate by scoring invariants (reference §10), never by a
** signature alone.
**
** 1. The signature at handle + 0x10 (x64) / + 0x08 (x86) says which family to test (§1.5):
**    0xFFEEFFEE an NT heap (or one of its segments), 0xDDEEDDEE a segment heap.
** 2. Common NT invariants (§10.1 items 1, 3, 4): Heap and BaseAddress point back at the handle,
**    64 KB alignment, LastValidEntry = BaseAddress + NumberOfPages pages, the Entry decodes with
**    the heap's own key into a busy, checksummed header.
** 3. Each candidate _HEAP tail (Win7, Win8-1511, 1607-1803, 1809+) is scored with weighted
**    invariants (Signature 0xEEFFEEFF and HeaderValidateLength == sizeof weigh most, §2.4/§10.1
**    7a); the best one wins if its Signature holds.  24H2 is the 1809+ table on builds >= 26100.
** 4. An NT heap with HEAP_FLAG_PAGE_ALLOCS and 0xFFEEDDCC at handle + 0x1000 is a page heap (§8.1).
** Every check is kept as evidence (hd_heap_evidence) for `heaps --explain`.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "heap_int.h"

const hl_common *hh_common(unsigned ptr) { return ptr == 8 ? &hl_common_x64 : &hl_common_x86; }

static void ev(hd_dump *d, hh_heap *h, const char *layout, int passed, unsigned weight,
               const char *check, const char *fmt, ...) HD_PRINTF(7, 8);
static void ev(hd_dump *d, hh_heap *h, const char *layout, int passed, unsigned weight,
               const char *check, const char *fmt, ...)
{
    hd_heap_evidence *e = vec_push(&h->evidence);
    va_list ap;
    if (!e) return;
    e->layout = layout;
    e->check = arena_strndup(&d->ar, check, strlen(check));
    e->passed = passed;
    e->weight = weight;
    va_start(ap, fmt);
    e->detail = arena_vprintf(&d->ar, fmt, ap);
    va_end(ap);
    if (!e->check) e->check = "";
    if (!e->detail) e->detail = "";
}

/* A list head: -1 not captured, 0 inconsistent, 1 consistent (§10.1 item 5). */
static int list_head(const hd_dump *d, uint64_t head, unsigned ptr, char *why, size_t n)
{
    uint64_t fl, bl, x;
    if (as_ptr(d, head, ptr, &fl) != HD_OK || as_ptr(d, head + ptr, ptr, &bl) != HD_OK) {
        snprintf(why, n, "head not captured");
        return -1;
    }
    if (fl == head && bl == head) {
        snprintf(why, n, "empty (self-linked)");
        return 1;
    }
    if (!fl || !bl) {
        snprintf(why, n, "Flink 0x%llx Blink 0x%llx", (unsigned long long)fl, (unsigned long long)bl);
        return 0;
    }
    if (as_ptr(d, fl + ptr, ptr, &x) != HD_OK) {
        snprintf(why, n, "Flink 0x%llx not captured", (unsigned long long)fl);
        return -1;
    }
    if (x != head) {
        snprintf(why, n, "Flink 0x%llx -> Blink 0x%llx != head", (unsigned long long)fl, (unsigned long long)x);
        return 0;
    }
    if (as_ptr(d, bl, ptr, &x) != HD_OK) {
        snprintf(why, n, "Blink 0x%llx not captured", (unsigned long long)bl);
        return -1;
    }
    if (x != head) {
        snprintf(why, n, "Blink 0x%llx -> Flink 0x%llx != head", (unsigned long long)bl, (unsigned long long)x);
        return 0;
    }
    snprintf(why, n, "Flink 0x%llx, Blink 0x%llx", (unsigned long long)fl, (unsigned long long)bl);
    return 1;
}

/* Count SegmentList entries (bounded, cycle-checked); *has0 when segment 0's link is on it.
** Returns -1 when a link is not captured, 0 when broken, 1 when the list closes on its head. */
static int count_segments(const hd_dump *d, uint64_t head, uint64_t seg0_link, unsigned ptr,
                          uint64_t limit, uint64_t *count, int *has0)
{
    uint64_t cur, prev = head;
    hh_cycle cy;
    *count = 0;
    *has0 = 0;
    if (as_ptr(d, head, ptr, &cur) != HD_OK) return -1;
    hh_cycle_init(&cy, head, limit);
    while (cur != head) {
        uint64_t bl;
        if (!cur || as_ptr(d, cur + ptr, ptr, &bl) != HD_OK) return cur ? -1 : 0;
        if (bl != prev) return 0;
        if (cur == seg0_link) *has0 = 1;
        (*count)++;
        if (hh_cycle_step(&cy, cur)) return 0;
        prev = cur;
        if (as_ptr(d, cur, ptr, &cur) != HD_OK) return -1;
    }
    return 1;
}

typedef struct score { int got, max; int sig_ok; } score;

static void add(score *s, int passed, unsigned w)
{
    if (passed < 0) return;
    s->max += (int)w;
    if (passed > 0) s->got += (int)w;
}

/* Score layout L on heap H, recording evidence. */
static score score_layout(hd_dump *d, hh_heap *h, const hl_heap *L, const hh_entry *entry,
                          uint32_t os_build)
{
    const hl_common *c = L->c;
    uint64_t a = h->pub.address;
    unsigned ptr = c->ptr;
    score s = {0, 0, 0};
    char why[160];
    uint32_t v32;
    uint16_t v16;
    uint64_t v, v2;
    int r;
    char chk[128];

    /* Signature (§2.2/§2.3, §10.1 item 2) */
    snprintf(chk, sizeof chk, "Signature 0xEEFFEEFF at +0x%x", L->signature);
    if (as_u32(d, a + L->signature, &v32) == HD_OK) {
        r = v32 == HL_HEAP_SIGNATURE;
        s.sig_ok = r;
        ev(d, h, L->name, r, 4, chk, "0x%08x", v32);
        add(&s, r, 4);
    } else {
        ev(d, h, L->name, -1, 4, chk, "not captured");
    }
    /* HeaderValidateLength == sizeof(_HEAP) (§2.4, §10.1 item 7a) */
    snprintf(chk, sizeof chk, "HeaderValidateLength (+0x%x) == sizeof(_HEAP) 0x%x", L->header_validate_length, L->sizeof_heap);
    if (as_u16(d, a + L->header_validate_length, &v16) == HD_OK) {
        r = v16 == L->sizeof_heap;
        ev(d, h, L->name, r, 4, chk, "0x%x", v16);
        add(&s, r, 4);
    } else {
        ev(d, h, L->name, -1, 4, chk, "not captured");
    }
    /* The Entry block covers the header (§10.1 item 3) */
    if (entry->ok) {
        r = (uint64_t)entry->size * c->gran >= L->sizeof_heap;
        snprintf(chk, sizeof chk, "Entry covers sizeof(_HEAP) 0x%x", L->sizeof_heap);
        ev(d, h, L->name, r, 1, chk, "Entry is 0x%llx bytes", (unsigned long long)entry->size * c->gran);
        add(&s, r, 1);
    }
    /* SegmentList closes and contains segment 0 (§4.2, §10.1 item 5) */
    {
        uint64_t n = 0;
        int has0 = 0;
        snprintf(chk, sizeof chk, "SegmentList (+0x%x) closes and holds segment 0", L->segment_list);
        r = count_segments(d, a + L->segment_list, a + c->seg_list_entry, ptr, d->lim.max_segments, &n, &has0);
        if (r > 0) r = has0;
        ev(d, h, L->name, r, 2, chk, "%llu segment(s)%s", (unsigned long long)n, r == 0 && !has0 ? ", segment 0 missing or list broken" : "");
        add(&s, r, 2);
        /* Counters.TotalSegments == that count (§2.5, §10.1 item 10) */
        snprintf(chk, sizeof chk, "Counters.TotalSegments (+0x%x) == segments on SegmentList", L->counters + c->ctr_segments);
        if (as_u32(d, a + L->counters + c->ctr_segments, &v32) == HD_OK && r >= 0) {
            int rr = v32 >= 1 && v32 == n;
            ev(d, h, L->name, rr, 2, chk, "%u vs %llu", v32, (unsigned long long)n);
            add(&s, rr, 2);
        } else if (r < 0) {
            ev(d, h, L->name, -1, 2, chk, "SegmentList not walkable (links not captured)");
        } else {
            ev(d, h, L->name, -1, 2, chk, "not captured");
        }
    }
    /* The other list heads (§10.1 item 5) */
    {
        static const char *names[] = {"VirtualAllocdBlocks", "UCRList", "FreeLists"};
        uint16_t offs[3];
        int i;
        offs[0] = L->virtual_allocd_blocks;
        offs[1] = L->ucr_list;
        offs[2] = L->free_lists;
        for (i = 0; i < 3; i++) {
            snprintf(chk, sizeof chk, "%s (+0x%x) is a consistent list head", names[i], offs[i]);
            r = list_head(d, a + offs[i], ptr, why, sizeof why);
            ev(d, h, L->name, r, 1, chk, "%s", why);
            add(&s, r, 1);
        }
    }
    /* BlocksIndex -> _HEAP_LIST_LOOKUP.ListHead == &FreeLists (§2.6) */
    snprintf(chk, sizeof chk, "BlocksIndex (+0x%x) -> ListHead == &FreeLists", L->blocks_index);
    if (as_ptr(d, a + L->blocks_index, ptr, &v) == HD_OK && v && as_ptr(d, v + c->ll_list_head, ptr, &v2) == HD_OK) {
        r = v2 == a + L->free_lists;
        ev(d, h, L->name, r, 2, chk, "BlocksIndex 0x%llx, ListHead 0x%llx", (unsigned long long)v, (unsigned long long)v2);
        add(&s, r, 2);
    } else {
        ev(d, h, L->name, -1, 2, chk, "not captured");
    }
    /* AlignRound / AlignMask (§2.4, §10.1 item 7) */
    snprintf(chk, sizeof chk, "AlignRound/AlignMask (+0x%x/+0x%x) fit the granularity", L->align_round, L->align_mask);
    if (as_ptr(d, a + L->align_round, ptr, &v) == HD_OK && as_ptr(d, a + L->align_mask, ptr, &v2) == HD_OK) {
        uint64_t want = ~(uint64_t)(c->gran - 1);
        if (ptr == 4) want &= 0xFFFFFFFFu;
        r = v2 == want && (v & (c->gran - 1)) == c->gran - 1 && v < 0x1000;
        ev(d, h, L->name, r, 1, chk, "0x%llx / 0x%llx", (unsigned long long)v, (unsigned long long)v2);
        add(&s, r, 1);
    } else {
        ev(d, h, L->name, -1, 1, chk, "not captured");
    }
    /* VirtualMemoryThreshold (§2.4: 0xFE00 x86, 0xFF00 x64; bound 0x10000) */
    snprintf(chk, sizeof chk, "VirtualMemoryThreshold (+0x%x) in 1..0x10000 granules", L->vm_threshold);
    if (as_u32(d, a + L->vm_threshold, &v32) == HD_OK) {
        r = v32 >= 1 && v32 <= 0x10000;
        ev(d, h, L->name, r, 1, chk, "0x%x", v32);
        add(&s, r, 1);
    } else {
        ev(d, h, L->name, -1, 1, chk, "not captured");
    }
    /* FrontEndHeapType / FrontEndHeap (§2.4, §10.1 item 9) */
    {
        uint8_t fet;
        snprintf(chk, sizeof chk, "FrontEndHeapType (+0x%x) is 0 or 2", L->front_end_heap_type);
        if (as_u8(d, a + L->front_end_heap_type, &fet) == HD_OK) {
            r = fet == 0 || fet == 2;
            ev(d, h, L->name, r, 1, chk, "%u", fet);
            add(&s, r, 1);
            if (fet == 2) {
                snprintf(chk, sizeof chk, "FrontEndHeap (+0x%x) -> _LFH_HEAP.Heap (+0x%x) == handle", L->front_end_heap, L->lfh->lfh_heap);
                if (as_ptr(d, a + L->front_end_heap, ptr, &v) == HD_OK && v && as_ptr(d, v + L->lfh->lfh_heap, ptr, &v2) == HD_OK) {
                    r = v2 == a;
                    ev(d, h, L->name, r, 3, chk, "_LFH_HEAP 0x%llx, Heap 0x%llx", (unsigned long long)v, (unsigned long long)v2);
                    add(&s, r, 3);
                } else {
                    ev(d, h, L->name, -1, 3, chk, "not captured");
                }
            }
        } else {
            ev(d, h, L->name, -1, 1, chk, "not captured");
        }
    }
    /* FrontEndHeapMaximumIndex bounded by the status bitmap (§10.1 item 11, corrected) */
    if (L->front_end_max_index != HL_NA) {
        snprintf(chk, sizeof chk, "FrontEndHeapMaximumIndex (+0x%x) <= 0x%x", L->front_end_max_index, 8u * L->status_bitmap_bytes);
        if (as_u16(d, a + L->front_end_max_index, &v16) == HD_OK) {
            r = v16 <= 8u * L->status_bitmap_bytes;
            ev(d, h, L->name, r, 1, chk, "0x%x", v16);
            add(&s, r, 1);
        }
    }
    /* ProcessHeapsListIndex == slot + 1 (§1.2, §10.1 item 6; 0 on 26100+) */
    if (h->pub.peb_slot >= 0) {
        uint16_t want = os_build >= 26100 ? 0 : (uint16_t)(h->pub.peb_slot + 1);
        snprintf(chk, sizeof chk, "ProcessHeapsListIndex (+0x%x) == %u", L->process_heaps_list_index, want);
        if (as_u16(d, a + L->process_heaps_list_index, &v16) == HD_OK) {
            r = v16 == want;
            ev(d, h, L->name, r, 1, chk, "%u", v16);
            add(&s, r, 1);
        }
    }
    /* Win7: CommitRoutine ^ PointerKey is NULL or code in a module (§2.4 corrected) */
    if (L->pointer_key != HL_NA) {
        snprintf(chk, sizeof chk, "CommitRoutine (+0x%x) ^ PointerKey (+0x%x) is NULL or in a module", L->commit_routine, L->pointer_key);
        if (as_ptr(d, a + L->commit_routine, ptr, &v) == HD_OK && as_ptr(d, a + L->pointer_key, ptr, &v2) == HD_OK) {
            uint64_t rt = v ^ v2;
            r = rt == 0 || hd_module_find(d, rt) != NULL;
            ev(d, h, L->name, r, 1, chk, "0x%llx", (unsigned long long)rt);
            add(&s, r, 1);
        }
    }
    return s;
}

/* Fill the public header fields from the chosen layout. */
static void read_header(hd_dump *d, hh_heap *h)
{
    const hl_heap *L = h->lay;
    const hl_common *c = L->c;
    uint64_t a = h->pub.address, v;
    uint32_t v32;
    unsigned ptr = c->ptr;
    hd_heap_counters *k = &h->pub.counters;
    as_u32(d, a + c->flags, &h->pub.flags);
    as_u32(d, a + c->force_flags, &h->pub.force_flags);
    as_u32(d, a + c->encode_flag_mask, &h->pub.encode_flag_mask);
    as_u32(d, a + L->vm_threshold, &h->pub.virtual_memory_threshold);
    as_u8(d, a + L->front_end_heap_type, &h->pub.front_end_type);
    as_ptr(d, a + L->front_end_heap, ptr, &h->pub.front_end_heap);
    as_u16(d, a + L->process_heaps_list_index, &h->pub.process_heaps_list_index);
    as_ptr(d, a + L->commit_routine, ptr, &h->commit_routine);
    as_ptr(d, a + L->blocks_index, ptr, &h->blocks_index);
    h->pub.blocks_index = h->blocks_index;
    as_ptr(d, a + L->segment_reserve, ptr, &h->pub.segment_reserve);
    as_ptr(d, a + L->segment_commit, ptr, &h->pub.segment_commit);
    as_ptr(d, a + L->decommit_block, ptr, &h->pub.decommit_block_threshold);
    as_ptr(d, a + L->decommit_total, ptr, &h->pub.decommit_total_threshold);
    as_ptr(d, a + L->max_alloc_size, ptr, &h->pub.maximum_allocation_size);
    as_ptr(d, a + L->lock_variable, ptr, &h->pub.lock_variable);
    as_u32(d, a + L->interceptor, &h->pub.interceptor);
    if (L->user_context != HL_NA) as_ptr(d, a + L->user_context, ptr, &h->pub.user_context);
    if (L->pointer_key != HL_NA) as_ptr(d, a + L->pointer_key, ptr, &h->pointer_key);
    h->pub.virtual_alloc_list = a + L->virtual_allocd_blocks;
    h->pub.ucr_list = a + L->ucr_list;
    h->pub.free_lists = a + L->free_lists;
    h->pub.segment_list = a + L->segment_list;
    if (hd_view(d, a + L->counters, (size_t)(c->ctr_lock_collisions + 4))) {
        uint64_t base = a + L->counters;
        h->pub.has_counters = 1;
        as_ptr(d, base + c->ctr_reserved, ptr, &k->total_memory_reserved);
        as_ptr(d, base + c->ctr_committed, ptr, &k->total_memory_committed);
        as_ptr(d, base + c->ctr_large_ucr, ptr, &k->total_memory_large_ucr);
        as_ptr(d, base + c->ctr_virtual, ptr, &k->total_size_in_virtual_blocks);
        as_u32(d, base + c->ctr_segments, &k->total_segments);
        as_u32(d, base + c->ctr_ucrs, &k->total_ucrs);
        as_u32(d, base + c->ctr_commit_ops, &k->commit_ops);
        as_u32(d, base + c->ctr_decommit_ops, &k->decommit_ops);
        as_u32(d, base + c->ctr_lock_acquires, &k->lock_acquires);
        as_u32(d, base + c->ctr_lock_collisions, &k->lock_collisions);
    }
    if (as_ptr(d, a + L->total_free_size, ptr, &v) == HD_OK) k->total_free_size = v;
    (void)v32;
}

static void set_kind(hh_heap *h, hd_heap_kind k)
{
    static const char *names[] = {"nt", "segment", "page", "not_a_heap", "unreadable"};
    h->pub.kind = k;
    h->pub.kind_name = names[k];
}

void hh_classify(hd_dump *d, hh_heap *h, uint32_t os_build)
{
    uint64_t a = h->pub.address;
    unsigned ptr = h->pub.ptr_size;
    const hl_common *c = hh_common(ptr);
    const hl_heap *const *cands = ptr == 8 ? hl_layouts_x64 : hl_layouts_x86;
    const hl_heap *best = NULL;
    score bs = {0, 0, 0};
    uint32_t sig, v32;
    uint64_t heap_ptr = 0, base = 0, lve = 0, fe = 0;
    uint32_t pages = 0, ucp = 0;
    hh_entry entry;
    const uint8_t *p;
    int common_ok = 1, i;

    h->c = c;
    h->pub.granularity = c->gran;
    h->pub.layout = "";
    h->pub.layout_title = "";
    if (as_u32(d, a + c->seg_signature, &sig) != HD_OK) {
        set_kind(h, HD_HEAP_UNREADABLE);
        ev(d, h, "", -1, 0, "heap header captured in the dump", "memory not captured");
        hh_problem(d, h, "memory not captured: the heap header at 0x%llx is not in the dump", (unsigned long long)a);
        return;
    }
    if (sig == HL_SEGHEAP_SIGNATURE) {
        /* §1.5, §9.1: a segment heap; recognised, not walked */
        ev(d, h, "", 1, 0, ptr == 8 ? "Signature 0xDDEEDDEE at +0x10" : "Signature 0xDDEEDDEE at +0x8", "_SEGMENT_HEAP");
        ev(d, h, "", (a & 0xFFFF) == 0, 0, "handle 64 KB aligned", "0x%llx", (unsigned long long)a);
        set_kind(h, HD_HEAP_SEGMENT);
        h->pub.layout = "segment_heap";
        h->pub.layout_title = "Windows 10+ segment heap";
        hh_problem(d, h, "segment heap: recognised, its blocks are not walked by this version");
        return;
    }
    {
        char chk[64];
        snprintf(chk, sizeof chk, "SegmentSignature 0xFFEEFFEE at +0x%x", c->seg_signature);
        ev(d, h, "", sig == HL_SEGMENT_SIGNATURE, 0, chk, "0x%08x", sig);
    }
    if (sig != HL_SEGMENT_SIGNATURE) {
        set_kind(h, HD_HEAP_NOT_A_HEAP);
        hh_problem(d, h, "no heap signature at +0x%x (0x%08x)", c->seg_signature, sig);
        return;
    }
    /* Common invariants (§2.1, §10.1 items 1, 3, 4) */
    ev(d, h, "", (a & 0xFFFF) == 0, 0, "handle 64 KB aligned", "0x%llx", (unsigned long long)a);
    if (a & 0xFFFF) common_ok = 0;
    as_ptr(d, a + c->seg_heap, ptr, &heap_ptr);
    as_ptr(d, a + c->seg_base_address, ptr, &base);
    as_u32(d, a + c->seg_number_of_pages, &pages);
    as_ptr(d, a + c->seg_first_entry, ptr, &fe);
    as_ptr(d, a + c->seg_last_valid_entry, ptr, &lve);
    as_u32(d, a + c->seg_uncommitted_pages, &ucp);
    {
        char chk[96];
        snprintf(chk, sizeof chk, "Heap (+0x%x) == handle", c->seg_heap);
        ev(d, h, "", heap_ptr == a, 0, chk, "0x%llx", (unsigned long long)heap_ptr);
        snprintf(chk, sizeof chk, "BaseAddress (+0x%x) == handle", c->seg_base_address);
        ev(d, h, "", base == a, 0, chk, "0x%llx", (unsigned long long)base);
        snprintf(chk, sizeof chk, "LastValidEntry (+0x%x) == BaseAddress + NumberOfPages x 0x1000", c->seg_last_valid_entry);
        ev(d, h, "", lve == base + (uint64_t)pages * 0x1000 && pages, 0, chk, "0x%llx, %u pages", (unsigned long long)lve, pages);
        snprintf(chk, sizeof chk, "FirstEntry (+0x%x) inside the segment", c->seg_first_entry);
        ev(d, h, "", fe > a && fe < lve, 0, chk, "0x%llx", (unsigned long long)fe);
        ev(d, h, "", ucp <= pages, 0, "NumberOfUnCommittedPages <= NumberOfPages", "%u / %u", ucp, pages);
        if (as_u32(d, a + c->encode_flag_mask, &v32) == HD_OK) {
            snprintf(chk, sizeof chk, "EncodeFlagMask (+0x%x) is 0 or 0x00100000", c->encode_flag_mask);
            ev(d, h, "", v32 == 0 || v32 == HL_ENCODE_FLAG_MASK, 0, chk, "0x%x", v32);
            if (v32 != 0 && v32 != HL_ENCODE_FLAG_MASK) common_ok = 0;
            h->encoded = v32 != 0;
        }
    }
    if (heap_ptr != a && base == a && heap_ptr) {
        /* a secondary segment: its Heap field names the heap it belongs to */
        set_kind(h, HD_HEAP_NOT_A_HEAP);
        hh_problem(d, h, "a segment of heap 0x%llx, not a heap", (unsigned long long)heap_ptr);
        h->segment_of = heap_ptr;
        h->pub.label = "segment";
        return;
    }
    if (heap_ptr != a || base != a || lve != base + (uint64_t)pages * 0x1000 || !pages || fe <= a || fe >= lve || ucp > pages)
        common_ok = 0;
    /* The Entry decodes with the heap's own key (§10.1 item 3) */
    p = hd_view(d, a + c->encoding_key, 8);
    if (p) memcpy(h->key, p, 8);
    memset(&entry, 0, sizeof entry);
    if (hh_read_entry(d, h, a, &entry)) {
        int r = entry.ok && !entry.raw && (entry.flags & HL_ENTRY_BUSY) && entry.size != 0;
        ev(d, h, "", r, 0, "Entry decodes with the heap's key: busy, checksum valid", "Size 0x%x Flags 0x%x UnusedBytes 0x%x%s",
           entry.size, entry.flags, entry.unused, entry.ok ? (entry.raw ? " (raw, not encoded)" : "") : ", bad checksum");
        if (!r) common_ok = 0;
    } else {
        ev(d, h, "", -1, 0, "Entry decodes with the heap's key: busy, checksum valid", "not captured");
        common_ok = 0;
    }
    /* Score every candidate tail (§10.2 step 3) */
    for (i = 0; cands[i]; i++) {
        score s = score_layout(d, h, cands[i], &entry, os_build);
        int better;
        if (!s.sig_ok) continue;
        better = !best || s.got * bs.max > bs.got * s.max ||
                 (s.got * bs.max == bs.got * s.max && s.got > bs.got);
        if (better) {
            best = cands[i];
            bs = s;
        }
    }
    if (!best || !common_ok) {
        set_kind(h, HD_HEAP_NOT_A_HEAP);
        if (!best) hh_problem(d, h, "no candidate layout has Signature 0xEEFFEEFF");
        for (i = 0; i < (int)h->evidence.len; i++) {
            const hd_heap_evidence *e = VEC_AT(&h->evidence, hd_heap_evidence, (size_t)i);
            if (e->layout[0] == 0 && e->passed == 0) hh_problem(d, h, "failed: %s (%s)", e->check, e->detail);
        }
        if (best) hh_problem(d, h, "best layout %s scored %d/%d but the common invariants fail", best->name, bs.got, bs.max);
        return;
    }
    if (best == (ptr == 8 ? &hl_1809_x64 : &hl_1809_x86) && os_build >= 26100) {
        ev(d, h, "win11_24h2", 1, 0, "OS build >= 26100 with the 1809+ layout: 24H2 (UserContext chain, §1.4)", "build %u", os_build);
        best = ptr == 8 ? &hl_24h2_x64 : &hl_24h2_x86;
    }
    h->lay = best;
    h->pub.layout = best->name;
    h->pub.layout_title = best->title;
    h->pub.score = bs.got;
    h->pub.score_max = bs.max;
    set_kind(h, HD_HEAP_NT);
    read_header(d, h);
    /* Page heap (§8.1): NT heap with HEAP_FLAG_PAGE_ALLOCS and a DPH root one page up */
    if ((h->pub.flags | h->pub.force_flags) & HL_HEAP_PAGE_ALLOCS) {
        uint32_t dph = 0;
        int r = as_u32(d, a + 0x1000, &dph) == HD_OK && dph == HL_DPH_SIGNATURE;
        ev(d, h, "", r, 0, "page heap: _DPH_HEAP_ROOT signature 0xFFEEDDCC at handle + 0x1000", "0x%08x", dph);
        if (r) {
            set_kind(h, HD_HEAP_PAGE);
            (void)0;   /* walked: its own _HEAP, then the DPH busy nodes (dph.c) */
        }
    }
}
