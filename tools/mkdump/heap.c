/*
** heap.c - NT heaps (front end + back end), built byte by byte after the reference.
**
**  _HEAP / first segment (handle, 64 KB aligned)                         §2, §4
**  +0          busy header block: _HEAP, its lock, the first _HEAP_LIST_LOOKUP, its in-use bitmap
**              and ListHints (Flags 0x01, UnusedBytes 0x01)                   §2.1, §2.6
**  FirstEntry  UCR-index block, extended _HEAP_LIST_LOOKUP block (UnusedBytes 0x01), LFH objects
**              (lfh.c), then the allocations: busy blocks, free blocks (coalesced, on FreeLists)
**  …           each committed range ends with a busy 4-granule block (UnusedBytes 0x03) holding the
**              _HEAP_UCR_DESCRIPTOR of the uncommitted range that follows (size 0 at
**              LastValidEntry when the segment is fully committed)                §4.1, §4.3
**  other segments: a busy segment-header block (sizeof _HEAP_SEGMENT) then blocks as above
**  VirtualAlloc blocks: _HEAP_VIRTUAL_ALLOC_ENTRY {Entry, ExtraStuff, CommitSize, ReserveSize,
**              BusyBlock} x86 0/8/0x10/0x14/0x18, x64 0/0x10/0x20/0x28/0x30             §5
**
**  Block header body (x86 +0, x64 +8): Size u16 (granules; VA: bytes), Flags, SmallTagIndex
**  (= Size lo ^ Size hi ^ Flags), PreviousSize u16, SegmentOffset, UnusedBytes.  The first six
**  bytes are XOR-ed with the heap's Encoding (§3.2); SegmentOffset and UnusedBytes are plain.
**
** The heap is "filled" rather than simulated: segments and their committed ranges are laid out
** as the allocation stream reaches them, so 10 million blocks need no per-block memory.  The
** same code runs twice (planning pass without bytes, writing pass) and must decide identically.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap.h"

#define MAX_FREE_UNITS 0xFE00u
#define SEG_MAX 0xFF0000ull   /* SegmentOffset is a byte: ((entry - base) >> 16) + 1 <= 255 */

/* ---- LFH bucket table (mkdump's choice, README "Choices"): bucket b serves blocks of
** bucket_units(b) granules including the header; SizeIndex == b; for b <= 32 that is b + 1, which
** matches SizeIndex == BlockSize - 1 seen on real heaps (§6.3). */
u32 bucket_units(int b)
{
    if (b <= 32) return (u32)b + 1;
    if (b <= 48) return 33 + 2u * (u32)(b - 32);
    if (b <= 64) return 65 + 4u * (u32)(b - 48);
    if (b <= 80) return 129 + 8u * (u32)(b - 64);
    if (b <= 96) return 257 + 16u * (u32)(b - 80);
    if (b <= 112) return 513 + 32u * (u32)(b - 96);
    return 1025 + 64u * (u32)(b - 112);
}

int bucket_max(int gran) { return gran == 16 ? 112 : 127; }   /* ~16 KB blocks at most */

int bucket_of_units(u32 units, int gran)
{
    int b;
    for (b = 1; b <= bucket_max(gran); b++)
        if (bucket_units(b) >= units) return b;
    return 0;
}

/* ---- headers ------------------------------------------------------------------------------------ */

static u8 checksum(u16 size, u8 flags) { return (u8)((size & 0xFF) ^ (size >> 8) ^ flags); }

/* Write an encoded back-end header body at the entry address E. */
static void put_header(hstate *h, u64 e, u16 size, u8 flags, u16 prev, u8 segoff, u8 ub, int plain_prev)
{
    u8 b[8];
    u32 d = (u32)size | (u32)flags << 16 | (u32)checksum(size, flags) << 24;
    put32(b, d ^ h->key);
    put16(b + 4, plain_prev ? prev : (u16)(prev ^ h->key_ps));
    b[6] = segoff;
    b[7] = ub;
    vm_write(h->g->m, e + (h->ptr == 8 ? 8 : 0), b, 8);
}

static u8 seg_offset(hstate *h, u64 e)
{
    const seg *s = &h->segs.v[h->cur];
    if (s->base == h->base) return 0;
    return (u8)(((e - s->base) >> 16) + 1);
}

u64 hs_cur_seg(hstate *h) { return h->segs.v[h->cur].base; }

u64 hs_seg_base(hstate *h, u64 addr)
{
    size_t i;
    for (i = h->segs.n; i-- > 0;)
        if (addr >= h->segs.v[i].base && addr < h->segs.v[i].lve) return h->segs.v[i].base;
    return 0;
}

u32 hs_units_for(hstate *h, u64 request)
{
    u64 round = h->ptr == 8 ? 0x1F : 0xF;
    return (u32)(((request + round) & ~(u64)(h->gran - 1)) / (u64)h->gran);
}

/* ---- corruption plans --------------------------------------------------------------------------- */

static cplan *plan_at(hstate *h, int kind, u64 addr)
{
    size_t i;
    for (i = 0; i < h->cp.n; i++)
        if (h->cp.v[i].kind == kind && h->cp.v[i].addr == addr) return &h->cp.v[i];
    return NULL;
}

/* Is [a, a+n) partly left out of the dump by a truncated-range / missing-memory plan? */
static int missing(hstate *h, u64 a, u64 n)
{
    size_t i;
    for (i = 0; i < h->cp.n; i++) {
        cplan *c = &h->cp.v[i];
        if (c->kind != CK_TRUNCATED_RANGE && c->kind != CK_MISSING_MEMORY) continue;
        if (!c->end) continue;
        if (a < c->end && a + n > c->addr) return 1;
    }
    return 0;
}

static const char *KIND[] = {"backend", "lfh", "virtual", "pageheap", "internal"};

void hs_block_json(hstate *h, u64 addr, u64 user, u64 size, u64 usize, int busy, int kind, int rs, u64 segbase,
                   const char *extra_key, u64 extra_val)
{
    json *j = h->g->j;
    size_t i;
    if (!h->g->live) return;
    h->g->nblocks++;
    j_obj(j, NULL);
    j_hex(j, "address", addr);
    j_hex(j, "user_address", user);
    j_uint(j, "size", size);
    j_uint(j, "user_size", usize);
    j_str(j, "state", busy ? "busy" : "free");
    j_str(j, "kind", KIND[kind]);
    json_stack(h->g, rs);
    if (segbase) j_hex(j, "segment", segbase);
    if (extra_key) j_hex(j, extra_key, extra_val);
    for (i = 0; i < h->cp.n; i++) {
        cplan *c = &h->cp.v[i];
        if ((c->kind == CK_BAD_CHECKSUM && c->addr == addr) || (c->kind == CK_BROKEN_LINK && c->aux == addr) ||
            (c->kind == CK_CYCLIC_LIST && c->aux == addr))
            j_str(j, "corrupt", corrupt_name(c->kind));
    }
    if (missing(h, addr, size)) j_bool(j, "captured", 0);
    j_end(j, 1);
}

/* ---- segments and ranges ------------------------------------------------------------------------- */

static void emit_free_run(hstate *h, u64 a, u64 bytes);

static void flush_pending(hstate *h)
{
    if (h->pend_size) emit_free_run(h, h->pend_addr, h->pend_size);
    h->pend_size = 0;
}

static void add_free(hstate *h, u64 a, u64 bytes)
{
    if (!bytes) return;
    if (h->pend_size && h->pend_addr + h->pend_size == a) {
        h->pend_size += bytes;
        return;
    }
    flush_pending(h);
    h->pend_addr = a;
    h->pend_size = bytes;
}

