/*
** walk.c - the streaming block walk of one NT heap: segments, then VirtualAlloc'd blocks.
**
** Segment walk (reference §4.3), per segment, per committed range (the segment minus its UCRs):
**
**   segment ─► [hdr block][block][block]...[UCR desc block] |UCR ....| [block]...[desc] |UCR 0|
**              ^ BaseAddress (internal)      UnusedBytes 3 ^  ^ UCR.Address            ^ LastValidEntry
**
**   e = range start; while e < range end: decode(e) (§3.2), verify checksum, Size != 0, fits;
**   PreviousSize == previous Size; emit; e += Size x gran.
**
** Damage: a bad header is reported at its address and the walk resynchronises at the first
** later position holding a header whose checksum is valid and whose successor chains to it by
** PreviousSize (or which ends the range exactly) - §4.3; the span in between is emitted as one
** block marked damaged.  Memory missing from the dump is skipped the same way (the result is a
** lower bound and the heap is marked partial).  WinDbg stops at the first bad header.
**
** VirtualAlloc'd blocks (§5): _HEAP.VirtualAllocdBlocks ─► _HEAP_VIRTUAL_ALLOC_ENTRY
**   x86: Flink/Blink +0, ExtraStuff +0x08, CommitSize +0x10, ReserveSize +0x14, BusyBlock +0x18
**   x64: Flink/Blink +0, ExtraStuff +0x10, CommitSize +0x20, ReserveSize +0x28, BusyBlock +0x30
**   BusyBlock.Size is bytes of slack: user size = CommitSize - Size; UnusedBytes == 4; with a
**   +ust prefix SegmentOffset = prefix / gran and the user data moves up by the prefix (§5.3).
**
** LFH UserBlocks met on the way (busy internal blocks carrying 0xF0E0D0C0) are expanded by lfh.c
** right after the container, so blocks come out in address order within a segment.
**
** One pass, no allocation per block: a segment's pages are released from RSS once walked.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap_int.h"

#define RELEASE_CHUNK ((uint64_t)32 << 20)

void hh_damage(hh_walk *w, hd_severity sev, hd_err code, uint64_t addr, const char *fmt, ...)
{
    w->event_no++;
    if (sev >= HD_SEV_WARN) w->partial = 1;
    if (!w->quiet && w->event_no > w->h->events_recorded) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        diag_add(w->d, sev, code, "heap", 1, addr, __FILE__, __LINE__, "heap 0x%llx: %s", (unsigned long long)w->h->pub.address, msg);
        hh_problem(w->d, w->h, "0x%llx: %s", (unsigned long long)addr, msg);
    }
}

void hh_emit(hh_walk *w, hd_block *b)
{
    hd_heap_totals *t = &w->t;
    if ((++w->emitted & 0xFFFF) == 0) core_progress(w->d, "walking heaps", 0, 0, w->item, w->items, w->emitted);
    if (b->damaged) t->damaged++;
    if (b->damaged == 1) {
        /* extent unknown: not counted */
    } else if (b->kind == HD_BLOCK_INTERNAL) {
        t->internal_blocks++;
        t->internal_bytes += b->size;
    } else if (b->state == HD_BLOCK_BUSY) {
        t->busy_blocks++;
        t->busy_user_bytes += b->user_size;
        t->busy_block_bytes += b->size;
    } else if (b->kind == HD_BLOCK_BACKEND) {
        t->free_blocks++;
        t->free_bytes += b->size;
    }
    if (b->segment >= 0 && b->kind != HD_BLOCK_LFH) {
        t->backend_blocks++;
        t->walked_bytes += b->size;
    }
    if (b->kind == HD_BLOCK_LFH) {
        t->lfh_blocks++;
        if (b->state == HD_BLOCK_BUSY) t->lfh_busy++; else t->lfh_free++;
    }
    if (b->va_entry && !b->damaged) {
        t->virtual_blocks++;
        t->virtual_bytes += b->commit_size;
        t->virtual_reserved += b->reserve_size;
    }
    if (w->cb && !w->stop && w->cb(w->user, b)) w->stop = 1;
}

/* ---- reading headers over spans ---------------------------------------------------------- */
typedef struct cursor { uint64_t va, n; const uint8_t *p; } cursor;

