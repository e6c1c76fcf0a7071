/*
** lfh.c - the Low Fragmentation Heap front end: UserBlocks containers and their blocks, found
** from the back-end walk and classified without the LFH key (reference §6.5), the key recovered
** when the headers allow it (§6.6), and the zones cross-checked (§6.3).
**
**   busy internal back-end block (Flags & 0x08) ──user data──► _HEAP_USERDATA_HEADER (UB)
**     UB+0            SubSegment ──► _HEAP_SUBSEGMENT S   (S.UserBlocks == UB)
**     UB+0xC/+0x18/+0x14 Signature 0xF0E0D0C0   (x86 / Win7 x64 / Win8+ x64)
**     Win8+: UB+0x14/+0x20 BusyBitmap {SizeOfBitMap == BlockCount, Buffer == UB+0x1C/+0x30}
**     blocks: Win7 from UB+0x10/+0x20; Win8+ from UB+FirstAllocationOffset; stride BlockSize x gran
**   _HEAP_SUBSEGMENT    Win7 x86/x64     Win8+ x86/x64
**     LocalInfo         0x00/0x00        0x00/0x00 ──► _HEAP_LOCAL_SEGMENT_INFO ─► LocalData ─► LowFragHeap
**     UserBlocks        0x04/0x08        0x04/0x08
**     Depth (free)      0x08/0x10        0x10/0x20
**     BlockSize         0x10/0x18        0x14/0x24
**     BlockCount        0x14/0x1C        0x18/0x28
**     SizeIndex         0x16/0x1E        0x1A/0x2A
**
** Busy or free: Win8+ the BusyBitmap bit (authoritative), cross-checked with UnusedBytes; Win7
** UnusedBytes (0x80 free, 0x80 | unused busy) cross-checked with the free chain
** (AggregateExchg.FreeEntryOffset, then the USHORT at each free block's data).  The free count
** must equal AggregateExchg.Depth.
**
** FirstAllocationOffset (Win8+) is found without the key: at the right offset the quantity
** dword(H) ^ (H >> 4|3) ^ ((H - UB) << 12|13) is the same for every block of the heap (it is
** RtlpLFHKey ^ heap, §6.4); on Win7 dword(H) ^ SubSegment ^ heap ^ (H >> 3) is RtlpLFHKey.
*/
#include <stdlib.h>
#include <string.h>
#include "heap_int.h"

void hh_lfh_setup(hd_dump *d, hh_heap *h)
{
    uint64_t back;
    if (h->lfh) return;
    h->lfh = h->lay->lfh;
    if (h->pub.front_end_type != 2 || !h->pub.front_end_heap) return;
    if (as_ptr(d, h->pub.front_end_heap + h->lfh->lfh_heap, h->c->ptr, &back) == HD_OK && back == h->pub.address) {
        h->lfh_ok = 1;
        return;
    }
    HD_DIAG(d, HD_SEV_WARN, back ? HD_ECORRUPT : HD_EUNMAPPED, "lfh", h->pub.front_end_heap,
            "heap 0x%llx: FrontEndHeap 0x%llx does not point back to the heap (or is not captured); LFH blocks are not expanded",
            (unsigned long long)h->pub.address, (unsigned long long)h->pub.front_end_heap);
    hh_problem(d, h, "_LFH_HEAP 0x%llx unusable: LFH blocks not expanded", (unsigned long long)h->pub.front_end_heap);
}

int hh_lfh_signature(const hd_dump *d, const hh_heap *h, uint64_t ub)
{
    uint32_t sig;
    return h->lfh && as_u32(d, ub + h->lfh->ud_signature, &sig) == HD_OK && sig == HL_USERBLOCKS_SIGNATURE;
}

typedef struct ss_info {
    uint64_t s, local_info;
    uint16_t block_size, block_count, depth, free_offset;
    uint8_t size_index;
} ss_info;

static int read_ss(const hd_dump *d, const hh_heap *h, uint64_t s, ss_info *o)
{
    const hl_lfh *L = h->lfh;
    uint8_t si;
    memset(o, 0, sizeof *o);
    o->s = s;
    if (!hd_view(d, s, L->sizeof_ss)) return 0;
    as_ptr(d, s + L->ss_local_info, h->c->ptr, &o->local_info);
    as_u16(d, s + L->ss_block_size, &o->block_size);
    as_u16(d, s + L->ss_block_count, &o->block_count);
    as_u16(d, s + L->ss_depth, &o->depth);
    if (L->ss_free_entry_offset != HL_NA) as_u16(d, s + L->ss_free_entry_offset, &o->free_offset);
    as_u8(d, s + L->ss_size_index, &si);
    o->size_index = si;
    return 1;
}

