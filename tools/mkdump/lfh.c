/*
** lfh.c - the LFH front end (FrontEndHeapType 2; reference §6).
**
**  _HEAP.FrontEndHeap -> _LFH_HEAP {SubSegmentZones, Heap, Buckets[], SegmentInfoArrays[] (Win8+),
**                        LocalData {LowFragHeap, SegmentInfo[128] inline on Win7}}
**     Win7: the _LFH_HEAP is a VirtualAlloc block of the heap (internal, user size
**           sizeof(_LFH_HEAP) + 64 * sizeof(_HEAP_LOCAL_DATA), §5.1); Win8+: a back-end block.
**  _LFH_BLOCK_ZONE blocks (back-end, Flags 0x09) hold arrays of _HEAP_SUBSEGMENT
**  UserBlocks container (back-end, Flags 0x09):
**     _HEAP_USERDATA_HEADER {SubSegment, SizeIndex, Signature 0xF0E0D0C0,
**                            Win8+: EncodedOffsets, BusyBitmap, bitmap words}
**     blocks at UB + FirstAllocationOffset, stride BlockSize * gran, each with its own header:
**       Win8+ x64: dword(H+8) = heap ^ RtlpLFHKey ^ (H >> 4) ^ ((H - UB) << 12)  (§6.4, H)
**       Win8+ x86: dword(H)   = heap ^ key ^ (H >> 3) ^ ((H - UB) << 13)        (§6.4, M)
**       Win7 x86:  dword(H)   = SubSegment ^ key ^ heap ^ (H >> 3)             (§6.4, verified)
**       Win7 x64:  dword(H+8) = SubSegment ^ key ^ heap ^ (H >> 4)             (mkdump's choice, L)
**       UnusedBytes 0x80 free, 0x80 | unused busy, 0xC2 with a +ust prefix.
**     Win7 free blocks chain through the USHORT at their user pointer (offsets in granules from
**     UB, 0xFFFF ends), head in AggregateExchg.FreeEntryOffset; Depth = free blocks (§6.3/§6.4).
*/
#include <stdlib.h>
#include <string.h>
#include "heap.h"

static int win7(const hstate *h) { return h->hl->hv == HV_WIN7; }
static int nbuckets(const hstate *h) { return win7(h) ? 128 : 129; }
static u32 max_index(const hstate *h) { return h->ptr == 8 ? 0x402 : 0x802; }

void lfh_create(hstate *h)
{
    const lfh_layout *L = h->hl->lfh;
    if (win7(h)) {
        hs_va_alloc(h, (u64)L->size + 64 * (u64)L->ld_size, -1, 1, &h->lfh);
    } else {
        h->lfh = hs_alloc_internal(h, L->size, HF_BUSY | HF_INTERNAL, 0, "LFH heap");
        h->usage_data = hs_alloc_internal(h, 2 * (u64)max_index(h), HF_BUSY | HF_INTERNAL, 0, "usage data");
    }
}

static u64 new_zone(hstate *h)
{
    const lfh_layout *L = h->hl->lfh;
    u64 z;
    h->zone_cap = 31;
    z = hs_alloc_internal(h, L->zone_array + (u64)h->zone_cap * L->ss_size, HF_BUSY | HF_INTERNAL, 0, "LFH zone");
    VPUSH(h->zones, z);
    h->zone_cur = z;
    h->zone_used = 0;
    return z;
}

static void zone_fields(hstate *h)
{
    const lfh_layout *L = h->hl->lfh;
    vm *m = h->g->m;
    size_t i;
    for (i = 0; i < h->zones.n; i++) {
        u64 z = h->zones.v[i];
        u32 used = z == h->zone_cur ? h->zone_used : h->zone_cap;
        if (L->zone_next_index) {
            w32(m, z + L->zone_next_index, used);
        } else {
            wptr(m, h->ptr, z + L->zone_free_pointer, z + L->zone_array + (u64)used * L->ss_size);
            wptr(m, h->ptr, z + L->zone_limit, z + L->zone_array + (u64)h->zone_cap * L->ss_size);
        }
    }
}

