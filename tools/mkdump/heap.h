/*
** heap.h - state of one NT heap while heap.c / lfh.c / dph.c build it.
*/
#ifndef MKDUMP_HEAP_H
#define MKDUMP_HEAP_H
#include "mkdump.h"

enum bkind { BK_BACKEND, BK_LFH, BK_VIRTUAL, BK_PAGEHEAP, BK_INTERNAL };
#define HF_BUSY 0x01
#define HF_EXTRA 0x02
#define HF_INTERNAL 0x08

typedef struct ucr { u64 addr, size, desc; int seg; } ucr;
typedef struct seg {
    u64 base, lve, first;         /* base, LastValidEntry, FirstEntry */
    u64 committed;
    u32 nucr;
    u64 uc_bytes;
    VEC(u64) ranges;              /* committed [start, end) pairs */
} seg;
typedef struct fblk { u64 addr; u32 units; } fblk;

/* One planned corruption, resolved in the planning pass and replayed in the writing pass. */
typedef struct cplan { int kind; u64 addr, end, aux; int done; } cplan;

/* Per-bucket LFH state. */
typedef struct lbucket {
    u64 seginfo;       /* `_HEAP_LOCAL_SEGMENT_INFO` */
    u64 active;        /* last subsegment */
    u32 total_blocks, subsegs;
} lbucket;

typedef struct hstate {
    /* (struct hstate is also declared in mkdump.h for dph_build) */
    gen *g;
    heap_out *ho;
    heap_spec *hs;
    const heap_layout *hl;
    rng r;
    int ptr, gran, bits, ust_prefix, ust_classic, capture;
    u64 base;
    u32 key;            /* encoding key: Size/Flags/SmallTagIndex dword */
    u16 key_ps;         /* encoding key: PreviousSize word */
    u64 pointer_key;    /* Win7 */
    /* segments and the fill cursor */
    VEC(seg) segs;
    VEC(ucr) ucrs;
    int cur;            /* current segment */
    u64 pos;            /* next free byte in the current committed range */
    u64 range_start;
    u64 range_target;   /* close the range (UCR gap) once pos passes this (0: never) */
    u64 fixed_commit;   /* explicit segment: its committed end */
    u32 prev_units;
    u64 pend_addr, pend_size;
    VEC(fblk) frees;
    VEC(u64) va;        /* VirtualAlloc entries, in list order */
    u64 lookup[2];      /* `_HEAP_LIST_LOOKUP`s (first, extended) */
    u64 ucr_index;
    /* LFH */
    u64 lfh;            /* `_LFH_HEAP` */
    u64 usage_data;
    VEC(u64) zones;
    u64 zone_cur;
    u32 zone_used, zone_cap;
    lbucket bk[130];
    /* descriptor blocks (24H2) */
    VEC(u64) descs;
    /* corruption plans of this heap */
    VEC(cplan) cp;
    /* totals */
    u64 busy_blocks, busy_user, busy_bytes, free_blocks, free_units, lfh_blocks, lfh_free,
        va_blocks, va_bytes, internal_blocks, reserved, committed, ucr_total;
    u64 ops;
    /* corruption picks (planning pass) */
    u64 nbackend, want_busy, want_free, pick_busy, pick_free[1], va_first_commit;
} hstate;

/* heap.c, used by lfh.c and dph.c */
u64 hs_alloc_internal(hstate *h, u64 request, u8 flags, u8 unused_marker, const char *what);
void hs_block_json(hstate *h, u64 addr, u64 user, u64 size, u64 usize, int busy, int kind, int rs, u64 segbase, const char *extra_key, u64 extra_val);
u64 hs_seg_base(hstate *h, u64 addr);
u32 hs_units_for(hstate *h, u64 request);
void hs_write_prefix(hstate *h, u64 hdr, int rs, u16 unused_len);
void hs_va_alloc(hstate *h, u64 req, int rs, int internal, u64 *user_out);
void hs_link_list(hstate *h, u64 head, const u64 *e, size_t n, size_t off);
u64 hs_cur_seg(hstate *h);
u32 bucket_units(int b);
int bucket_of_units(u32 units, int gran);
int bucket_max(int gran);

/* lfh.c */
void lfh_create(hstate *h);
void lfh_container(hstate *h, alloc_spec *as, int aspec, u64 *remaining);
void lfh_finish(hstate *h);
#endif