/* A free back-end block (§2.6 `_HEAP_FREE_ENTRY`: header + LIST_ENTRY at +gran). */
static void emit_free(hstate *h, u64 a, u32 units)
{
    fblk f;
    put_header(h, a, (u16)units, 0, (u16)h->prev_units, seg_offset(h, a), 0, 0);
    h->prev_units = units;
    f.addr = a;
    f.units = units;
    VPUSH(h->frees, f);
    h->free_blocks++;
    h->free_units += units;
    if (!h->pick_free[0] || h->free_blocks <= h->want_free) h->pick_free[0] = a;
    hs_block_json(h, a, a + (u64)h->gran, (u64)units * (u64)h->gran, (u64)(units - 1) * (u64)h->gran, 0, BK_BACKEND,
                  -1, h->segs.v[h->cur].base, NULL, 0);
}

static void emit_free_run(hstate *h, u64 a, u64 bytes)
{
    u64 g = (u64)h->gran, max = (u64)MAX_FREE_UNITS * g;
    while (bytes) {
        u64 n = bytes > max ? max : bytes;
        if (bytes - n && bytes - n < 2 * g) n -= 2 * g;   /* never leave a 1-granule tail */
        emit_free(h, a, (u32)(n / g));
        a += n;
        bytes -= n;
    }
}

/* Busy back-end block at the cursor position. */
static void emit_busy(hstate *h, u64 a, u32 units, u8 flags, u8 ub)
{
    put_header(h, a, (u16)units, flags, (u16)h->prev_units, seg_offset(h, a), ub, 0);
    h->prev_units = units;
}

static u64 ucr_block(hstate *h, u64 commit_end)
{
    u64 a = commit_end - 4 * (u64)h->gran;
    emit_busy(h, a, 4, HF_BUSY, 0x03);
    h->internal_blocks++;
    hs_block_json(h, a, a + (u64)h->gran, 4 * (u64)h->gran, 3 * (u64)h->gran, 1, BK_INTERNAL, -1, h->segs.v[h->cur].base, NULL, 0);
    return a + (u64)h->gran;
}

/* Close the current committed range at commit_end (page aligned); the UCR that follows runs to
** next_start (== commit_end for none, LastValidEntry at the segment end). */
static void close_range(hstate *h, u64 commit_end, u64 next_start)
{
    seg *s = &h->segs.v[h->cur];
    ucr u;
    u64 g4 = 4 * (u64)h->gran;
    add_free(h, h->pos, commit_end - g4 - h->pos);
    flush_pending(h);
    u.desc = ucr_block(h, commit_end);
    u.addr = commit_end;
    u.size = next_start - commit_end;
    u.seg = h->cur;
    VPUSH(h->ucrs, u);
    s->nucr++;
    s->uc_bytes += u.size;
    VPUSH(s->ranges, h->range_start);
    VPUSH(s->ranges, commit_end);
    s->committed += commit_end - h->range_start;
    h->pos = next_start;
    h->range_start = next_start;
    h->prev_units = 0;
}

/* The committed end a range would get if closed now (avoiding a 1-granule free tail). */
static u64 natural_end(hstate *h, u64 limit)
{
    u64 g = (u64)h->gran, e = ALIGN_UP(h->pos + 4 * g, PAGE);
    if (e - 4 * g - h->pos == g && e + PAGE <= limit) e += PAGE;
    if (e > limit) e = limit;
    return e;
}

static void seg_header_fields(hstate *h, const seg *s);

static u64 next_reserve(hstate *h, u64 need)
{
    u64 r = 0x100000;
    if (h->segs.n) {
        const seg *last = &h->segs.v[h->segs.n - 1];
        r = 2 * (last->lve - last->base);
    }
    if (r > SEG_MAX) r = SEG_MAX;
    if (r < need) r = ALIGN_UP(need, ALLOC_GRAN);
    return r;
}

/* Start a new segment (not the heap's own). */
static void new_segment(hstate *h, u64 base, u64 reserve, u64 commit)
{
    seg s;
    u64 hdr = (u64)h->hl->seg_size;
    memset(&s, 0, sizeof s);
    if (!base) {
        base = gen_reserve(h->g, reserve, ALLOC_GRAN);
    }
    s.base = base;
    s.lve = base + reserve;
    s.first = base + hdr;
    VPUSH(h->segs, s);
    h->cur = (int)h->segs.n - 1;
    h->pos = base;
    h->range_start = base;
    h->prev_units = 0;
    h->fixed_commit = commit ? base + commit : 0;
    h->range_target = 0;
    if (!commit && h->hs->ucr_gaps > 0)
        h->range_target = base + ALIGN_UP(rng_range(&h->r, 1, (reserve / PAGE) / (u64)(h->hs->ucr_gaps + 2)) * PAGE, PAGE);
    /* the segment-header block (§2.1: busy, sizeof(_HEAP_SEGMENT)) */
    emit_busy(h, base, (u32)(hdr / (u64)h->gran), HF_BUSY, 0x01);
    h->internal_blocks++;
    hs_block_json(h, base, base + (u64)h->gran, hdr, hdr - (u64)h->gran, 1, BK_INTERNAL, -1, base, NULL, 0);
    h->pos = base + hdr;
}

/* Make room for a block of BYTES at the cursor; returns its address. */
static u64 place(hstate *h, u64 bytes)
{
    u64 g = (u64)h->gran, g4 = 4 * g;
    for (;;) {
        seg *s = &h->segs.v[h->cur];
        u64 limit = h->fixed_commit ? h->fixed_commit : s->lve;
        u64 after = h->pos + bytes;
        /* a planned UCR gap in a growing segment */
        if (!h->fixed_commit && h->range_target && h->pos >= h->range_target) {
            u64 e = natural_end(h, s->lve), gap = PAGE * rng_range(&h->r, 1, 8);
            h->range_target = 0;
            if (e + gap + 2 * PAGE < s->lve) {
                close_range(h, e, e + gap);
                h->range_target = h->pos + ALIGN_UP(rng_range(&h->r, 1, ((s->lve - h->pos) / PAGE) / 2 + 1) * PAGE, PAGE);
                continue;
            }
        }
        if (after + g4 <= limit && limit - g4 - after != g) return h->pos;
        /* does not fit: close this segment's range, go to the next segment */
        if (h->fixed_commit) close_range(h, h->fixed_commit, s->lve);
        else close_range(h, s->lve, s->lve);
        {
            size_t i = h->segs.n;   /* explicit segments of the scenario first */
            if (i < h->hs->segments.n) {
                segment_spec *ss = &h->hs->segments.v[i];
                new_segment(h, ss->base, ss->reserve, ss->commit);
            } else {
                new_segment(h, 0, next_reserve(h, bytes + (u64)h->hl->seg_size + 2 * PAGE), 0);
            }
        }
    }
}

/* An internal busy block (heap metadata): returns its user pointer. */
u64 hs_alloc_internal(hstate *h, u64 request, u8 flags, u8 unused_marker, const char *what)
{
    u32 units = hs_units_for(h, request);
    u64 bytes = (u64)units * (u64)h->gran, a;
    u8 ub = unused_marker;
    (void)what;
    flush_pending(h);
    a = place(h, bytes);
    if (!ub) {
        u64 unused = bytes - request;
        ub = unused >= 0x3F ? 0x3F : (u8)unused;
        if (ub == 0x3F) {
            if (h->ptr == 8) w64(h->g->m, a + bytes, unused);
            else w32(h->g->m, a + bytes - 4, (u32)unused);
        }
    }
    emit_busy(h, a, units, flags, ub);
    h->pos = a + bytes;
    h->internal_blocks++;
    hs_block_json(h, a, a + (u64)h->gran, bytes, unused_marker ? bytes - (u64)h->gran : request, 1, BK_INTERNAL, -1,
                  h->segs.v[h->cur].base, NULL, 0);
    return a + (u64)h->gran;
}

