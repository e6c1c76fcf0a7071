/*
** heap_int.h - internal interface of the heap layer (lib/heap): the per-heap state behind the
** public hd_heap, header decoding, and the pieces of the walk.
**
**   discover.c  finding candidates (PEB views, ProcessHeap, 24H2 chain, scan) and the cache
**   detect.c    classification: scoring each candidate layout's invariants (§10)
**   segment.c   reading segments and their UCR lists (§4.1, §4.2)
**   entry.c     _HEAP_ENTRY decoding, checksum, user pointer / size, stack reference (§3, §7.3)
**   walk.c      the streaming walk: segments (§4.3), VirtualAlloc'd blocks (§5), free lists
**   lfh.c       LFH UserBlocks and their blocks (§6.5), zones, key recovery (§6.6)
**   check.c     reconciliation against the heap's counters and the MemoryInfoList
**   dt.c        symbol-less `dt` from the layout tables
*/
#ifndef HD_HEAP_INT_H
#define HD_HEAP_INT_H

#include "../as/as.h"
#include "layout.h"

/* ---- per-heap state ---------------------------------------------------------------------- */
typedef struct hh_heap {
    hd_heap pub;                   /* first: hd_heap* <-> hh_heap* */
    const hl_heap *lay;            /* chosen layout (NT heaps), else NULL */
    const hl_common *c;            /* common offsets for the pointer size */
    uint8_t key[8];                /* _HEAP.Encoding body (§3.2) */
    int encoded;                   /* EncodeFlagMask != 0 */
    uint64_t pointer_key;          /* Win7 _HEAP.PointerKey, else 0 */
    uint64_t commit_routine;
    uint64_t blocks_index;
    uint64_t segment_of;           /* a scanned candidate that is a segment of this heap */
    int seglist_complete;          /* SegmentList closed on its head */
    int segments_read;
    vec segments;                  /* hd_heap_segment */
    vec ucrs;                      /* hd_heap_ucr of every segment; segments point into it */
    vec ucr_first;                 /* size_t per segment: its first UCR in ucrs */
    vec evidence;                  /* hd_heap_evidence */
    vec problems;                  /* const char * */
    vec checks;                    /* hd_heap_check */
    vec buckets;                   /* hd_lfh_bucket */
    uint64_t problems_dropped;
    /* walk bookkeeping: damage is recorded once per heap, in walk order */
    uint64_t events_recorded;
    /* LFH, learned while walking */
    int lfh_ok;                    /* the _LFH_HEAP validated (Heap back-pointer) */
    const hl_lfh *lfh;
    int lfh_key_state;             /* 0 unknown, 1 known, -1 inconsistent */
    uint32_t lfh_const;            /* Win8+: RtlpLFHKey ^ heap; Win7: RtlpLFHKey */
} hh_heap;

struct hd_heapset {
    int built;
    vec heaps;                     /* hh_heap * (each allocated once: stable addresses) */
    vec dt_rows;                   /* hd_dt_row of the last hd_dt call */
    int addrmap_marked;            /* hd_addrmap_mark_heaps done (lib/analyze/heapmap.c) */
};

static inline hh_heap *hh_of(const hd_heap *h) { return (hh_heap *)(uintptr_t)h; }

/* discover.c */
HD_API_INTERNAL struct hd_heapset *hh_set(hd_dump *d);   /* builds on first use; NULL on OOM */
HD_API_INTERNAL void hh_problem(hd_dump *d, hh_heap *h, const char *fmt, ...) HD_PRINTF(3, 4);
HD_API_INTERNAL const char *hh_heap_class_name(uint32_t flags);

/* detect.c: fill h->lay, kind, evidence, header fields for the candidate at h->pub.address. */
HD_API_INTERNAL void hh_classify(hd_dump *d, hh_heap *h, uint32_t os_build);
HD_API_INTERNAL const hl_common *hh_common(unsigned ptr);

/* segment.c: read SegmentList and the UCR lists into h->segments / h->ucrs. */
HD_API_INTERNAL void hh_read_segments(hd_dump *d, hh_heap *h);
/* Add a segment the scan found but SegmentList did not lead to (0 if not a valid one). */
HD_API_INTERNAL int hh_add_scanned_segment(hd_dump *d, hh_heap *h, uint64_t addr);