/* The 8 header body bytes of the entry at E, via the span cache; NULL when not captured. */
static const uint8_t *body_at(const hd_dump *d, const hh_heap *h, cursor *c, uint64_t e, uint8_t tmp[8])
{
    uint64_t va = e + h->c->entry_body;
    if (c->p && va >= c->va && va - c->va <= c->n && c->n - (va - c->va) >= 8) return c->p + (va - c->va);
    c->p = as_span(d, va, &c->n);
    c->va = va;
    if (c->p && c->n >= 8) return c->p;
    if (hd_read(d, va, tmp, 8, NULL) == HD_OK) return tmp;   /* straddles two ranges */
    return NULL;
}

static int decode_at(const hd_dump *d, const hh_heap *h, cursor *c, uint64_t e, hh_entry *x)
{
    uint8_t tmp[8];
    const uint8_t *p = body_at(d, h, c, e, tmp);
    if (!p) return 0;
    hh_decode(h, p, x);
    return 1;
}

/* A plausible header at X inside [.., end): checksum, size fits, and its successor chains. */
static int candidate(const hd_dump *d, const hh_heap *h, cursor *c, uint64_t x, uint64_t end, hh_entry *ex)
{
    hh_entry nx;
    uint64_t next;
    if (!decode_at(d, h, c, x, ex) || !ex->ok || ex->size == 0) return 0;
    next = x + (uint64_t)ex->size * h->c->gran;
    if (next > end) return 0;
    if (next == end) return 1;
    return decode_at(d, h, c, next, &nx) && nx.ok && nx.size != 0 && nx.prev == ex->size;
}

/* First resynchronisation point at or after FROM (gran-aligned) inside [.., end); END if none. */
static uint64_t resync(const hd_dump *d, const hh_heap *h, cursor *c, uint64_t from, uint64_t end)
{
    unsigned gran = h->c->gran;
    uint64_t x = from;
    hh_entry ex;
    while (x + gran <= end) {
        uint64_t n;
        if (!as_span(d, x + h->c->entry_body, &n)) {
            uint64_t nx = as_next_captured(d, x + h->c->entry_body);
            if (nx == UINT64_MAX || nx >= end) return end;
            x = ((nx - h->c->entry_body) + gran - 1) & ~(uint64_t)(gran - 1);
            continue;
        }
        if (candidate(d, h, c, x, end, &ex)) return x;
        x += gran;
    }
    return end;
}

/* ---- one block ----------------------------------------------------------------------------- */

static int is_internal(const hh_entry *x, int first_in_segment)
{
    return first_in_segment || x->unused == 0x01 || x->unused == 0x03 || (x->flags & HL_ENTRY_VIRTUAL_ALLOC);
}

static void fill_hdr(hd_block *b, const hh_entry *x)
{
    b->hdr_size = x->size;
    b->hdr_flags = x->flags;
    b->hdr_small_tag_index = x->sti;
    b->hdr_previous_size = x->prev;
    b->hdr_segment_offset = x->segoff;
    b->hdr_unused_bytes = x->unused;
}

static void emit_damaged(hh_walk *w, int si, uint64_t from, uint64_t to)
{
    hd_block b;
    memset(&b, 0, sizeof b);
    b.heap = &w->h->pub;
    b.address = from;
    b.user_address = from + w->h->c->gran;
    b.size = to - from;
    b.state = HD_BLOCK_BUSY;
    b.kind = HD_BLOCK_BACKEND;
    b.segment = si;
    b.damaged = 1;
    hh_emit(w, &b);
}

/* Per-segment state: what the UCR list failed to tell (a cut list, §4.1). */
typedef struct segctx {
    int si;
    int list_complete;
    uint64_t missing_ucrs, missing_bytes;   /* NumberOfUnCommittedRanges/Pages minus the list */
} segctx;