/* ---- allocations --------------------------------------------------------------------------------- */

/* §7.2: record pointer at H+gran, extended header at H+2*gran (InterceptorValue 1,
** UnusedBytesLength, EntryOffset 2, ExtendedBlockSignature 5); user data at H+3*gran. */
void hs_write_prefix(hstate *h, u64 hdr, int rs, u16 unused_len)
{
    vm *m = h->g->m;
    u64 ext = hdr + 2 * (u64)h->gran + (h->ptr == 8 ? 8 : 0);
    wptr(m, h->ptr, hdr + (u64)h->gran, rs >= 0 ? ust_record(h->g, rs) : 0);
    w32(m, ext, 1);
    w16(m, ext + 4, unused_len);
    w8(m, ext + 6, 2);
    w8(m, ext + 7, 5);
}

static void backend_alloc(hstate *h, u64 req, int rs, int freed, int extra)
{
    u64 g = (u64)h->gran, prefix = h->ust_prefix ? 2 * g : 0, a, bytes, unused;
    u32 units;
    u8 flags = HF_BUSY, ub;
    int classic = h->ust_classic && rs >= 0;
    if (extra || classic) flags |= HF_EXTRA;
    units = hs_units_for(h, req + prefix) + ((flags & HF_EXTRA) ? 1u : 0u);
    bytes = (u64)units * g;
    if (freed) {
        a = place(h, bytes);
        add_free(h, a, bytes);
        h->pos = a + bytes;
        return;
    }
    flush_pending(h);
    a = place(h, bytes);
    unused = bytes - req;
    if (prefix) {
        ub = 0x42;
        hs_write_prefix(h, a, rs, (u16)unused);
    } else if (unused >= 0x3F) {
        ub = 0x3F;
        if (h->ptr == 8) w64(h->g->m, a + bytes, unused);
        else w32(h->g->m, a + bytes - 4, (u32)unused);
    } else {
        ub = (u8)unused;
    }
    if (flags & HF_EXTRA) {   /* §3.6: `_HEAP_ENTRY_EXTRA` in the last granule */
        u64 x = a + bytes - g;
        u32 idx = classic ? std_index(h->g, rs, NULL) : 0;
        w16(h->g->m, x, (u16)idx);
        wptr(h->g->m, h->ptr, x + (h->ptr == 8 ? 8 : 4), extra ? 0x5E77AB1Eu : 0);
    }
    {
        cplan *c = plan_at(h, CK_BAD_CHECKSUM, a);
        emit_busy(h, a, units, flags, ub);
        if (c && h->g->live) {   /* damage the checksum byte (SmallTagIndex, encoded) */
            u64 at = a + (h->ptr == 8 ? 8 : 0) + 3;
            u8 b;
            vm_read(h->g->m, at, &b, 1);
            w8(h->g->m, at, (u8)(b ^ 0x5A));
        }
    }
    h->pos = a + bytes;
    h->busy_blocks++;
    h->nbackend++;
    if (!h->pick_busy || h->nbackend <= h->want_busy) h->pick_busy = a;
    h->busy_user += req;
    h->busy_bytes += bytes;
    if (rs >= 0) {
        h->g->rst.v[rs].blocks++;
        h->g->rst.v[rs].bytes += req;
    }
    hs_block_json(h, a, a + g + prefix, bytes, req, 1, BK_BACKEND, (h->ust_prefix || classic) ? rs : -1,
                  h->segs.v[h->cur].base, NULL, 0);
}

/* §5: a VirtualAlloc'd block. */
void hs_va_alloc(hstate *h, u64 req, int rs, int internal, u64 *user_out)
{
    gen *g = h->g;
    vm *m = g->m;
    int x64 = h->ptr == 8;
    u64 gran = (u64)h->gran, vahdr = x64 ? 0x40 : 0x20, prefix = (h->ust_prefix && !internal) ? 2 * gran : 0;
    u64 s = ((req + prefix) + (x64 ? 0x1F : 0xF)) & ~(gran - 1);
    u64 commit = ALIGN_UP(s + (x64 ? 0x38 : 0x18), PAGE), off = 0, reserve, rbase, e, size;
    u8 flags = internal ? (HF_BUSY | HF_EXTRA | HF_INTERNAL) : (HF_BUSY | HF_EXTRA);
    u8 b[8];
    if (g->lo->win10) off = PAGE * rng_range(&h->r, 0, 15);   /* §5.2 start randomised 0–15 pages */
    reserve = g->lo->win10 ? ALIGN_UP(off + commit, ALLOC_GRAN) - off : commit;
    rbase = gen_reserve(g, off + reserve, ALLOC_GRAN);
    e = rbase + off;
    if (off) vm_region(m, rbase, off, rbase, MEM_RESERVE, 0, MEM_PRIVATE, U_HEAP);
    vm_region(m, e, commit, rbase, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_HEAP);
    if (reserve > commit) vm_region(m, e + commit, reserve - commit, rbase, MEM_RESERVE, 0, MEM_PRIVATE, U_HEAP);
    size = commit - req;
    if (size > 0xFFFF) die("internal: VA slack 0x%llx", (unsigned long long)size);
    /* ExtraStuff.AllocatorBackTraceIndex: the classic database index under +ust (§5.2) */
    if (rs >= 0 && h->capture) w16(m, e + (x64 ? 0x10 : 0x08), (u16)std_index(g, rs, NULL));
    wptr(m, h->ptr, e + (x64 ? 0x20 : 0x10), commit);
    wptr(m, h->ptr, e + (x64 ? 0x28 : 0x14), reserve);
    put32(b, ((u32)size | (u32)flags << 16 | (u32)checksum((u16)size, flags) << 24) ^ h->key);
    put16(b + 4, 0);                          /* PreviousSize stored raw 0 (§3.2) */
    b[6] = (u8)(prefix / gran);               /* SegmentOffset = prefix / gran (§5.2) */
    b[7] = 4;                                 /* UnusedBytes 4: VirtualAlloc block (§3.4) */
    vm_write(m, e + (x64 ? 0x38 : 0x18), b, 8);
    if (prefix) hs_write_prefix(h, e + vahdr - gran, rs, (u16)size);
    VPUSH(h->va, e);
    h->va_blocks++;
    h->va_bytes += commit;
    if (h->va.n == 1) h->va_first_commit = commit;
    if (internal) {
        h->internal_blocks++;
    } else {
        h->busy_blocks++;
        h->busy_user += req;
        h->busy_bytes += commit;
        if (rs >= 0) {
            g->rst.v[rs].blocks++;
            g->rst.v[rs].bytes += req;
        }
    }
    if (user_out) *user_out = e + vahdr + prefix;
    if (g->live) {
        json *j = g->j;
        u64 addr = e + vahdr - gran;
        g->nblocks++;
        size_t i;
        j_obj(j, NULL);
        j_hex(j, "address", addr);
        j_hex(j, "user_address", e + vahdr + prefix);
        j_uint(j, "size", commit);
        j_uint(j, "user_size", req);
        j_str(j, "state", "busy");
        j_str(j, "kind", internal ? "internal" : "virtual");
        json_stack(g, (h->ust_prefix || h->capture) && !internal ? rs : -1);
        j_hex(j, "va_entry", e);
        j_uint(j, "commit_size", commit);
        j_uint(j, "reserve_size", reserve);
        for (i = 0; i < h->cp.n; i++)
            if (h->cp.v[i].kind == CK_CYCLIC_LIST && h->cp.v[i].aux == e) j_str(j, "corrupt", "cyclic-list");
        if (missing(h, e, commit)) j_bool(j, "captured", 0);
        j_end(j, 1);
    }
}