/* ---- header decoding (entry.c) ----------------------------------------------------------- */
typedef struct hh_entry {
    uint16_t size;                 /* granules */
    uint8_t flags, sti;
    uint16_t prev;
    uint8_t segoff, unused;
    int ok;                        /* checksum valid */
    int raw;                       /* valid only as stored (not encoded): §3.2 fallback */
} hh_entry;

/* Decode the 8-byte body at P (already bounds-checked) with heap H's key. */
HD_API_INTERNAL void hh_decode(const hh_heap *h, const uint8_t *body, hh_entry *e);
/* Checksum of a decoded body (§3.2). */
static inline int hh_checksum_ok(const hh_entry *e)
{
    return e->sti == (uint8_t)((e->size & 0xFF) ^ (e->size >> 8) ^ e->flags);
}
/* Read and decode the header at VA; 0 when not captured. */
HD_API_INTERNAL int hh_read_entry(const hd_dump *d, const hh_heap *h, uint64_t va, hh_entry *e);

/* User pointer, user size and stack reference of a busy block whose header is at HDR with
** UNITS granules (§3.5, §7.3).  Returns 0 when consistent, else a static reason string is put in
** *why and the block is best-effort.  SPAN (may be NULL) points at HDR with AVAIL bytes captured
** from there, to spare the lookups. */
HD_API_INTERNAL int hh_user_extent(const hd_dump *d, const hh_heap *h, uint64_t hdr, uint64_t units,
                                   const hh_entry *e, hd_block *b, const char **why, const uint8_t *span, uint64_t avail);

/* After a random read: drop the 64 KB window the kernel's fault-around mapped with it, so that
** checks visiting the whole heap out of order keep RSS flat (as_seq.c). */
static inline void hh_drop(const hd_dump *d, uint64_t va) { as_release(d, va & ~(uint64_t)0xFFFF, 0x10000); }

/* An order-independent fingerprint of a set of 64-bit values (sum and a mixed sum). */
typedef struct hh_fp { uint64_t n, sum, mix; } hh_fp;
static inline uint64_t hh_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
static inline void hh_fp_add(hh_fp *f, uint64_t v) { f->n++; f->sum += v; f->mix += hh_mix64(v); }
static inline int hh_fp_eq(const hh_fp *a, const hh_fp *b) { return a->sum == b->sum && a->mix == b->mix; }

/* ---- the walk (walk.c, lfh.c) ------------------------------------------------------------ */
/* How far ahead of a walk every cache line is prefetched: headers form a dependent chain that the
** hardware prefetcher does not follow.  Measured on bench_walk (16 GB, 9.7 M blocks): 1-2 KB best
** and within 3% of each other, 8 KB 20% slower, the former two-line prefetch 65% slower. */
#define HH_PREFETCH_AHEAD 1024u

typedef struct hh_walk {
    hd_dump *d;
    hh_heap *h;
    hd_block_cb cb;
    void *user;
    int stop;                      /* the callback asked to stop */
    int quiet;                     /* record no damage (a partial walk for another purpose) */
    uint64_t event_no;             /* damage events met so far (see events_recorded) */
    hd_heap_totals t;
    /* LFH bookkeeping for the reconciliation */
    uint64_t lfh_containers, lfh_container_sum;
    hd_lfh_bucket *bk;             /* 256 slots by SizeIndex while analysing, else NULL */
    uint64_t lfh_depth_total;
    uint64_t ucr_found_bytes;      /* UCRs learned from descriptor blocks, not from the list */
    /* free blocks seen by the walk: their links, Flinks and Blinks (free-list fingerprint) */
    hh_fp fl_links, fl_flinks, fl_blinks;
    int fl_unreadable;
    hh_fp lfh_pairs;               /* (subsegment, UserBlocks) of every container walked */
    int partial;
    int incomplete;                /* memory or a list missing: the totals are lower bounds */
    int freelist_incomplete;
    uint64_t gap_until;            /* a missing-memory gap reported up to here */
    int va_incomplete;
    unsigned zones_incomplete;     /* HH_CHECK_INCOMPLETE when a zone was not captured */
    uint64_t emitted;              /* blocks handed out (progress) */
    size_t item, items;            /* this heap's position in the heap list (progress) */
} hh_walk;