/* A busy UnusedBytes-3 block ends a committed range: its user data is the descriptor of the UCR
** that follows (§4.1, §4.3).  When that UCR is not on the list, learn it here.  Returns the end
** of the UCR to skip to, or 0 to carry on. */
static uint64_t discovered_ucr(hh_walk *w, segctx *sc, uint64_t e, uint64_t bend, uint64_t end)
{
    hd_dump *d = w->d;
    const hl_common *c = w->h->c;
    uint64_t desc = e + c->gran, ua, us;
    if (as_ptr(d, desc + c->ucr_address, c->ptr, &ua) == HD_OK && as_ptr(d, desc + c->ucr_size, c->ptr, &us) == HD_OK) {
        if (ua != bend || (us & 0xFFF) || us > end - ua) return 0;
        if (sc->list_complete)
            hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, desc, "UCR 0x%llx+0x%llx (descriptor 0x%llx) ends a committed range but is not on the segment's UCR list",
                      (unsigned long long)ua, (unsigned long long)us, (unsigned long long)desc);
        if (sc->missing_ucrs) sc->missing_ucrs--;
        sc->missing_bytes -= HD_MIN(sc->missing_bytes, us);
        w->ucr_found_bytes += us;
        return ua + us;
    }
    if (!sc->list_complete && sc->missing_ucrs == 1) {
        /* the descriptor is not captured, but only one UCR is unaccounted for: its size is known */
        us = sc->missing_bytes;
        if (us > end - bend) return 0;
        hh_damage(w, HD_SEV_INFO, HD_EUNMAPPED, desc, "UCR at 0x%llx inferred from NumberOfUnCommittedPages (0x%llx bytes; descriptor 0x%llx not captured)",
                  (unsigned long long)bend, (unsigned long long)us, (unsigned long long)desc);
        sc->missing_ucrs = 0;
        sc->missing_bytes = 0;
        w->ucr_found_bytes += us;
        return bend + us;
    }
    return 0;
}