/* ---- the heap ------------------------------------------------------------------------------------ */

static u64 lookup_size(int ptr) { return ptr == 8 ? 0x38 : 0x24; }

static void write_lookup(hstate *h, u64 lk, u64 ext, u32 array, u32 base_index, u64 bitmap, u64 hints)
{
    vm *m = h->g->m;
    int p = h->ptr;
    u32 i, items = 0, out = 0;
    u64 head = h->base + h->hl->free_lists;
    size_t k;
    u32 *first = xcalloc(array, sizeof(u32));   /* index+1 into frees of the first block per slot */
    u32 *bits = xcalloc(array / 32 + 1, sizeof(u32));
    /* frees are sorted by (units, addr) here */
    for (k = 0; k < h->frees.n; k++) {
        u32 u = h->frees.v[k].units, slot;
        if (u < base_index) continue;
        if (u >= base_index + array) out++;
        slot = u - base_index >= array ? array - 1 : u - base_index;
        if (!first[slot]) first[slot] = (u32)k + 1;
        items++;
    }
    wptr(m, p, lk, ext);
    w32(m, lk + (p == 8 ? 0x08 : 0x04), array);
    w32(m, lk + (p == 8 ? 0x0C : 0x08), 1);
    w32(m, lk + (p == 8 ? 0x10 : 0x0C), items);
    w32(m, lk + (p == 8 ? 0x14 : 0x10), out);
    w32(m, lk + (p == 8 ? 0x18 : 0x14), base_index);
    wptr(m, p, lk + (p == 8 ? 0x20 : 0x18), head);
    wptr(m, p, lk + (p == 8 ? 0x28 : 0x1C), bitmap);
    wptr(m, p, lk + (p == 8 ? 0x30 : 0x20), hints);
    for (i = 0; i < array; i++) {
        u64 flink = first[i] ? h->frees.v[first[i] - 1].addr + (u64)h->gran : 0, blink = 0;
        if (flink) bits[i / 32] |= 1u << (i % 32);
        if (h->lfh && base_index == 0 && i >= 1 && i - 1 < 129 && h->bk[i - 1].subsegs)
            blink = h->lfh + h->hl->lfh->buckets + 4 * (u64)(i - 1) + 1;   /* §2.6: &Buckets[i-1] | 1 */
        if (flink || blink) {
            wptr(m, p, hints + (u64)i * (u64)(2 * p), flink);
            wptr(m, p, hints + (u64)i * (u64)(2 * p) + (u64)p, blink);
        }
    }
    for (i = 0; i < array / 32; i++)
        if (bits[i]) w32(m, bitmap + 4 * (u64)i, bits[i]);
    free(first);
    free(bits);
}

static int cmp_free(const void *a, const void *b)
{
    const fblk *x = a, *y = b;
    if (x->units != y->units) return x->units < y->units ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Link the free blocks on FreeLists in size order (§2.6).  Written in address order (the
** blocks were generated in that order) so that the chunk cache is walked sequentially. */
static void link_free_lists(hstate *h)
{
    vm *m = h->g->m;
    size_t n = h->frees.n, i;
    u64 head = h->base + h->hl->free_lists, gr = (u64)h->gran;
    size_t *rank;
    fblk *byaddr;
    int p = h->ptr;
    if (!n) {
        wptr(m, p, head, head);
        wptr(m, p, head + (u64)p, head);
        return;
    }
    byaddr = xmalloc(n * sizeof(fblk));
    memcpy(byaddr, h->frees.v, n * sizeof(fblk));
    qsort(h->frees.v, n, sizeof(fblk), cmp_free);   /* n > 0 here */
    /* rank of each address-ordered block in the size order: binary search */
    rank = xmalloc(n * sizeof(size_t));
    for (i = 0; i < n; i++) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cmp_free(&h->frees.v[mid], &byaddr[i]) < 0) lo = mid + 1;
            else hi = mid;
        }
        rank[i] = lo;
    }
    for (i = 0; i < n; i++) {
        size_t r = rank[i];
        u64 self = byaddr[i].addr + gr;
        u64 fl = r + 1 < n ? h->frees.v[r + 1].addr + gr : head;
        u64 bl = r > 0 ? h->frees.v[r - 1].addr + gr : head;
        cplan *c;
        for (c = h->cp.v; c < h->cp.v + h->cp.n; c++) {
            if (c->kind == CK_BROKEN_LINK && c->aux == byaddr[i].addr) fl = p == 8 ? 0x4141414141414140ull : 0x41414140u;
            if (c->kind == CK_CYCLIC_LIST && c->aux == byaddr[i].addr) fl = h->frees.v[0].addr + gr;
        }
        wptr(m, p, self, fl);
        wptr(m, p, self + (u64)p, bl);
    }
    wptr(m, p, head, h->frees.v[0].addr + gr);
    wptr(m, p, head + (u64)p, h->frees.v[n - 1].addr + gr);
    free(rank);
    free(byaddr);
}

void hs_link_list(hstate *h, u64 head, const u64 *e, size_t n, size_t off)
{
    vm *m = h->g->m;
    int p = h->ptr;
    size_t i;
    if (!n) {
        wptr(m, p, head, head);
        wptr(m, p, head + (u64)p, head);
        return;
    }
    wptr(m, p, head, e[0] + off);
    wptr(m, p, head + (u64)p, e[n - 1] + off);
    for (i = 0; i < n; i++) {
        wptr(m, p, e[i] + off, i + 1 < n ? e[i + 1] + off : head);
        wptr(m, p, e[i] + off + (u64)p, i ? e[i - 1] + off : head);
    }
}

static void seg_header_fields(hstate *h, const seg *s)
{
    vm *m = h->g->m;
    const heap_layout *hl = h->hl;
    int p = h->ptr;
    u64 b = s->base;
    w32(m, b + hl->seg_signature, 0xFFEEFFEEu);
    w32(m, b + hl->seg_flags, b == h->base ? 0 : 0);
    wptr(m, p, b + hl->seg_heap, h->base);
    wptr(m, p, b + hl->seg_base, b);
    w32(m, b + hl->seg_pages, (u32)((s->lve - b) / PAGE));
    wptr(m, p, b + hl->seg_first, s->first);
    wptr(m, p, b + hl->seg_last_valid, s->lve);
    w32(m, b + hl->seg_uc_pages, (u32)(s->uc_bytes / PAGE));
    w32(m, b + hl->seg_uc_ranges, s->nucr);
}