/* One subsegment with its UserBlocks, filled from alloc line AS (rs: its resolved stack). */
void lfh_container(hstate *h, alloc_spec *as, int rs, u64 *remaining)
{
    gen *g = h->g;
    vm *m = g->m;
    const lfh_layout *L = h->hl->lfh;
    int p = h->ptr, b;
    u64 gr = (u64)h->gran, prefix = h->ust_prefix ? 2 * gr : 0, round = p == 8 ? 0x1F : 0xF;
    u64 r0 = rng_range(&h->r, as->smin, as->smax), rmin, rmax, stride, fao, ubsize, ub, ss, li, bits_addr;
    u32 bu, prev_bu, n, i, nfree = 0, word = (u32)p * 8;
    u64 key = g->lfh_key[W(h->bits)], heap = h->base, segb;
    u16 first_free = 0xFFFF, *chain_prev = NULL;
    u64 last_free_h = 0;
    u8 *bitmap;
    b = bucket_of_units(hs_units_for(h, r0 + prefix), h->gran);
    bu = bucket_units(b);
    prev_bu = b > 1 ? bucket_units(b - 1) : 1;
    rmax = (u64)(bu + 1) * gr - round - 1 - prefix;
    rmin = (u64)(prev_bu + 1) * gr - round - prefix;
    if ((i64)rmin < 1) rmin = 1;
    if (rmin < as->smin) rmin = as->smin;
    if (rmax > as->smax) rmax = as->smax;
    stride = (u64)bu * gr;
    n = (u32)rng_range(&h->r, 16, 64);
    if ((u64)n * stride > 0x10000) n = (u32)(0x10000 / stride);
    if (n < 4) n = 4;
    /* UserBlocks size and FirstAllocationOffset (§6.4: Win8+ formula; Win7: right after the header) */
    if (win7(h)) {
        fao = L->ub_header;
        ubsize = fao + (u64)n * stride + 8;
    } else {
        u64 base_off = p == 8 ? 0x40 : 0x20, k;
        fao = ALIGN_DOWN(((u64)n + 31) / 8 + base_off, gr);
        ubsize = fao + (u64)n * stride + 8;
        for (k = 0; k < 3; k++) {
            u64 f2 = ALIGN_DOWN((((ubsize - base_off) / stride) + 31) / 8 + base_off, gr);
            if (f2 == fao) break;
            fao = f2;
            ubsize = fao + (u64)n * stride + 8;
        }
        if (fao < L->ub_bitmap_data + ALIGN_UP(((u64)n + word - 1) / word * (word / 8), (u64)p)) die("internal: LFH bitmap does not fit");
    }
    /* metadata first: a zone slot, the Win8+ segment info of the bucket */
    if (!h->zone_cur || h->zone_used == h->zone_cap) new_zone(h);
    ss = h->zone_cur + L->zone_array + (u64)h->zone_used * L->ss_size;
    h->zone_used++;
    if (win7(h)) {
        li = h->lfh + L->local_data + L->ld_seg_info + (u64)b * L->si_size;
    } else {
        if (!h->bk[b].seginfo) h->bk[b].seginfo = hs_alloc_internal(h, L->si_size, HF_BUSY | HF_INTERNAL, 0, "segment info");
        li = h->bk[b].seginfo;
    }
    ub = hs_alloc_internal(h, ubsize, HF_BUSY | HF_INTERNAL, 0, "UserBlocks");
    segb = hs_cur_seg(h);
    h->bk[b].active = ss;
    h->bk[b].total_blocks += n;
    h->bk[b].subsegs++;
    bitmap = xcalloc((size_t)((n + 63) / 64 * 8 + 8), 1);
    /* the blocks */
    for (i = 0; i < n; i++) {
        u64 H = ub + fao + (u64)i * stride, body = H + (p == 8 ? 8 : 0), req = 0;
        int busy = 0;
        u8 ubyte = 0x80;
        u32 d;
        if (*remaining) {
            req = rng_range(&h->r, rmin, rmax);
            busy = !(as->free_frac > 0 && rng_unit(&h->r) < as->free_frac);
            (*remaining)--;
        }
        if (win7(h)) d = (u32)ss ^ (u32)key ^ (u32)heap ^ (u32)(H >> (p == 8 ? 4 : 3));
        else d = (u32)heap ^ (u32)key ^ (u32)(H >> (p == 8 ? 4 : 3)) ^ (u32)((H - ub) << (p == 8 ? 12 : 13));
        w32(m, body, d);
        if (win7(h)) w16(m, body + 4, (u16)i);
        else w16(m, body + 5, (u16)i);
        if (busy) {
            u64 unused = stride - req;
            if (prefix) {
                ubyte = 0xC2;
                hs_write_prefix(h, H, rs, (u16)unused);
            } else if (unused >= 0x3F) {
                ubyte = 0x80 | 0x3F;
                if (p == 8) w64(m, H + stride, unused);
                else w32(m, H + stride - 4, (u32)unused);
            } else {
                ubyte = (u8)(0x80 | unused);
            }
            bitmap[i / 8] |= (u8)(1u << (i % 8));
            h->busy_blocks++;
            h->busy_user += req;
            h->busy_bytes += stride;
            if (rs >= 0) {
                g->rst.v[rs].blocks++;
                g->rst.v[rs].bytes += req;
            }
            hs_block_json(h, H, H + gr + prefix, stride, req, 1, BK_LFH, h->ust_prefix ? rs : -1, segb, NULL, 0);
        } else {
            nfree++;
            h->lfh_free++;
            if (win7(h)) {   /* free chain, ascending */
                u16 off = (u16)((H - ub) / gr);
                if (last_free_h) w16(m, last_free_h + gr, off);
                else first_free = off;
                last_free_h = H;
            }
            hs_block_json(h, H, H + gr, stride, stride - gr, 0, BK_LFH, -1, segb, NULL, 0);
        }
        w8(m, body + 7, ubyte);
        h->lfh_blocks++;
    }
    (void)chain_prev;
    if (last_free_h) w16(m, last_free_h + gr, 0xFFFF);
    /* _HEAP_USERDATA_HEADER */
    wptr(m, p, ub + L->ub_subseg, ss);
    if (win7(h)) {
        wptr(m, p, ub + L->ub_size_index, (u64)b);
        wptr(m, p, ub + L->ub_signature, 0xF0E0D0C0u);
    } else {
        u32 k;
        w8(m, ub + L->ub_size_index, (u8)b);
        w32(m, ub + L->ub_signature, 0xF0E0D0C0u);
        w32(m, ub + L->ub_encoded_offsets, (u32)(fao | stride << 16) ^ (u32)key ^ (u32)ub ^ (u32)h->lfh);
        wptr(m, p, ub + L->ub_bitmap, n);
        wptr(m, p, ub + L->ub_bitmap + (u64)p, ub + L->ub_bitmap_data);
        /* bits beyond BlockCount in the last word are set (§6.4) */
        for (k = n; k % word; k++) bitmap[k / 8] |= (u8)(1u << (k % 8));
        bits_addr = ub + L->ub_bitmap_data;
        vm_write(m, bits_addr, bitmap, (size_t)(k / 8));
    }
    free(bitmap);
    /* _HEAP_SUBSEGMENT */
    wptr(m, p, ss + L->ss_local_info, li);
    wptr(m, p, ss + L->ss_user_blocks, ub);
    w16(m, ss + L->ss_aggr, (u16)nfree);
    if (win7(h)) {
        w16(m, ss + L->ss_aggr + 2, first_free);
        w32(m, ss + L->ss_aggr + 4, (u32)h->bk[b].subsegs);
    }
    w16(m, ss + L->ss_block_size, (u16)bu);
    w16(m, ss + L->ss_block_count, (u16)n);
    w8(m, ss + L->ss_size_index, (u8)b);
}