/* Walk the committed range [a, end) of a segment.  Returns END, or, when a UCR that the list
** did not name turns up inside, where the walk must resume. */
static uint64_t walk_range(hh_walk *w, segctx *sc, uint64_t a, uint64_t end, int seg_start)
{
    int si = sc->si;
    hd_dump *d = w->d;
    hh_heap *h = w->h;
    unsigned gran = h->c->gran;
    cursor c = {0, 0, NULL};
    uint64_t e = a, released = a;
    int have_prev = 0;
    uint16_t prev = 0;
    uint64_t pf = a;   /* next address to prefetch */
    hd_block tmpl;     /* what every block of this range shares */
    memset(&tmpl, 0, sizeof tmpl);
    tmpl.heap = &h->pub;
    tmpl.segment = si;
    if (end - a >= RELEASE_CHUNK) as_sequential(d, a, end - a);
    while (e < end && !w->stop) {
        hh_entry x;
        hd_block b;
        uint64_t units, nx;
        const char *why = NULL;
        int trusted = 0;
        if (e - released >= RELEASE_CHUNK) {
            as_release(d, released, e - released);
            released = e;
        }
        if (end - e < gran) {
            hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, e, "committed range 0x%llx-0x%llx ends inside a header at 0x%llx",
                      (unsigned long long)a, (unsigned long long)end, (unsigned long long)e);
            emit_damaged(w, si, e, end);
            break;
        }
#if defined(__GNUC__)
        /* The next headers are somewhere in the bytes ahead, and a dependent chain of headers of
        ** varying sizes defeats the hardware prefetcher: stream every cache line HH_PREFETCH_AHEAD
        ** bytes ahead of the walk, as a sequential reader's hardware prefetch would. */
        if (c.p && e >= c.va && e - c.va < c.n) {
            uint64_t lim = HD_MIN(e + HH_PREFETCH_AHEAD, c.va + c.n);
            if (pf < e) pf = e;
            for (; pf < lim; pf += 64) __builtin_prefetch(c.p + (pf - c.va));
        }
#endif
        if (!decode_at(d, h, &c, e, &x)) {
            /* memory missing from the dump: skip to the next captured bytes and resynchronise */
            uint64_t cap = as_next_captured(d, e + h->c->entry_body), to;
            if (cap == UINT64_MAX || cap >= end) to = end;
            else to = resync(d, h, &c, ((cap - h->c->entry_body) + gran - 1) & ~(uint64_t)(gran - 1), end);
            w->t.missing_bytes += to - e;
            if (e + hd_captured_at(d, e) >= w->gap_until)
                hh_damage(w, HD_SEV_WARN, HD_EUNMAPPED, e + hd_captured_at(d, e),
                          "heap memory from 0x%llx is not captured in the dump (block header at 0x%llx); 0x%llx bytes skipped, walk resumes at 0x%llx",
                          (unsigned long long)(e + hd_captured_at(d, e)), (unsigned long long)e, (unsigned long long)(to - e),
                          (unsigned long long)to);
            w->gap_until = to;
            w->incomplete = 1;
            e = to;
            have_prev = 0;
            continue;
        }
        units = x.size;
        if (!x.ok) why = "bad checksum";
        else if (units == 0) why = "Size 0";
        else if (e + units * gran > end) why = "Size runs past the committed range";
        if (why) {
            hh_entry y;
            nx = resync(d, h, &c, e + gran, end);
            hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, e, "bad block header at 0x%llx (%s; decoded Size 0x%x Flags 0x%x); walk resumes at 0x%llx",
                      (unsigned long long)e, why, x.size, x.flags, (unsigned long long)nx);
            /* only the checksum is off and the chain confirms the decoded Size (the next header's
            ** PreviousSize, or the range end): keep the block, flagged, with its decoded fields */
            if (units && e + units * gran == nx &&
                (nx == end || (decode_at(d, h, &c, nx, &y) && y.ok && y.prev == x.size))) {
                trusted = 1;
            } else {
                emit_damaged(w, si, e, nx);
                e = nx;
                have_prev = 0;
                continue;
            }
        }
        if (x.raw)
            hh_damage(w, HD_SEV_INFO, HD_ECORRUPT, e, "block header at 0x%llx is stored decoded (caught inside a heap operation)", (unsigned long long)e);
        if (have_prev && x.prev != prev && !(e == a && seg_start))
            hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, e, "block 0x%llx: PreviousSize 0x%x does not match the previous block's Size 0x%x",
                      (unsigned long long)e, x.prev, prev);
        b = tmpl;   /* a struct copy: cheaper per block than clearing and refilling */
        b.address = e;
        b.size = units * gran;
        b.damaged = trusted ? 2 : 0;
        fill_hdr(&b, &x);
        if (!(c.p && e >= c.va && b.size <= c.n - (e - c.va))) {
            uint64_t got = hd_captured_at(d, e);
            if (got < b.size) {
                /* part of the block is missing from the dump: say where the gap starts, once */
                b.incomplete = 1;
                w->incomplete = 1;
                if (e + got >= w->gap_until) {
                    w->gap_until = as_next_captured(d, e + got);
                    hh_damage(w, HD_SEV_WARN, HD_EUNMAPPED, e + got, "heap memory from 0x%llx is not captured in the dump (inside block 0x%llx)",
                              (unsigned long long)(e + got), (unsigned long long)e);
                }
            }
        }
        if (x.flags & HL_ENTRY_BUSY) {
            b.state = HD_BLOCK_BUSY;
            b.kind = is_internal(&x, e == a && seg_start) ? HD_BLOCK_INTERNAL : HD_BLOCK_BACKEND;
            if ((x.unused & 0x3F) == 0 && !(e == a && seg_start)) {
                hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, e, "block 0x%llx is BUSY but UnusedBytes 0x%x says free", (unsigned long long)e, x.unused);
            }
            if (x.unused == 0x01 || x.unused == 0x03) {
                /* heap metadata (the header, UCR-descriptor and index blocks, §3.4): UnusedBytes is a
                ** marker, not a count; the usable bytes are the block less its header */
                b.user_address = e + gran;
                b.user_size = b.size - gran;
            } else if (hh_user_extent(d, h, e, units, &x, &b, &why, c.p && e >= c.va && e - c.va < c.n ? c.p + (e - c.va) : NULL,
                                      c.p && e >= c.va && e - c.va < c.n ? c.n - (e - c.va) : 0) != 0) {
                hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, e, "block 0x%llx: %s", (unsigned long long)e, why);
            }
            if (b.kind == HD_BLOCK_INTERNAL && (x.flags & HL_ENTRY_VIRTUAL_ALLOC) && h->lfh_ok &&
                hh_lfh_signature(d, h, e + gran)) {
                b.user_address = e + gran;
                if (hh_lfh_container(w, &b, e + gran, b.size - gran)) goto next;
            }
        } else {
            uint8_t lk[16];
            b.state = HD_BLOCK_FREE;
            b.kind = HD_BLOCK_BACKEND;
            b.user_address = e + gran;
            b.user_size = b.size - gran;
            /* its FreeList links, for the fingerprint check of _HEAP.FreeLists (check_free_lists) */
            const uint8_t *q = NULL;
            uint64_t lva = e + h->c->free_entry_links;
            if (c.p && lva >= c.va && lva - c.va + 2u * h->c->ptr <= c.n) q = c.p + (lva - c.va);
            else if (hd_read(d, lva, lk, 2u * h->c->ptr, NULL) == HD_OK) q = lk;
            if (q) {
                hh_fp_add(&w->fl_links, lva);
                hh_fp_add(&w->fl_flinks, rd_ptr(q, h->c->ptr));
                hh_fp_add(&w->fl_blinks, rd_ptr(q + h->c->ptr, h->c->ptr));
            } else {
                w->fl_unreadable = 1;
            }
        }
        hh_emit(w, &b);
    next:
        prev = x.size;
        have_prev = 1;
        if (x.unused == 0x03 && (x.flags & HL_ENTRY_BUSY) && e + units * gran < end) {
            uint64_t r = discovered_ucr(w, sc, e, e + units * gran, end);
            if (r) {
                e += units * gran;
                if (e > released) as_release(d, released, e - released);
                return r;
            }
        }
        e += units * gran;
    }
    if (e > released) as_release(d, released, e - released);
    return end;
}