static void finish_heap(hstate *h)
{
    gen *g = h->g;
    vm *m = g->m;
    const heap_layout *hl = h->hl;
    int p = h->ptr;
    u64 b = h->base;
    size_t i, k;
    u64 *list = xmalloc((h->segs.n + h->ucrs.n + h->va.n + 1) * sizeof(u64));
    u64 *bases = xmalloc((h->segs.n + 1) * sizeof(u64));
    /* segments: header fields, SegmentList, UCRSegmentList, regions */
    for (i = 0; i < h->segs.n; i++) {
        seg *s = &h->segs.v[i];
        size_t n = 0;
        seg_header_fields(h, s);
        for (k = 0; k < h->ucrs.n; k++)
            if (h->ucrs.v[k].seg == (int)i) list[n++] = h->ucrs.v[k].desc;
        hs_link_list(h, s->base + hl->seg_ucr_list, list, n, (size_t)(2 * p));
        h->reserved += s->lve - s->base;
        h->committed += s->committed;
        h->ucr_total += s->nucr;
        for (k = 0; k < s->ranges.n; k += 2) {
            u64 r0 = s->ranges.v[k], r1 = s->ranges.v[k + 1];
            u64 next = k + 2 < s->ranges.n ? s->ranges.v[k + 2] : s->lve;
            vm_region(m, r0, r1 - r0, s->base, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE, U_HEAP);
            if (next > r1) vm_region(m, r1, next - r1, s->base, MEM_RESERVE, 0, MEM_PRIVATE, U_HEAP);
        }
        bases[i] = s->base;
    }
    hs_link_list(h, b + hl->segment_list, bases, h->segs.n, hl->seg_list_entry);
    free(bases);
    /* UCR descriptors (§4.1): ListEntry on _HEAP.UCRList (non-empty ones), SegmentEntry, Address, Size */
    {
        size_t n = 0;
        for (k = 0; k < h->ucrs.n; k++) {
            ucr *u = &h->ucrs.v[k];
            wptr(m, p, u->desc + (u64)(4 * p), u->addr);
            wptr(m, p, u->desc + (u64)(5 * p), u->size);
            if (u->size) list[n++] = u->desc;
            else {
                wptr(m, p, u->desc, u->desc);
                wptr(m, p, u->desc + (u64)p, u->desc);
            }
        }
        hs_link_list(h, b + hl->ucr_list, list, n, 0);
    }
    /* VirtualAllocdBlocks (§5.1), cyclic-list damage if planned */
    hs_link_list(h, b + hl->va_blocks, h->va.v, h->va.n, 0);
    for (k = 0; k < h->cp.n; k++)
        if (h->cp.v[k].kind == CK_CYCLIC_LIST && h->va.n && h->cp.v[k].aux == h->va.v[h->va.n - 1])
            wptr(m, p, h->va.v[h->va.n - 1], h->va.v[0]);
    free(list);
    /* free lists and the lookups */
    link_free_lists(h);
    {
        u64 lk0 = h->lookup[0], lk1 = h->lookup[1], ls = lookup_size(p);
        write_lookup(h, lk0, lk1, 0x80, 0, lk0 + ls, lk0 + ls + 0x10);
        if (lk1) write_lookup(h, lk1, 0, 0x800, 0x80, lk1 + ls, lk1 + ls + 0x100);
    }
    if (h->lfh) lfh_finish(h);
    /* `_HEAP` fields (§2.1–§2.5) */
    w32(m, b + hl->flags, h->ho->flags);
    w32(m, b + hl->force_flags, (h->ho->flags & 0x6001007Du) | (h->ho->pageheap ? 0x01000000u : 0));
    w32(m, b + hl->encode_flag_mask, 0x00100000u);
    w32(m, b + hl->key, h->key);
    w16(m, b + hl->key + 4, h->key_ps);
    if (hl->pointer_key) wptr(m, p, b + hl->pointer_key, h->pointer_key);
    w32(m, b + hl->interceptor, h->ust_prefix ? 1 : 0);
    w32(m, b + hl->vm_threshold, p == 8 ? 0xFF00 : 0xFE00);
    w32(m, b + hl->signature, 0xEEFFEEFFu);
    wptr(m, p, b + hl->segment_reserve, 0x100000);
    wptr(m, p, b + hl->segment_commit, 0x2000);
    wptr(m, p, b + hl->decommit_free_block, p == 8 ? 0x100 : 0x200);
    wptr(m, p, b + hl->decommit_total_free, p == 8 ? 0x1000 : 0x2000);
    wptr(m, p, b + hl->total_free_size, h->free_units);
    wptr(m, p, b + hl->max_alloc, p == 8 ? 0x7FFFFFDEFFFull : 0x7FFDEFFFull);
    w16(m, b + hl->heaps_index, (u16)h->ho->index);
    w16(m, b + hl->validate_len, (u16)hl->heap_size);
    wptr(m, p, b + hl->align_round, p == 8 ? 0x1F : 0xF);
    wptr(m, p, b + hl->align_mask, p == 8 ? ~(u64)0xF : 0xFFFFFFF8u);
    wptr(m, p, b + hl->blocks_index, h->lookup[0]);
    wptr(m, p, b + hl->ucr_index, h->ucr_index);
    wptr(m, p, b + hl->lock_variable, b + hl->heap_size);
    w32(m, b + hl->heap_size + (p == 8 ? 8 : 4), 0xFFFFFFFFu);   /* CRITICAL_SECTION.LockCount -1 */
    wptr(m, p, b + hl->commit_routine, hl->pointer_key ? h->pointer_key : g->heap_key[W(h->bits)]);
    w32(m, b + hl->tuning, 4);
    wptr(m, p, b + hl->tuning + (u64)p, 0xFE000);
    /* counters (§2.5) */
    {
        u64 c = b + hl->counters;
        u32 nseg = (u32)h->segs.n, nranges = 0;
        for (i = 0; i < h->segs.n; i++) nranges += (u32)(h->segs.v[i].ranges.n / 2);
        wptr(m, p, c + hl->c_reserved, h->reserved);
        wptr(m, p, c + hl->c_committed, h->committed);
        wptr(m, p, c + hl->c_large_ucr, 0);
        wptr(m, p, c + hl->c_virtual, h->va_bytes);
        w32(m, c + hl->c_segments, nseg);
        w32(m, c + hl->c_ucrs, (u32)h->ucr_total);
        w32(m, c + hl->c_commit_ops, nranges);
        w32(m, c + hl->c_decommit_ops, nranges - nseg);
        w32(m, c + hl->c_lock_acquires, (u32)h->ops);
        w32(m, c + hl->c_alloc_free_ops, (u32)h->ops);
        if (hl->c_high_watermark) wptr(m, p, c + hl->c_high_watermark, h->committed);
        if (hl->c_last_polled) wptr(m, p, c + hl->c_last_polled, h->committed);
    }
}

static void json_heap_tail(hstate *h)
{
    gen *g = h->g;
    json *j = g->j;
    size_t i, k;
    if (!g->live) return;
    j_end(j, 0);   /* blocks */
    j_arr(j, "segments");
    for (i = 0; i < h->segs.n; i++) {
        seg *s = &h->segs.v[i];
        j_obj(j, NULL);
        j_hex(j, "base", s->base);
        j_uint(j, "reserved", s->lve - s->base);
        j_uint(j, "committed", s->committed);
        j_hex(j, "first_entry", s->first);
        j_hex(j, "last_valid_entry", s->lve);
        j_arr(j, "ucrs");
        for (k = 0; k < h->ucrs.n; k++)
            if (h->ucrs.v[k].seg == (int)i) {
                j_obj(j, NULL);
                j_hex(j, "address", h->ucrs.v[k].addr);
                j_uint(j, "size", h->ucrs.v[k].size);
                j_hex(j, "descriptor", h->ucrs.v[k].desc);
                j_end(j, 1);
            }
        j_end(j, 0);
        j_end(j, 1);
    }
    j_end(j, 0);
    j_hex(j, "encoding_key", (u64)h->key | (u64)h->key_ps << 32);
    if (h->lfh) {
        j_hex(j, "lfh_key", g->lfh_key[W(h->bits)]);
        j_hex(j, "front_end_heap", h->lfh);
    }
    if (h->hl->pointer_key) j_hex(j, "pointer_key", h->pointer_key);
    j_uint(j, "front_end_type", h->lfh ? 2 : 0);
    j_obj(j, "totals");
    j_uint(j, "busy_blocks", h->busy_blocks);
    j_uint(j, "busy_user_bytes", h->busy_user);
    j_uint(j, "busy_block_bytes", h->busy_bytes);
    j_uint(j, "free_blocks", h->free_blocks);
    j_uint(j, "free_bytes", h->free_units * (u64)h->gran);
    j_uint(j, "lfh_blocks", h->lfh_blocks);
    j_uint(j, "lfh_free_blocks", h->lfh_free);
    j_uint(j, "virtual_blocks", h->va_blocks);
    j_uint(j, "virtual_bytes", h->va_bytes);
    j_uint(j, "internal_blocks", h->internal_blocks);
    j_uint(j, "reserved", h->reserved);
    j_uint(j, "committed", h->committed);
    j_uint(j, "segments", h->segs.n);
    j_uint(j, "ucrs", h->ucr_total);
    j_end(j, 1);
    j_end(j, 1);   /* heap */
}