/* The per-heap constant a block header yields at H (see the file comment). */
static uint32_t hdr_const(const hh_heap *h, uint32_t dw, uint64_t H, uint64_t ub, uint64_t s)
{
    const hl_lfh *L = h->lfh;
    if (L->ofs_shift)
        return dw ^ (uint32_t)(H >> L->pos_shift) ^ (uint32_t)((H - ub) << L->ofs_shift);
    return dw ^ (uint32_t)s ^ (uint32_t)h->pub.address ^ (uint32_t)(H >> L->pos_shift);
}

/* Header body (8 bytes) of the LFH block at H; NULL when not captured. */
static const uint8_t *lfh_body(const hd_dump *d, const hh_heap *h, uint64_t H)
{
    return hd_view(d, H + h->c->entry_body, 8);
}

/* The same through a span of the UserBlocks (SPAN at UB, AVAIL bytes) when it covers H. */
static const uint8_t *lfh_body_in(const hd_dump *d, const hh_heap *h, uint64_t ub, const uint8_t *span, uint64_t avail, uint64_t H)
{
    uint64_t off = H - ub + h->c->entry_body;
    if (span && H >= ub && off + 8 <= avail) return span + off;
    return lfh_body(d, h, H);
}

/* Win8+: does FIRST (offset from UB) lay the blocks out?  All 0x80 markers, one constant. */
static int try_first(const hd_dump *d, const hh_heap *h, uint64_t ub, uint64_t first, const ss_info *ss,
                     int full, uint32_t *k_out)
{
    uint64_t stride = (uint64_t)ss->block_size * h->c->gran, i, n = ss->block_count;
    uint32_t k0 = 0;
    uint64_t probe[6];
    size_t np = 0, j;
    if (full) {
        for (i = 0; i < n; i++) {
            const uint8_t *p = lfh_body(d, h, ub + first + i * stride);
            uint32_t k;
            if (!p || !(p[7] & 0x80)) return 0;
            k = hdr_const(h, rd_le32(p), ub + first + i * stride, ub, ss->s);
            if (i == 0) k0 = k; else if (k != k0) return 0;
        }
        *k_out = k0;
        return 1;
    }
    for (i = 0; i < n && i < 4; i++) probe[np++] = i;
    if (n > 4) probe[np++] = n - 1;
    for (j = 0; j < np; j++) {
        uint64_t H = ub + first + probe[j] * stride;
        const uint8_t *p = lfh_body(d, h, H);
        uint32_t k;
        if (!p || !(p[7] & 0x80)) return 0;
        k = hdr_const(h, rd_le32(p), H, ub, ss->s);
        if (j == 0) k0 = k; else if (k != k0) return 0;
    }
    if (h->lfh_key_state == 1 && k0 != h->lfh_const) return 0;
    if (np < 2 && h->lfh_key_state != 1) return 0;
    *k_out = k0;
    return 1;
}

static void note_key(hh_walk *w, uint32_t k, uint64_t where)
{
    hh_heap *h = w->h;
    if (h->lfh_key_state == 0) {
        h->lfh_key_state = 1;
        h->lfh_const = k;
        h->pub.lfh_key_known = 1;
        h->pub.lfh_key = h->lfh->ofs_shift ? (uint64_t)(k ^ (uint32_t)h->pub.address) : (uint64_t)k;
    } else if (h->lfh_key_state == 1 && k != h->lfh_const) {
        h->lfh_key_state = -1;
        h->pub.lfh_key_known = 0;
        hh_damage(w, HD_SEV_INFO, HD_ECORRUPT, where, "LFH headers do not share one key value (0x%x vs 0x%x); key not reported", k, h->lfh_const);
    }
}