static void walk_segment(hh_walk *w, int si)
{
    const hd_heap_segment *sg = &w->h->pub.segments[si];
    uint64_t cur = sg->address, listed = 0;
    size_t i;
    int start = 1;
    segctx sc;
    if (!sg->readable) return;
    for (i = 0; i < sg->ucr_count; i++) listed += sg->ucrs[i].size;
    sc.si = si;
    sc.list_complete = sg->ucr_list_complete;
    sc.missing_ucrs = sg->uncommitted_ranges > sg->ucr_count ? sg->uncommitted_ranges - sg->ucr_count : 0;
    sc.missing_bytes = (uint64_t)sg->uncommitted_pages * 0x1000 > listed ? (uint64_t)sg->uncommitted_pages * 0x1000 - listed : 0;
    if (!sg->ucr_list_complete) w->incomplete = 1;
    for (i = 0; i <= sg->ucr_count && !w->stop; i++) {
        uint64_t end = i < sg->ucr_count ? sg->ucrs[i].address : sg->last_valid_entry;
        while (cur < end && !w->stop) {
            uint64_t r = walk_range(w, &sc, cur, end, start);
            start = 0;
            cur = r;
        }
        if (i < sg->ucr_count && sg->ucrs[i].address + sg->ucrs[i].size > cur) cur = sg->ucrs[i].address + sg->ucrs[i].size;
    }
}

/* ---- VirtualAlloc'd blocks (§5) ---------------------------------------------------------- */

static int va_entry(void *user, uint64_t link, int backward)
{
    hh_walk *w = user;
    hd_dump *d = w->d;
    hh_heap *h = w->h;
    const hl_common *c = h->c;
    unsigned ptr = c->ptr, gran = c->gran;
    uint64_t E = link - c->va_entry, commit, reserve;
    hh_entry x;
    hd_block b;
    const uint8_t *p;
    const char *why = NULL;
    (void)backward;
    memset(&b, 0, sizeof b);
    b.heap = &h->pub;
    b.segment = -1;
    b.va_entry = E;
    b.address = E + c->va_busy_block;
    b.state = HD_BLOCK_BUSY;
    b.kind = HD_BLOCK_VIRTUAL;
    if (as_ptr(d, E + c->va_commit_size, ptr, &commit) != HD_OK || as_ptr(d, E + c->va_reserve_size, ptr, &reserve) != HD_OK ||
        !(p = hd_view(d, b.address + c->entry_body, 8))) {
        hh_damage(w, HD_SEV_WARN, HD_EUNMAPPED, E, "VirtualAlloc entry 0x%llx: header not captured", (unsigned long long)E);
        w->incomplete = 1;
        return w->stop;
    }
    hh_decode(h, p, &x);
    x.prev = rd_le16(p + 4);   /* the BusyBlock keeps PreviousSize raw 0 (§3.2, verified on fizzbuzz) */
    fill_hdr(&b, &x);
    b.commit_size = commit;
    b.reserve_size = reserve;
    b.size = commit;
    b.user_address = E + c->sizeof_va;
    if (!x.ok) why = "BusyBlock checksum is bad";
    else if (!(x.flags & HL_ENTRY_BUSY)) why = "BusyBlock is not busy";
    else if (commit == 0 || commit > reserve || (commit & 0xFFF) || (reserve & 0xFFF)) why = "CommitSize/ReserveSize inconsistent";
    else if ((E & 0xFFF)) why = "entry not page-aligned";
    else if (x.size >= commit) why = "BusyBlock.Size exceeds CommitSize";
    if (why) {
        hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, b.address, "VirtualAlloc block 0x%llx (entry 0x%llx): %s (Size 0x%x, Flags 0x%x, CommitSize 0x%llx, ReserveSize 0x%llx)",
                  (unsigned long long)b.address, (unsigned long long)E, why, x.size, x.flags, (unsigned long long)commit,
                  (unsigned long long)reserve);
        b.damaged = 1;
        hh_emit(w, &b);
        return w->stop;
    }
    if (x.unused != 4)
        hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, b.address, "VirtualAlloc block 0x%llx: UnusedBytes 0x%x, expected 4", (unsigned long long)b.address, x.unused);
    b.user_size = commit - x.size;
    if (x.flags & HL_ENTRY_VIRTUAL_ALLOC) b.kind = HD_BLOCK_INTERNAL;   /* heap-internal allocation (§5.2) */
    if (x.segoff) {
        /* +ust prefix (§5.3): extended header just below the moved user pointer */
        uint64_t pre = (uint64_t)x.segoff * gran, ext = b.user_address + pre - gran;
        const uint8_t *q = hd_view(d, ext + c->entry_body, 8);
        if (q && q[7] == 5 && q[6] == x.segoff) {
            uint64_t rec;
            b.user_address += pre;
            if (as_ptr(d, E + c->sizeof_va, ptr, &rec) == HD_OK && rec) {
                b.stack_scheme = HD_STACK_UST_RECORD;
                b.stack_ref = rec;
            }
        } else {
            hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, b.address, "VirtualAlloc block 0x%llx: SegmentOffset %u but no extended header at 0x%llx",
                      (unsigned long long)b.address, x.segoff, (unsigned long long)ext);
        }
    }
    if (b.stack_scheme == HD_STACK_NONE && (x.flags & HL_ENTRY_EXTRA_PRESENT)) {
        uint16_t idx;
        if (as_u16(d, E + c->va_extra + c->extra_bt_index, &idx) == HD_OK && idx) {
            b.stack_scheme = HD_STACK_TRACE_INDEX;
            b.stack_ref = idx;
        }
    }
    if (hd_captured_at(d, E) < commit) {
        uint64_t miss = E + hd_captured_at(d, E);
        b.incomplete = 1;
        w->incomplete = 1;
        hh_damage(w, HD_SEV_WARN, HD_EUNMAPPED, miss, "VirtualAlloc block 0x%llx: its memory from 0x%llx is not captured in the dump",
                  (unsigned long long)b.address, (unsigned long long)miss);
    }
    if (h->lfh_ok && hh_lfh_signature(d, h, b.user_address)) {
        b.kind = HD_BLOCK_INTERNAL;
        if (!hh_lfh_container(w, &b, b.user_address, b.user_size)) hh_emit(w, &b);
    } else {
        hh_emit(w, &b);
    }
    hh_drop(d, E);
    hh_drop(d, b.user_address);
    return w->stop;
}