/* The allocation stream: weighted interleaving of the heap's alloc lines. */
static void run_allocs(hstate *h, int hi)
{
    gen *g = h->g;
    scenario *sc = g->sc;
    size_t i, n = sc->allocs.n;
    u64 *rem = xcalloc(n + 1, sizeof(u64)), total = 0;
    int *lfh = xcalloc(n + 1, sizeof(int)), *rs = xcalloc(n + 1, sizeof(int));
    u64 vmax = (u64)(h->ptr == 8 ? 0xFF00 : 0xFE00) * (u64)h->gran;
    for (i = 0; i < n; i++) {
        alloc_spec *as = &sc->allocs.v[i];
        rs[i] = -1;
        if (as->heap != hi) continue;
        rem[i] = as->count;
        total += as->count;
        rs[i] = gen_stack(g, as->stack, h->bits);
        lfh[i] = 0;
        if (h->lfh && as->lfh != 0 && as->smax <= vmax) {
            u32 u = hs_units_for(h, as->smax + (h->ust_prefix ? 2 * (u64)h->gran : 0));
            if (bucket_of_units(u, h->gran) && (as->lfh == 1 || as->count >= 18)) lfh[i] = 1;
        }
    }
    while (total) {
        u64 pick = rng_range(&h->r, 0, total - 1), before;
        alloc_spec *as;
        for (i = 0; i < n; i++) {
            if (pick < rem[i]) break;
            pick -= rem[i];
        }
        as = &sc->allocs.v[i];
        before = rem[i];
        if (lfh[i]) {
            lfh_container(h, as, rs[i], &rem[i]);
        } else {
            u64 req = rng_range(&h->r, as->smin, as->smax);
            int freed = as->free_frac > 0 && rng_unit(&h->r) < as->free_frac;
            if (req > vmax) {
                if (!freed) hs_va_alloc(h, req, rs[i], 0, NULL);
            } else {
                backend_alloc(h, req, rs[i], freed, as->extra);
            }
            rem[i]--;
        }
        h->ops += before - rem[i];
        total -= before - rem[i];
    }
    free(rem);
    free(lfh);
    free(rs);
}

static void resolve_corruptions(hstate *h, int hi);
static void record_corruptions(hstate *h, int hi);

static void build_heap(gen *g, heap_out *ho, int hi)
{
    heap_spec *hs = &g->sc->heaps.v[hi];
    hstate *h = xcalloc(1, sizeof *h);
    const heap_layout *hl = ho->hl;
    u64 g4, reserve, hdr_req, ls;
    size_t i;
    h->g = g;
    h->ho = ho;
    h->hs = hs;
    h->hl = hl;
    h->ptr = hl->ptr;
    h->gran = hl->gran;
    h->bits = ho->bits;
    rng_seed(&h->r, g->seed, 1000 + (u64)hi);
    h->key = (u32)rng_next(&h->r);
    h->key_ps = (u16)rng_range(&h->r, 1, 0xFFFF);
    h->pointer_key = rng_next(&h->r) & (h->ptr == 8 ? ~(u64)0 : 0xFFFFFFFFu);
    h->capture = (g->sc->gflags & FLG_USER_STACK_TRACE_DB) != 0;
    h->want_busy = h->want_free = 1;
    for (i = 0; i < g->sc->corrupts.n; i++)
        if (g->sc->corrupts.v[i].heap == hi) {
            if (g->sc->corrupts.v[i].kind == CK_BAD_CHECKSUM) h->want_busy = g->sc->corrupts.v[i].nth;
            if (g->sc->corrupts.v[i].kind == CK_BROKEN_LINK) h->want_free = g->sc->corrupts.v[i].nth;
        }
    h->ust_prefix = h->capture && !g->sc->ust_classic;
    h->ust_classic = h->capture && g->sc->ust_classic;
    for (i = 0; i < g->sc->corrupts.n; i++) {
        corrupt_spec *cs = &g->sc->corrupts.v[i];
        cplan c;
        if (cs->heap != hi) continue;
        memset(&c, 0, sizeof c);
        c.kind = cs->kind;
        c.addr = cs->resolved_addr;
        c.end = cs->resolved_end;
        c.aux = cs->resolved_aux;
        VPUSH(h->cp, c);
    }
    g4 = 4 * (u64)h->gran;
    (void)g4;
    reserve = hs->reserve ? ALIGN_UP(hs->reserve, ALLOC_GRAN) : 0x100000;
    if (hs->segments.n) reserve = hs->segments.v[0].reserve;
    if (ho->pageheap) reserve = dph_reserve(g, hi);
    if (hs->segments.n) {
        h->base = hs->segments.v[0].base;   /* reserved by gen_heaps */
    } else if (hs->base) {
        if (!vm_reserve_at(g->m, hs->base, reserve)) die("heap %s: 0x%llx overlaps other memory", hs->name, (unsigned long long)hs->base);
        h->base = hs->base;
    } else {
        h->base = gen_reserve(g, reserve, ALLOC_GRAN);
    }
    ho->base = h->base;
    {
        seg s;
        memset(&s, 0, sizeof s);
        s.base = h->base;
        s.lve = h->base + (ho->pageheap ? PAGE : reserve);   /* page heap: the DPH root follows */
        VPUSH(h->segs, s);
    }
    h->cur = 0;
    h->pos = h->base;
    h->range_start = h->base;
    h->fixed_commit = hs->segments.n ? h->base + hs->segments.v[0].commit : 0;
    if (hs->ucr_gaps > 0 && !h->fixed_commit)
        h->range_target = h->base + PAGE * rng_range(&h->r, 4, (reserve / PAGE) / (u64)(hs->ucr_gaps + 2) + 4);
    if (g->live) {
        json *j = g->j;
        j_obj(j, NULL);
        j_str(j, "name", hs->name);
        j_hex(j, "address", h->base);
        j_str(j, "arch", h->bits == 64 ? "x64" : "x86");
        {   /* the layout name of the heap's own world: WoW64's 32-bit heaps are "win7-x86"… */
            char lname[64];
            const char *dash = strrchr(g->lo->name, '-');
            if (g->lo->wow64 && dash) snprintf(lname, sizeof lname, "%.*s-%s", (int)(dash - g->lo->name), g->lo->name, h->bits == 64 ? "x64" : "x86");
            else snprintf(lname, sizeof lname, "%s", g->lo->name);
            j_str(j, "layout", lname);
        }
        j_str(j, "heap_layout", hl->hv == HV_WIN7 ? "win7" : hl->hv == HV_WIN8 ? "win8" : hl->hv == HV_1607 ? "1607" : "1809");
        j_str(j, "kind", ho->pageheap ? "pageheap" : "nt");
        j_uint(j, "flags", ho->flags);
        j_uint(j, "force_flags", (ho->flags & 0x6001007Du) | (ho->pageheap ? 0x01000000u : 0));
        j_str(j, "found_in", ho->listed ? (h->bits == 64 ? "peb64" : "peb32") : "none");
        if (!ho->listed && g->lo->h24h2 && !hs->unlisted) j_str(j, "found_via", "descriptor-chain");
        if (ho->pageheap) j_hex(j, "dph_root", h->base + PAGE);
        if (hs->normal_of >= 0) j_str(j, "normal_heap_of", g->sc->heaps.v[hs->normal_of].name);
        j_uint(j, "process_heaps_index", (u64)ho->index);
        j_arr(j, "blocks");
    }
    /* header block: _HEAP, lock, first lookup (ArraySize 0x80), its bitmap, ListHints */
    ls = lookup_size(h->ptr);
    hdr_req = hl->heap_size + hl->lock_size + ls + 0x10 + 0x80 * 2 * (u64)h->ptr;
    {
        u32 units = (u32)(ALIGN_UP(hdr_req, (u64)h->gran) / (u64)h->gran);
        emit_busy(h, h->base, units, HF_BUSY, 0x01);
        h->internal_blocks++;
        hs_block_json(h, h->base, h->base + (u64)h->gran, (u64)units * (u64)h->gran, (u64)(units - 1) * (u64)h->gran, 1,
                      BK_INTERNAL, -1, h->base, NULL, 0);
        h->pos = h->base + (u64)units * (u64)h->gran;
        h->segs.v[0].first = h->pos;
        h->lookup[0] = h->base + hl->heap_size + hl->lock_size;
    }
    if (!ho->pageheap) {
        h->ucr_index = hs_alloc_internal(h, 0x20 * (u64)h->ptr, HF_BUSY, 0x01, "UCR index");
        h->lookup[1] = hs_alloc_internal(h, ls + 0x100 + 0x800 * 2 * (u64)h->ptr, HF_BUSY, 0x01, "extended lookup");
    }
    if (hs->lfh && !ho->pageheap) lfh_create(h);
    if (g->lo->h24h2 && h->bits == 64 && ho->process) {
        /* 24H2 (§1.4): descriptors {Next, Prev, Heap} from the process heap, one per NT heap */
        size_t nd = 0;
        for (i = 0; i < g->sc->heaps.n; i++)
            if (g->sc->heaps.v[i].bits == 64 && !g->sc->heaps.v[i].unlisted) nd++;
        for (i = 0; i < nd; i++) {
            u64 req = 3 * 8, u = hs_units_for(h, req), a;
            flush_pending(h);
            a = place(h, u * (u64)h->gran);
            emit_busy(h, a, (u32)u, HF_BUSY, (u8)(u * (u64)h->gran - req));
            h->pos = a + u * (u64)h->gran;
            h->busy_blocks++;
            h->busy_user += req;
            h->busy_bytes += u * (u64)h->gran;
            hs_block_json(h, a, a + (u64)h->gran, u * (u64)h->gran, req, 1, BK_BACKEND, -1, h->base, NULL, 0);
            VPUSH(h->descs, a + (u64)h->gran);
        }
    }
    if (!ho->pageheap) run_allocs(h, hi);
    /* close the last range; explicit segments not reached yet still get created */
    {
        seg *s = &h->segs.v[h->cur];
        if (h->fixed_commit) close_range(h, h->fixed_commit, s->lve);
        else {
            u64 e = natural_end(h, s->lve);
            close_range(h, e, s->lve);
        }
        while (h->segs.n < hs->segments.n) {
            segment_spec *ss = &hs->segments.v[h->segs.n];
            new_segment(h, ss->base, ss->reserve, ss->commit);
            close_range(h, h->fixed_commit, h->segs.v[h->cur].lve);
        }
    }
    if (ho->pageheap) dph_build(h, hi);
    finish_heap(h);
    if (!g->live) resolve_corruptions(h, hi);
    else record_corruptions(h, hi);
    json_heap_tail(h);
    /* keep what heaps_finish needs */
    ho->descs = h->descs.v;
    ho->ndescs = h->descs.n;
    h->descs.v = NULL;
    for (i = 0; i < h->segs.n; i++) VFREE(h->segs.v[i].ranges);
    VFREE(h->segs);
    VFREE(h->ucrs);
    VFREE(h->frees);
    VFREE(h->va);
    VFREE(h->zones);
    VFREE(h->cp);
    free(h);
}