int hh_lfh_container(hh_walk *w, hd_block *container, uint64_t ub, uint64_t len)
{
    hd_dump *d = w->d;
    hh_heap *h = w->h;
    const hl_lfh *L = h->lfh;
    const hl_common *c = h->c;
    unsigned gran = c->gran, ptr = c->ptr;
    uint64_t s = 0, back = 0, first = 0, stride, i, nfree = 0, nbusy = 0;
    const uint8_t *bitmap = NULL;
    ss_info ss;
    uint32_t k = 0;
    int have_k = 0;
    const uint8_t *span;
    uint64_t avail = 0, pf;
    hd_block tmpl;
    if (as_ptr(d, ub + L->ud_subsegment, ptr, &s) != HD_OK || !s || !read_ss(d, h, s, &ss)) {
        hh_damage(w, HD_SEV_WARN, HD_EUNMAPPED, ub, "LFH UserBlocks 0x%llx: subsegment 0x%llx not captured; its blocks are not listed",
                  (unsigned long long)ub, (unsigned long long)s);
        w->incomplete = 1;
        return 0;
    }
    as_ptr(d, s + L->ss_user_blocks, ptr, &back);
    stride = (uint64_t)ss.block_size * gran;
    if (back != ub || !ss.block_size || !ss.block_count || stride * ss.block_count > len) {
        hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, ub, "LFH UserBlocks 0x%llx: subsegment 0x%llx inconsistent (UserBlocks 0x%llx, BlockSize %u, BlockCount %u, region 0x%llx bytes)",
                  (unsigned long long)ub, (unsigned long long)s, (unsigned long long)back, ss.block_size, ss.block_count,
                  (unsigned long long)len);
        return 0;
    }
    /* LocalInfo -> LocalData -> LowFragHeap == FrontEndHeap (§6.5 step 2) */
    {
        uint64_t ld = 0, lfh = 0;
        if (as_ptr(d, ss.local_info + L->lsi_local_data, ptr, &ld) == HD_OK && as_ptr(d, ld + L->ld_low_frag_heap, ptr, &lfh) == HD_OK &&
            lfh != h->pub.front_end_heap)
            hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, s, "LFH subsegment 0x%llx: LocalInfo 0x%llx does not lead back to _LFH_HEAP 0x%llx",
                      (unsigned long long)s, (unsigned long long)ss.local_info, (unsigned long long)h->pub.front_end_heap);
    }
    if (L->ud_first_block != HL_NA) {
        first = L->ud_first_block;
        if (first + stride * ss.block_count > len) {
            hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, ub, "LFH UserBlocks 0x%llx: %u blocks of 0x%llx bytes do not fit", (unsigned long long)ub,
                      ss.block_count, (unsigned long long)stride);
            return 0;
        }
    } else {
        /* Win8+: the bitmap, then find FirstAllocationOffset (§6.5 step 3) */
        uint64_t bsize = 0, buf = 0, bbytes = ((uint64_t)ss.block_count + 7) / 8, off, lo, hi;
        int found = 0;
        as_ptr(d, ub + L->ud_bitmap_size, ptr, &bsize);
        as_ptr(d, ub + L->ud_bitmap_buffer, ptr, &buf);
        if (bsize != ss.block_count || buf != ub + L->ud_bitmap_data)
            hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, ub, "LFH UserBlocks 0x%llx: BusyBitmap {%llu, 0x%llx}, expected {%u, 0x%llx}", (unsigned long long)ub,
                      (unsigned long long)bsize, (unsigned long long)buf, ss.block_count, (unsigned long long)(ub + L->ud_bitmap_data));
        bitmap = hd_view(d, buf ? buf : ub + L->ud_bitmap_data, (size_t)bbytes);
        lo = (L->ud_bitmap_data + bbytes + gran - 1) & ~(uint64_t)(gran - 1);
        hi = lo + 0x400;
        for (off = lo; off <= hi && off + stride * ss.block_count <= len; off += gran) {
            if (try_first(d, h, ub, off, &ss, 0, &k)) {
                found = 1;
                break;
            }
        }
        if (!found && ss.block_count == 1 && lo + stride <= len) {
            const uint8_t *p = lfh_body(d, h, ub + lo);
            if (p && (p[7] & 0x80)) { off = lo; found = 1; k = hdr_const(h, rd_le32(p), ub + lo, ub, s); }
        }
        if (!found) {
            hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, ub, "LFH UserBlocks 0x%llx: no block layout found (BlockSize %u, BlockCount %u); blocks not listed",
                      (unsigned long long)ub, ss.block_size, ss.block_count);
            return 0;
        }
        first = off;
        have_k = ss.block_count > 1 || h->lfh_key_state == 1;
    }
    /* the container, then its blocks (read through one span of the UserBlocks) */
    span = as_span(d, ub, &avail);
    container->kind = HD_BLOCK_INTERNAL;
    hh_emit(w, container);
    w->lfh_containers++;
    w->lfh_container_sum += ub;
    hh_fp_add(&w->lfh_pairs, s ^ (ub << 1 | ub >> 63));
    memset(&tmpl, 0, sizeof tmpl);   /* what every block of this container shares */
    tmpl.heap = &h->pub;
    tmpl.size = stride;
    tmpl.kind = HD_BLOCK_LFH;
    tmpl.segment = container->segment;
    tmpl.subsegment = s;
    tmpl.hdr_size = ss.block_size;
    pf = 0;   /* offset in the span up to which cache lines were prefetched */
    for (i = 0; i < ss.block_count && !w->stop; i++) {
        uint64_t H = ub + first + i * stride;
        const uint8_t *p = lfh_body_in(d, h, ub, span, avail, H);
#if defined(__GNUC__)
        /* stream every cache line HH_PREFETCH_AHEAD bytes ahead (see walk.c) */
        if (span) {
            uint64_t lim = HD_MIN(H - ub + HH_PREFETCH_AHEAD, avail);
            if (pf < H - ub) pf = H - ub;
            for (; pf < lim; pf += 64) __builtin_prefetch(span + pf);
        }
#endif
        hd_block b = tmpl;   /* a struct copy: cheaper per block than clearing and refilling */
        int busy;
        b.address = H;
        if (!p) {
            hh_damage(w, HD_SEV_WARN, HD_EUNMAPPED, H, "LFH block 0x%llx not captured", (unsigned long long)H);
            b.state = HD_BLOCK_BUSY;
            b.damaged = 1;
            hh_emit(w, &b);
            continue;
        }
        b.hdr_unused_bytes = p[7];
        b.hdr_segment_offset = p[6];
        if (L->ud_first_block != HL_NA) {   /* Win7: check the key constant as we go */
            uint32_t kk = hdr_const(h, rd_le32(p), H, ub, s);
            if (i == 0) { k = kk; have_k = 1; }
            else if (kk != k) have_k = 0;
        }
        if (!(p[7] & 0x80)) {
            hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, H, "LFH block 0x%llx: UnusedBytes 0x%x lacks the LFH bit 0x80", (unsigned long long)H, p[7]);
            b.state = HD_BLOCK_BUSY;
            b.damaged = 1;
            hh_emit(w, &b);
            continue;
        }
        busy = (p[7] & 0x3F) != 0;
        if (bitmap) {
            int bit = (bitmap[i / 8] >> (i % 8)) & 1;
            if (bit != busy)
                hh_damage(w, HD_SEV_INFO, HD_ECORRUPT, H, "LFH block 0x%llx: BusyBitmap says %s, UnusedBytes 0x%x says %s (delayed free?)",
                          (unsigned long long)H, bit ? "busy" : "free", p[7], busy ? "busy" : "free");
            busy = bit;
        }
        if (busy) {
            hh_entry x;
            const char *why = NULL;
            memset(&x, 0, sizeof x);
            x.unused = p[7];
            b.state = HD_BLOCK_BUSY;
            if (hh_user_extent(d, h, H, ss.block_size, &x, &b, &why, span && H - ub < avail ? span + (H - ub) : NULL,
                               span && H - ub < avail ? avail - (H - ub) : 0) != 0)
                hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, H, "LFH block 0x%llx: %s", (unsigned long long)H, why);
            nbusy++;
        } else {
            b.state = HD_BLOCK_FREE;
            b.user_address = H + gran;
            b.user_size = stride - gran;
            nfree++;
        }
        hh_emit(w, &b);
    }
    if (w->stop) return 1;
    if (have_k) note_key(w, k, ub);
    if (nfree != ss.depth)
        hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, s, "LFH subsegment 0x%llx: %llu free blocks, AggregateExchg.Depth says %u",
                  (unsigned long long)s, (unsigned long long)nfree, ss.depth);
    if (L->ud_first_block != HL_NA && ss.depth) {
        /* Win7 free chain: FreeEntryOffset (granules from UB), next in the block's first USHORT */
        uint64_t n = 0, off = ss.free_offset;
        while (off != 0xFFFF && n <= ss.block_count) {
            uint64_t H = ub + off * gran;
            uint16_t nx;
            const uint8_t *p;
            if (H < ub + first || (H - ub - first) % stride || (H - ub - first) / stride >= ss.block_count ||
                !(p = lfh_body(d, h, H)) || p[7] != 0x80 || as_u16(d, H + gran, &nx) != HD_OK) {
                n = UINT64_MAX;
                break;
            }
            n++;
            off = nx;
        }
        if (n != ss.depth)
            hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, s, "LFH subsegment 0x%llx: free chain %s (Depth %u)", (unsigned long long)s,
                      n == UINT64_MAX ? "broken" : "length differs from Depth", ss.depth);
    }
    if (w->bk) {
        hd_lfh_bucket *bk = &w->bk[ss.size_index];
        bk->size_index = ss.size_index;
        bk->block_size = (uint32_t)stride;
        bk->subsegments++;
        bk->blocks += ss.block_count;
        bk->busy += nbusy;
        bk->free += nfree;
        bk->depth += ss.depth;
    }
    w->lfh_depth_total += ss.depth;
    w->t.lfh_subsegments++;
    return 1;
}