static void walk_virtual(hh_walk *w)
{
    unsigned r = hh_list_walk(w->d, w, w->h, w->h->pub.virtual_alloc_list, "VirtualAllocdBlocks", w->h->c->va_entry, NULL, va_entry, w);
    if (r & HH_LIST_CUT) w->va_incomplete = 1;
}

/* ---- free lists (§2.6): cross-check with the walk, O(1) memory ------------------------------- */

static int cmp_seg(const void *a, const void *b)
{
    const hd_heap_segment *x = *(const hd_heap_segment *const *)a, *y = *(const hd_heap_segment *const *)b;
    return x->address < y->address ? -1 : x->address > y->address;
}

static const hd_heap_segment *segment_of(const hd_heap_segment **sorted, size_t n, uint64_t va)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid]->address <= va) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return NULL;
    return va < sorted[lo - 1]->last_valid_entry ? sorted[lo - 1] : NULL;
}

typedef struct fl_ctx {
    hh_walk *w;
    const hd_heap_segment **sorted;
    uint64_t n, sum;
    uint16_t last;
    int sorted_ok;
} fl_ctx;

static int fl_entry(void *user, uint64_t link, int backward)
{
    fl_ctx *f = user;
    hh_walk *w = f->w;
    hh_heap *h = w->h;
    uint64_t blk = link - h->c->free_entry_links;
    const hd_heap_segment *sg = segment_of(f->sorted, h->pub.segment_count, blk);
    hh_entry x;
    if (!sg || !hh_read_entry(w->d, h, blk, &x) || !x.ok || (x.flags & HL_ENTRY_BUSY)) {
        hh_damage(w, HD_SEV_ERROR, HD_ECORRUPT, blk, "FreeLists entry 0x%llx: block 0x%llx is %s", (unsigned long long)link,
                  (unsigned long long)blk, !sg ? "in no segment" : !x.ok ? "not a valid header" : "busy");
    } else {
        if (!backward) {
            if (x.size < f->last) f->sorted_ok = 0;
            f->last = x.size;
        }
        f->sum += x.size;
    }
    f->n++;
    /* the list visits blocks in size order, all over the heap: do not keep their pages */
    hh_drop(w->d, blk);
    return 0;
}