/* Planning pass: turn each corruption line into an exact place (replayed by the writing pass).
** The address recorded is where a walker should report the damage (docs/manifest.md). */
static void resolve_corruptions(hstate *h, int hi)
{
    gen *g = h->g;
    size_t i;
    for (i = 0; i < g->sc->corrupts.n; i++) {
        corrupt_spec *cs = &g->sc->corrupts.v[i];
        if (cs->heap != hi) continue;
        cs->resolved_addr = cs->resolved_end = cs->resolved_aux = 0;
        switch (cs->kind) {
        case CK_BAD_CHECKSUM:
            if (!h->pick_busy) die("corrupt bad-checksum: heap %s has no busy back-end block", h->hs->name);
            cs->resolved_addr = h->pick_busy;
            break;
        case CK_BROKEN_LINK:
            if (!h->pick_free[0]) die("corrupt broken-link: heap %s has no free block", h->hs->name);
            cs->resolved_aux = h->pick_free[0];
            cs->resolved_addr = h->pick_free[0] + (u64)h->gran;
            break;
        case CK_CYCLIC_LIST:
            if (h->va.n) {
                cs->resolved_aux = cs->resolved_addr = h->va.v[h->va.n - 1];
            } else if (h->frees.n) {
                /* frees are sorted by size now: the last one's Flink goes back to the first */
                cs->resolved_aux = h->frees.v[h->frees.n - 1].addr;
                cs->resolved_addr = cs->resolved_aux + (u64)h->gran;
            } else {
                die("corrupt cyclic-list: heap %s has neither VirtualAlloc nor free blocks", h->hs->name);
            }
            break;
        case CK_TRUNCATED_RANGE: {
            seg *s = &h->segs.v[0];
            u64 r0 = s->ranges.v[s->ranges.n - 2], r1 = s->ranges.v[s->ranges.n - 1];
            u64 cut = ALIGN_DOWN(r0 + (r1 - r0) / 2, PAGE);
            if (cut <= r0) cut = r0 + PAGE;
            if (cut >= r1) die("corrupt truncated-range: heap %s's range is too small", h->hs->name);
            cs->resolved_addr = cut;
            cs->resolved_end = r1;
            vm_uncapture(g->m, cut, r1 - cut);
            break;
        }
        case CK_MISSING_MEMORY:
            if (h->va.n) {
                u64 e = h->va.v[0];
                cs->resolved_addr = e;
                cs->resolved_end = e + h->va_first_commit;
            } else if (h->segs.n > 1) {
                seg *s = &h->segs.v[h->segs.n - 1];
                cs->resolved_addr = s->base;
                cs->resolved_end = s->ranges.v[1];
            } else {
                die("corrupt missing-memory: heap %s has no VirtualAlloc block and one segment", h->hs->name);
            }
            vm_uncapture(g->m, cs->resolved_addr, cs->resolved_end - cs->resolved_addr);
            break;
        default:
            break;
        }
    }
}