/* Record damage: a diagnostic (first time this walk position is reached) and a heap problem. */
HD_API_INTERNAL void hh_damage(hh_walk *w, hd_severity sev, hd_err code, uint64_t addr,
                               const char *fmt, ...) HD_PRINTF(5, 6);
/* Hand a block to the callback and count it. */
HD_API_INTERNAL void hh_emit(hh_walk *w, hd_block *b);

/* lfh.c: a busy block (back end or VA) whose user data starts at UB and spans LEN bytes.
** Returns 1 when it is a valid UserBlocks container (its blocks have been emitted after the
** container itself), 0 when it is not one (nothing emitted). */
HD_API_INTERNAL int hh_lfh_container(hh_walk *w, hd_block *container, uint64_t ub, uint64_t len);
HD_API_INTERNAL int hh_lfh_signature(const hd_dump *d, const hh_heap *h, uint64_t ub);
HD_API_INTERNAL void hh_lfh_setup(hd_dump *d, hh_heap *h);
/* Walk the LFH zones: count active subsegments and the sum of their UserBlocks addresses. */
HD_API_INTERNAL void hh_lfh_zones(hh_walk *w, uint64_t *count, uint64_t *sum);

/* dph.c: the busy allocations of a page heap (§8), after its small _HEAP's own blocks. */
HD_API_INTERNAL void hh_dph_walk(hh_walk *w);

/* check.c: the reconciliation after a complete analysing walk. */
HD_API_INTERNAL void hh_reconcile(hh_walk *w);
#define HH_CHECK_INFORMATIVE 1   /* need not match on this layout */
#define HH_CHECK_INCOMPLETE 2    /* cannot be evaluated: memory or a list is missing */
HD_API_INTERNAL void hh_add_check(hh_heap *h, const char *name, uint64_t expected, uint64_t actual,
                                  unsigned how);

/* ---- bounded list walking ----------------------------------------------------------------- */
/* list.c: walk the LIST_ENTRY list at HEAD (see the file comment): FN gets each entry's link
** address (backward = 1 for entries recovered from the tail after a cut); non-zero stops.
** LINK_OFFSET is where the link sits in its structure, so that an entry missing from the dump is
** reported at the structure's first byte; *missing (may be NULL) receives that link.  W may be
** NULL (discovery): problems then become diagnostics and heap problems directly. */
#define HH_LIST_CUT 1u          /* the forward walk did not get back to the head */
#define HH_LIST_BROKEN 2u       /* a link is bad (damage), not just missing memory */
#define HH_LIST_RECOVERED 4u    /* entries after the cut were reached from the tail */
#define HH_LIST_STOPPED 8u      /* FN asked to stop */
HD_API_INTERNAL unsigned hh_list_walk(hd_dump *d, hh_walk *w, hh_heap *h, uint64_t head, const char *what,
                                      unsigned link_offset, uint64_t *missing,
                                      int (*fn)(void *user, uint64_t link, int backward), void *user);

/* Brent's cycle detection in O(1) memory, plus the max_list bound. */
typedef struct hh_cycle {
    uint64_t tortoise, lam, power, total, limit;
} hh_cycle;
static inline void hh_cycle_init(hh_cycle *c, uint64_t start, uint64_t limit)
{
    c->tortoise = start;
    c->lam = 0;
    c->power = 1;
    c->total = 0;
    c->limit = limit;
}
/* 1 when NEXT closes a cycle that does not pass through the head (the caller stops at the head
** before calling this), or when the limit is reached. */
static inline int hh_cycle_step(hh_cycle *c, uint64_t next)
{
    if (++c->total > c->limit) return 1;
    if (next == c->tortoise) return 1;
    if (++c->lam == c->power) {
        c->tortoise = next;
        c->power *= 2;
        c->lam = 0;
    }
    return 0;
}

#endif