/* §6.3: _LFH_HEAP.SubSegmentZones -> zones -> arrays of _HEAP_SUBSEGMENT.  With VERIFY, a
** subsegment counts only when its UserBlocks points back to it (a read all over the heap, each
** window dropped after); without, every subsegment with UserBlocks counts and *pairs receives the
** fingerprint of its (subsegment, UserBlocks) pair, to compare with the walk's. */
static void zones(hh_walk *w, int verify, uint64_t *count, uint64_t *sum, hh_fp *pairs)
{
    hd_dump *d = w->d;
    hh_heap *h = w->h;
    const hl_lfh *L = h->lfh;
    unsigned ptr = h->c->ptr;
    uint64_t head = h->pub.front_end_heap + L->lfh_subsegment_zones, cur;
    hh_cycle cy;
    *count = *sum = 0;
    if (pairs) memset(pairs, 0, sizeof *pairs);
    if (as_ptr(d, head, ptr, &cur) != HD_OK) return;
    hh_cycle_init(&cy, head, d->lim.max_list);
    while (cur && cur != head) {
        uint64_t zone = cur - L->zone_list, fp, a, end, next;
        if (as_ptr(d, zone + L->zone_free_pointer, ptr, &fp) != HD_OK || as_ptr(d, cur, ptr, &next) != HD_OK) {
            if (verify) {
                hh_damage(w, HD_SEV_INFO, HD_EUNMAPPED, zone, "LFH zone 0x%llx not captured; zone cross-check incomplete", (unsigned long long)zone);
                w->zones_incomplete = HH_CHECK_INCOMPLETE;
            }
            return;
        }
        a = zone + L->zone_first;
        if (fp > zone && fp - zone <= 0x100000) end = fp;                          /* FreePointer */
        else if ((fp & 0xFFFFFFFFu) < 0x10000) end = a + (fp & 0xFFFFFFFFu) * L->sizeof_ss;   /* NextIndex */
        else {
            if (verify)
                hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, zone, "LFH zone 0x%llx: FreePointer/NextIndex 0x%llx implausible", (unsigned long long)zone,
                          (unsigned long long)fp);
            end = a;
        }
        for (; a + L->sizeof_ss <= end; a += L->sizeof_ss) {
            uint64_t ub, bs;
            if (as_ptr(d, a + L->ss_user_blocks, ptr, &ub) != HD_OK || !ub) continue;
            if (verify) {
                int ok = as_ptr(d, ub + L->ud_subsegment, ptr, &bs) == HD_OK && bs == a;
                hh_drop(d, ub);   /* UserBlocks are all over the heap */
                if (!ok) continue;
            }
            (*count)++;
            *sum += ub;
            if (pairs) hh_fp_add(pairs, a ^ (ub << 1 | ub >> 63));
        }
        /* zones are back-end blocks spread over the heap: drop their windows */
        as_release(d, zone & ~(uint64_t)0xFFFF, ((end + 0xFFFF) & ~(uint64_t)0xFFFF) - (zone & ~(uint64_t)0xFFFF));
        if (hh_cycle_step(&cy, cur)) {
            if (verify) hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, cur, "LFH SubSegmentZones loops");
            return;
        }
        cur = next;
    }
}

void hh_lfh_zones(hh_walk *w, uint64_t *count, uint64_t *sum)
{
    hh_fp pairs;
    /* fast: the zones name exactly the (subsegment, UserBlocks) pairs the walk validated */
    zones(w, 0, count, sum, &pairs);
    if (*count == w->lfh_containers && hh_fp_eq(&pairs, &w->lfh_pairs)) return;
    /* else count only subsegments whose UserBlocks point back (inactive ones keep stale pointers) */
    zones(w, 1, count, sum, NULL);
}