/* Writing pass: the manifest's list of injected damage. */
static void record_corruptions(hstate *h, int hi)
{
    gen *g = h->g;
    size_t i;
    for (i = 0; i < g->sc->corrupts.n; i++) {
        corrupt_spec *cs = &g->sc->corrupts.v[i];
        corruption c;
        if (cs->heap != hi) continue;
        c.kind = cs->kind;
        c.address = cs->resolved_addr;
        c.heap = h->base;
        switch (cs->kind) {
        case CK_BAD_CHECKSUM:
            c.detail = xsprintf("block header at 0x%llx: SmallTagIndex (checksum) byte XOR-ed with 0x5a",
                                (unsigned long long)cs->resolved_addr);
            break;
        case CK_BROKEN_LINK:
            c.detail = xsprintf("free block 0x%llx: FreeList.Flink at 0x%llx points to unmapped 0x%llx",
                                (unsigned long long)cs->resolved_aux, (unsigned long long)cs->resolved_addr,
                                h->ptr == 8 ? 0x4141414141414140ull : 0x41414140ull);
            break;
        case CK_CYCLIC_LIST:
            c.detail = xsprintf("list entry 0x%llx: Flink points back to the first entry instead of the list head",
                                (unsigned long long)cs->resolved_addr);
            break;
        case CK_TRUNCATED_RANGE:
            c.detail = xsprintf("committed range truncated in the dump: 0x%llx-0x%llx not captured",
                                (unsigned long long)cs->resolved_addr, (unsigned long long)cs->resolved_end);
            break;
        default:
            c.detail = xsprintf("memory 0x%llx-0x%llx left out of the dump", (unsigned long long)cs->resolved_addr,
                                (unsigned long long)cs->resolved_end);
            break;
        }
        VPUSH(g->corr, c);
    }
}

void gen_heaps(gen *g)
{
    scenario *sc = g->sc;
    size_t i;
    int idx[2] = {0, 0};
    /* explicit segments first, so that nothing else lands on them */
    for (i = 0; i < sc->heaps.n; i++) {
        size_t k;
        for (k = 0; k < sc->heaps.v[i].segments.n; k++) {
            segment_spec *ss = &sc->heaps.v[i].segments.v[k];
            if (!vm_reserve_at(g->m, ss->base, ss->reserve))
                die("heap %s: segment at 0x%llx overlaps other memory", sc->heaps.v[i].name, (unsigned long long)ss->base);
        }
    }
    for (i = 0; i < sc->heaps.n; i++) {
        heap_spec *hs = &sc->heaps.v[i];
        heap_out *ho = xcalloc(1, sizeof *ho);
        ho->spec = (int)i;
        ho->bits = hs->bits;
        ho->ptr = hs->bits / 8;
        ho->hl = hs->bits == 64 ? g->lo->native : (g->lo->wow64 ? g->lo->wow : g->lo->native);
        ho->process = hs->process;
        ho->pageheap = hs->pageheap;
        ho->flags = hs->flags ? hs->flags : (hs->process ? 0x2u : 0x1002u);
        if (sc->gflags & FLG_USER_STACK_TRACE_DB) ho->flags |= 0x08000000u;
        if (hs->pageheap) ho->flags |= 0x01000000u;
        ho->listed = !hs->unlisted;
        if (g->lo->h24h2 && ho->bits == 64 && !hs->process) ho->listed = 0;
        ho->index = 0;
        if (!hs->unlisted) {
            int w = W(ho->bits);
            ++idx[w];
            ho->index = g->lo->h24h2 ? 0 : idx[w];
        }
        VPUSH(g->heaps, ho);
        build_heap(g, ho, (int)i);
    }
}

/* PEB heap lists (§1.2) and the 24H2 descriptor chain (§1.4). */
void heaps_finish(gen *g)
{
    vm *m = g->m;
    int w;
    size_t i;
    for (w = 0; w < 2; w++) {
        int bits = w ? 64 : 32, ptr = w ? 8 : 4;
        u64 peb = (bits == 64 || !g->lo->wow64) ? g->peb : g->peb32, arr = g->ntdll_data[w] + NTD_PROCESS_HEAPS;
        u32 n = 0, nall = 0, maxh = 16;
        u64 process = 0;
        if ((bits == 64) != (g->lo->ptr == 8 && !(g->lo->wow64 && bits == 32)) && !(g->lo->wow64)) continue;
        if (!g->ntdll_data[w]) continue;
        for (i = 0; i < g->heaps.n; i++) {
            heap_out *ho = g->heaps.v[i];
            if (ho->bits != bits) continue;
            if (!g->sc->heaps.v[ho->spec].unlisted) nall++;
            if (ho->process && !process) process = ho->base;
            if (!ho->listed) continue;
            wptr(m, ptr, arr + (u64)n * (u64)ptr, ho->base);
            n++;
        }
        while (maxh < nall) maxh *= 2;
        if (ptr == 8) {
            w64(m, peb + 0x30, process);
            w32(m, peb + 0xE8, n);
            w32(m, peb + 0xEC, maxh);
            w64(m, peb + 0xF0, arr);
        } else {
            w32(m, peb + 0x18, (u32)process);
            w32(m, peb + 0x88, n);
            w32(m, peb + 0x8C, maxh);
            w32(m, peb + 0x90, (u32)arr);
        }
    }
    for (i = 0; i < g->heaps.n; i++) {   /* page heaps: root.NormalHeap (§8.2) */
        heap_out *ho = g->heaps.v[i];
        int of = g->sc->heaps.v[ho->spec].normal_of;
        size_t k;
        if (of < 0) continue;
        for (k = 0; k < g->heaps.n; k++)
            if (g->heaps.v[k]->spec == of && g->heaps.v[k]->dph_root)
                wptr(m, ho->ptr, g->heaps.v[k]->dph_root + (ho->ptr == 8 ? 0x150 : 0xB4), ho->base);
    }
    if (g->lo->h24h2) {
        heap_out *ph = NULL;
        VEC(u64) hs = {0};
        for (i = 0; i < g->heaps.n; i++) {
            heap_out *ho = g->heaps.v[i];
            if (ho->bits != 64 || g->sc->heaps.v[ho->spec].unlisted) continue;
            if (ho->process && !ph) ph = ho;
            VPUSH(hs, ho->base);
        }
        if (ph && ph->ndescs >= hs.n && hs.n) {
            /* first descriptor: the process heap's own; UserContext (+0x188) points to it */
            size_t k = 0;
            u64 *d = ph->descs;
            w64(m, ph->base + ph->hl->user_context, d[0]);
            for (i = 0; i < hs.n; i++) {
                u64 heap = hs.v[i];
                if (i == 0) heap = ph->base;
                else if (hs.v[k] == ph->base) heap = hs.v[i];
                w64(m, d[i], i + 1 < hs.n ? d[i + 1] : 0);
                w64(m, d[i] + 8, i ? d[i - 1] : 0);
                w64(m, d[i] + 16, heap);
            }
        }
        VFREE(hs);
    }
}

void json_pebs(gen *g)
{
    json *j = g->j;
    int w;
    size_t i;
    j_arr(j, "pebs");
    for (w = 1; w >= 0; w--) {
        int bits = w ? 64 : 32;
        u64 peb;
        u64 process = 0;
        if (bits == 64 && g->lo->ptr != 8) continue;
        if (bits == 32 && !(g->lo->ptr == 4 || g->lo->wow64)) continue;
        peb = (bits == 32 && g->lo->wow64) ? g->peb32 : g->peb;
        j_obj(j, NULL);
        j_str(j, "arch", bits == 64 ? "x64" : "x86");
        j_hex(j, "address", peb);
        j_arr(j, "heaps");
        for (i = 0; i < g->heaps.n; i++) {
            heap_out *ho = g->heaps.v[i];
            if (ho->bits != bits) continue;
            if (ho->process && !process) process = ho->base;
            if (ho->listed) j_hex(j, NULL, ho->base);
        }
        j_end(j, 0);
        j_uint(j, "nt_global_flag", g->sc->gflags);
        j_hex(j, "process_heap", process);
        j_end(j, 1);
    }
    j_end(j, 0);
}