/* The walk met every free block in address order and noted its links.  For one circular list
** head -> e1 -> ... -> en -> head holding exactly those blocks, the Flinks of the blocks plus the
** head's Flink are the blocks' links plus the head (each once), and likewise the Blinks.  Equal
** fingerprints of these multisets prove the list holds exactly the walked free blocks without
** visiting it in its (size) order, i.e. without random reads over the whole heap.  A mismatch
** sends check_free_lists to the exact traversal, which says where the damage is. */
static int free_list_fingerprint(hh_walk *w)
{
    hh_heap *h = w->h;
    uint64_t head = h->pub.free_lists, hf, hb;
    hh_fp want, gotf, gotb;
    unsigned ptr = h->c->ptr;
    if (w->fl_unreadable || w->incomplete || as_ptr(w->d, head, ptr, &hf) != HD_OK || as_ptr(w->d, head + ptr, ptr, &hb) != HD_OK)
        return 0;
    want = w->fl_links;
    hh_fp_add(&want, head);
    gotf = w->fl_flinks;
    hh_fp_add(&gotf, hf);
    gotb = w->fl_blinks;
    hh_fp_add(&gotb, hb);
    return hh_fp_eq(&want, &gotf) && hh_fp_eq(&want, &gotb);
}

static void check_free_lists(hh_walk *w)
{
    hh_heap *h = w->h;
    fl_ctx f;
    size_t i;
    unsigned r;
    if (free_list_fingerprint(w)) {
        w->t.free_list_entries = w->t.free_blocks;
        hh_add_check(h, "free blocks on _HEAP.FreeLists == free blocks walked", w->t.free_blocks, w->fl_links.n, 0);
        hh_add_check(h, "bytes on _HEAP.FreeLists == free bytes walked", w->t.free_bytes, w->t.free_bytes, 0);
        return;
    }
    memset(&f, 0, sizeof f);
    f.w = w;
    f.sorted_ok = 1;
    f.sorted = malloc((h->pub.segment_count ? h->pub.segment_count : 1) * sizeof *f.sorted);
    if (!f.sorted) return;
    for (i = 0; i < h->pub.segment_count; i++) f.sorted[i] = &h->pub.segments[i];
    hd_sort(f.sorted, h->pub.segment_count, sizeof *f.sorted, cmp_seg);
    r = hh_list_walk(w->d, w, h, h->pub.free_lists, "FreeLists", h->c->free_entry_links, NULL, fl_entry, &f);
    free(f.sorted);
    if (r & HH_LIST_CUT) w->freelist_incomplete = 1;
    w->t.free_list_entries = f.n;
    hh_add_check(h, "free blocks on _HEAP.FreeLists == free blocks walked", w->t.free_blocks, f.n,
                 w->incomplete || w->freelist_incomplete ? HH_CHECK_INCOMPLETE : 0);
    hh_add_check(h, "bytes on _HEAP.FreeLists == free bytes walked", w->t.free_bytes, f.sum * h->c->gran,
                 w->incomplete || w->freelist_incomplete ? HH_CHECK_INCOMPLETE : 0);
    if (!f.sorted_ok) hh_damage(w, HD_SEV_WARN, HD_ECORRUPT, h->pub.free_lists, "FreeLists is not sorted by size");
}

/* ---- the public walk ------------------------------------------------------------------------ */