void lfh_finish(hstate *h)
{
    const lfh_layout *L = h->hl->lfh;
    const heap_layout *hl = h->hl;
    vm *m = h->g->m;
    int p = h->ptr, b;
    u64 lfh = h->lfh, ld = lfh + L->local_data;
    zone_fields(h);
    hs_link_list(h, lfh + L->subseg_zones, h->zones.v, h->zones.n, 0);
    wptr(m, p, lfh + L->heap, h->base);
    wptr(m, p, ld + L->ld_low_frag_heap, lfh);
    for (b = 0; b < nbuckets(h); b++) {
        u64 bk = lfh + L->buckets + 4 * (u64)b, si;
        w16(m, bk, (u16)bucket_units(b > 0 ? b : 0));
        w8(m, bk + 2, (u8)b);
        if (!h->bk[b].subsegs) continue;
        si = win7(h) ? ld + L->ld_seg_info + (u64)b * L->si_size : h->bk[b].seginfo;
        if (!win7(h)) wptr(m, p, lfh + L->seg_info_arrays + (u64)b * (u64)p, si);
        wptr(m, p, si + L->si_local_data, ld);
        wptr(m, p, si + L->si_active, h->bk[b].active);
        w32(m, si + L->si_counters, h->bk[b].total_blocks);
        w32(m, si + L->si_counters + 4, h->bk[b].subsegs);
        w16(m, si + L->si_bucket_index, (u16)b);
        if (!win7(h)) {   /* FrontEndHeapStatusBitmap: the granule sizes this bucket serves */
            u32 k, lo = b > 1 ? bucket_units(b - 1) : 1;
            for (k = lo; k < bucket_units(b) && k < 8 * 129; k++) {
                u64 a = h->base + hl->fe_status_bitmap + k / 8;
                u8 v = 0;
                vm_read(m, a, &v, 1);
                w8(m, a, (u8)(v | 1u << (k % 8)));
            }
        }
    }
    wptr(m, p, h->base + hl->front_end_heap, lfh);
    w8(m, h->base + hl->front_end_type, 2);
    if (hl->requested_fe_type) w8(m, h->base + hl->requested_fe_type, 2);
    if (hl->fe_usage_data) wptr(m, p, h->base + hl->fe_usage_data, h->usage_data);
    if (hl->fe_max_index) w16(m, h->base + hl->fe_max_index, (u16)max_index(h));
}