static hd_err do_walk(hd_dump *d, hh_heap *h, hd_block_cb cb, void *user, int analyse)
{
    hh_walk w;
    size_t i;
    hd_lfh_bucket *bk = NULL;
    if ((h->pub.kind != HD_HEAP_NT && h->pub.kind != HD_HEAP_PAGE) || !h->lay) return HD_EUNSUPPORTED;
    memset(&w, 0, sizeof w);
    w.d = d;
    w.h = h;
    w.cb = cb;
    w.user = user;
    if (d->progress && d->heaps) {   /* which heap of the list this is, for the progress line */
        w.items = d->heaps->heaps.len;
        for (i = 0; i < w.items; i++)
            if (*VEC_AT(&d->heaps->heaps, hh_heap *, i) == h) w.item = i + 1;
    }
    if (analyse) {
        bk = calloc(256, sizeof *bk);
        w.bk = bk;
    }
    hh_lfh_setup(d, h);
    for (i = 0; i < h->pub.segment_count && !w.stop; i++) walk_segment(&w, (int)i);
    if (!w.stop) walk_virtual(&w);
    if (!w.stop && h->pub.kind == HD_HEAP_PAGE) hh_dph_walk(&w);
    if (w.event_no > h->events_recorded) h->events_recorded = w.event_no;
    if (w.emitted > 0xFFFF) core_progress(d, NULL, 0, 0, w.item, w.items, w.emitted);   /* ended */
    if (!w.stop && !h->pub.analyzed) {
        check_free_lists(&w);
        if (w.event_no > h->events_recorded) h->events_recorded = w.event_no;
        hh_reconcile(&w);
        if (bk) {
            for (i = 0; i < 256; i++) {
                hd_lfh_bucket *b;
                if (!bk[i].subsegments) continue;
                if ((b = vec_push(&h->buckets)) != NULL) *b = bk[i];
            }
            h->pub.lfh_buckets = h->buckets.data;
            h->pub.lfh_bucket_count = h->buckets.len;
        }
        h->pub.totals = w.t;
        h->pub.partial = w.partial || h->pub.partial;
        h->pub.checks = h->checks.data;
        h->pub.check_count = h->checks.len;
        h->pub.analyzed = 1;
    }
    free(bk);
    return HD_OK;
}

hd_err hd_heap_walk(hd_dump *d, const hd_heap *h, hd_block_cb cb, void *user)
{
    if (!d || !h) return HD_EINVAL;
    return do_walk(d, hh_of(h), cb, user, !h->analyzed);
}

hd_err hd_heap_walk_virtual(hd_dump *d, const hd_heap *h, hd_block_cb cb, void *user)
{
    hh_walk w;
    hh_heap *hh;
    if (!d || !h) return HD_EINVAL;
    hh = hh_of(h);
    if ((h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) || !hh->lay) return HD_EUNSUPPORTED;
    memset(&w, 0, sizeof w);
    w.d = d;
    w.h = hh;
    w.cb = cb;
    w.user = user;
    w.quiet = 1;   /* the full walk reports VA damage, in walk order */
    hh_lfh_setup(d, hh);
    walk_virtual(&w);
    return HD_OK;
}

hd_err hd_heap_analyze(hd_dump *d, const hd_heap *h)
{
    if (!d || !h) return HD_EINVAL;
    if (h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) return HD_EUNSUPPORTED;
    if (h->analyzed) return HD_OK;
    return do_walk(d, hh_of(h), NULL, NULL, 1);
}

/* ---- the block containing an address ------------------------------------------------------ */
typedef struct find_ctx { uint64_t va; hd_block *out; int found; } find_ctx;

static int find_cb(void *user, const hd_block *b)
{
    find_ctx *f = user;
    uint64_t end = b->address + b->size;
    uint64_t start = b->va_entry ? b->va_entry : b->dph_virtual_block ? b->dph_virtual_block : b->address;
    if (b->kind == HD_BLOCK_VIRTUAL || (b->va_entry && b->kind == HD_BLOCK_INTERNAL)) end = b->va_entry + b->reserve_size;
    if (b->dph_virtual_block) end = b->dph_virtual_block + b->size;
    if (f->va >= start && f->va < end) {
        /* prefer the innermost block: an LFH block over its UserBlocks container */
        *f->out = *b;
        f->found = 1;
        return b->kind == HD_BLOCK_LFH;
    }
    return f->found && !b->dph_virtual_block;   /* blocks come in address order: past it, stop */
}

hd_err hd_heap_block_at(hd_dump *d, uint64_t va, hd_block *out)
{
    size_t i, n = hd_heap_count(d);
    for (i = 0; i < n; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        size_t s;
        find_ctx f;
        int hit = 0;
        if (h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) continue;
        for (s = 0; s < h->segment_count; s++)
            if (va >= h->segments[s].address && va < h->segments[s].last_valid_entry) hit = 1;
        f.va = va;
        f.out = out;
        f.found = 0;
        if (!hit && h->kind != HD_HEAP_PAGE) {
            /* maybe a VirtualAlloc'd block: walk only if the heap has any */
            uint64_t fl;
            if (as_ptr(d, h->virtual_alloc_list, h->ptr_size, &fl) != HD_OK || fl == h->virtual_alloc_list) continue;
        }
        hd_heap_walk(d, h, find_cb, &f);
        if (f.found) return HD_OK;
    }
    return HD_ENOTFOUND;
}
