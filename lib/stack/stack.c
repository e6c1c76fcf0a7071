/*
** stack.c - allocation stacks: from a block's stack reference to its frames (reference §7, §8).
**
** Three references, detected per block by the heap walker:
**
**   +ust record pointer (§7.2, prefix before the user data, Win7 VA blocks and Win10+ blocks):
**       trace record                  x86     x64
**         Next (ptr)                  +0x0    +0x0
**         Hash (u32)                  +0x4    +0x8
**         Depth (u32)                 +0x8    +0xC
**         Frames[Depth]               +0xC    +0x10
**   AllocatorBackTraceIndex (§3.6): index into the classic database (§7.1):
**       _STACK_TRACE_DATABASE         x86     x64
**         CommitBase                  +0x48   +0x88
**         CurrentLower/UpperCommit    +0x4C/50 +0x90/98
**         NextFreeLower/UpperMemory   +0x54/58 +0xA0/A8
**         NumberOfEntriesLookedUp/Added +0x5C/60 +0xB0/B4 (u32)
**         EntryIndexArray             +0x64   +0xB8     entry i at EntryIndexArray - i*ptr
**         NumberOfBuckets (u32)       +0x178  +0x2D0
**         Buckets                     +0x17C  +0x2D8
**       _RTL_STACK_TRACE_ENTRY        x86     x64
**         HashChain                   +0x0    +0x0
**         IndexHigh / Index (u16)     +0x6/8  +0xA/C
**         Depth (u16)                 +0xA    +0xE
**         BackTrace[32]               +0xC    +0x10
**   page heap StackTrace pointer (§8.5): a classic entry.
**
** The two record shapes are told apart by the word at +0xC (x64) / +0x8 (x86): a trace record's
** Depth (small) versus a classic entry's Index | Depth << 16 (>= 0x10000 whenever Depth > 0).
** The reference (§7.3) leaves open which shape the Win7 prefix points at, so both are accepted
** for every scheme.
**
** The database has no signature: it is found by scanning the start of every private allocation
** for a header whose pointers are ordered and inside the reservation and whose first index-array
** entries are entries carrying their own index (§7.1, "finding it without symbols").
**
** Dedup: a hash table (scheme, ref, ptr) -> stack id (or a cached failure), then record address
** -> id, so ten million blocks resolve as many distinct stacks as there are, each read once.
*/
#include <stdlib.h>   /* calloc, free */
#include <string.h>   /* memset */
#include "../as/as.h"
#include "stack.h"

#define MAX_CLASSIC_DEPTH 32   /* BackTrace[32] */

typedef struct slot {
    uint64_t ref;
    uint32_t key2;     /* scheme | ptr << 8 | 1 << 16 (0 = empty) */
    int32_t id;        /* stack id, or -1 for a reference that could not be resolved */
} slot;

typedef struct rslot { uint64_t record; uint32_t used; uint32_t id; } rslot;

struct hd_stackdb {
    vec stacks;        /* hd_stack */
    slot *refs;
    size_t ref_cap, ref_used;
    rslot *recs;
    size_t rec_cap, rec_used;
    stk_db db[2];      /* [0] 32-bit, [1] 64-bit */
};

static size_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return (size_t)k;
}

static void stackdb_free(hd_dump *d)
{
    struct hd_stackdb *s = d->stacks;
    if (!s) return;
    vec_free(&s->stacks);
    free(s->refs);
    free(s->recs);
    free(s);
    d->stacks = NULL;
}

static struct hd_stackdb *stackdb(hd_dump *d)
{
    struct hd_stackdb *s;
    if (d->stacks) return d->stacks;
    if (!(s = calloc(1, sizeof *s))) return NULL;
    vec_init(&s->stacks, sizeof(hd_stack));
    d->stacks = s;
    if (core_on_close(d, stackdb_free) != HD_OK) { stackdb_free(d); return NULL; }
    return s;
}

/* ---- the classic database ---------------------------------------------------------------- */

typedef struct db_off {
    unsigned commit_base, lower_commit, upper_commit, next_lower, next_upper, looked_up, added,
        index_array, nbuckets, buckets, header;
    unsigned e_index, e_depth, e_frames;
} db_off;
static const db_off DB32 = {0x48, 0x4C, 0x50, 0x54, 0x58, 0x5C, 0x60, 0x64, 0x178, 0x17C, 0x180, 0x8, 0xA, 0xC};
static const db_off DB64 = {0x88, 0x90, 0x98, 0xA0, 0xA8, 0xB0, 0xB4, 0xB8, 0x2D0, 0x2D8, 0x2E0, 0xC, 0xE, 0x10};

/* End of the reservation that starts at BASE (regions sharing alloc_base), 0 if unknown. */
static uint64_t allocation_end(const hd_dump *d, size_t first)
{
    const hd_region *r = VEC_AT(&d->regions, hd_region, first);
    uint64_t ab = r->alloc_base, end = r->base + r->size;
    size_t i;
    for (i = first + 1; i < d->regions.len; i++) {
        const hd_region *n = VEC_AT(&d->regions, hd_region, i);
        if (n->alloc_base != ab || n->base != end) break;
        end = n->base + n->size;
    }
    return end;
}

/* 1 when a database header at B (reservation [B, END)) is self-consistent. */
static int db_check(const hd_dump *d, uint64_t b, uint64_t end, unsigned ptr, stk_db *out)
{
    const db_off *o = ptr == 8 ? &DB64 : &DB32;
    const uint8_t *h = hd_view(d, b, o->header);
    uint64_t commit_base, lo_commit, up_commit, next_lo, next_up, idx, buckets;
    uint32_t looked, added, nbuckets, i, spot;
    if (!h) return 0;
    commit_base = rd_ptr(h + o->commit_base, ptr);
    lo_commit = rd_ptr(h + o->lower_commit, ptr);
    up_commit = rd_ptr(h + o->upper_commit, ptr);
    next_lo = rd_ptr(h + o->next_lower, ptr);
    next_up = rd_ptr(h + o->next_upper, ptr);
    looked = rd_le32(h + o->looked_up);
    added = rd_le32(h + o->added);
    idx = rd_ptr(h + o->index_array, ptr);
    nbuckets = rd_le32(h + o->nbuckets);
    buckets = rd_ptr(h + o->buckets, ptr);
    if (commit_base != b) return 0;
    if (!(b < next_lo && next_lo <= lo_commit && lo_commit <= up_commit && up_commit <= next_up &&
          next_up <= idx && idx <= end))
        return 0;
    if (nbuckets == 0 || nbuckets > (1u << 20) || buckets < b || buckets >= end) return 0;
    if (added > looked && looked != 0) return 0;
    if ((uint64_t)added * ptr > idx - b) return 0;
    /* spot-check the first index-array entries: entry i carries Index == i */
    spot = HD_MIN(added, 4u);
    for (i = 1; i <= spot; i++) {
        uint64_t e;
        uint16_t index;
        if (as_ptr(d, idx - (uint64_t)i * ptr, ptr, &e) != HD_OK || e < b || e >= end) return 0;
        if (as_u16(d, e + o->e_index, &index) != HD_OK || index != (uint16_t)i) return 0;
    }
    out->found = 1;
    out->address = b;
    out->region_end = end;
    out->entry_index_array = idx;
    out->entries_added = added;
    return 1;
}

const stk_db *stack_db(hd_dump *d, unsigned ptr)
{
    struct hd_stackdb *s = stackdb(d);
    stk_db *db;
    size_t i;
    if (!s) return NULL;
    db = &s->db[ptr == 8];
    if (db->searched) return db;
    db->searched = 1;
    for (i = 0; i < d->regions.len; i++) {
        const hd_region *r = VEC_AT(&d->regions, hd_region, i);
        if (r->base != r->alloc_base || r->state != HD_MEM_COMMIT) continue;
        if (d->has_meminfo && r->type != HD_MEM_PRIVATE) continue;
        if (ptr == 4 && r->base > 0xFFFFFFFFu) continue;
        if (db_check(d, r->base, allocation_end(d, i), ptr, db)) break;
    }
    return db;
}

/* ---- reading a record ---------------------------------------------------------------------- */

/* Depth and first-frame address of a trace at A in either shape; 0 when neither fits. */
static uint32_t trace_shape(const hd_dump *d, uint64_t a, unsigned ptr, uint32_t max_depth, uint64_t *frames_at)
{
    uint32_t w;
    uint64_t f = a + (ptr == 8 ? 0x10 : 0xC);
    if (as_u32(d, a + (ptr == 8 ? 0xC : 0x8), &w) != HD_OK) return 0;
    *frames_at = f;
    if (w >= 1 && w <= max_depth) return w;                 /* trace record: Depth u32 */
    if ((w & 0xFFFF0000u) && (w >> 16) <= MAX_CLASSIC_DEPTH && (w >> 16) <= max_depth)
        return w >> 16;                                      /* classic entry: Depth u16 */
    return 0;
}

static hd_err read_frames(hd_dump *d, uint64_t rec, unsigned ptr, hd_stack *st)
{
    uint64_t at, *fr;
    uint32_t depth = trace_shape(d, rec, ptr, d->lim.max_stack_depth, &at), i;
    const uint8_t *p;
    if (depth == 0) {
        return hd_view(d, rec, ptr == 8 ? 0x10 : 0xC) ? HD_ECORRUPT : HD_EUNMAPPED;
    }
    if (!(p = hd_view(d, at, (size_t)depth * ptr))) return HD_EUNMAPPED;
    if (!(fr = arena_alloc(&d->ar, (size_t)depth * sizeof *fr))) return HD_ENOMEM;
    for (i = 0; i < depth; i++) fr[i] = rd_ptr(p + (size_t)i * ptr, ptr);
    st->record = rec;
    st->depth = depth;
    st->frames = fr;
    return HD_OK;
}

/* The address of classic entry INDEX, via the database of pointer size PTR. */
static hd_err index_entry(hd_dump *d, uint64_t index, unsigned ptr, uint64_t *entry)
{
    const stk_db *db = stack_db(d, ptr);
    const db_off *o = ptr == 8 ? &DB64 : &DB32;
    uint64_t e;
    uint16_t got;
    if (!db) return HD_ENOMEM;
    if (!db->found) return HD_ENOTFOUND;
    if (index == 0 || index * ptr > db->entry_index_array - db->address) return HD_ECORRUPT;
    if (as_ptr(d, db->entry_index_array - index * ptr, ptr, &e) != HD_OK) return HD_EUNMAPPED;
    if (e < db->address || e >= db->region_end) return HD_ECORRUPT;
    if (as_u16(d, e + o->e_index, &got) != HD_OK) return HD_EUNMAPPED;
    if (got != (uint16_t)index) return HD_ECORRUPT;
    *entry = e;
    return HD_OK;
}

/* ---- the dedup tables ---------------------------------------------------------------------- */

static hd_err grow_refs(struct hd_stackdb *s)
{
    size_t ncap = s->ref_cap ? s->ref_cap * 2 : 1024, i;
    slot *n = calloc(ncap, sizeof *n);
    if (!n) return HD_ENOMEM;
    for (i = 0; i < s->ref_cap; i++) {
        size_t j;
        if (!s->refs[i].key2) continue;
        for (j = mix(s->refs[i].ref ^ ((uint64_t)s->refs[i].key2 << 48)) & (ncap - 1); n[j].key2; j = (j + 1) & (ncap - 1)) {}
        n[j] = s->refs[i];
    }
    free(s->refs);
    s->refs = n;
    s->ref_cap = ncap;
    return HD_OK;
}

static hd_err grow_recs(struct hd_stackdb *s)
{
    size_t ncap = s->rec_cap ? s->rec_cap * 2 : 1024, i;
    rslot *n = calloc(ncap, sizeof *n);
    if (!n) return HD_ENOMEM;
    for (i = 0; i < s->rec_cap; i++) {
        size_t j;
        if (!s->recs[i].used) continue;
        for (j = mix(s->recs[i].record) & (ncap - 1); n[j].used; j = (j + 1) & (ncap - 1)) {}
        n[j] = s->recs[i];
    }
    free(s->recs);
    s->recs = n;
    s->rec_cap = ncap;
    return HD_OK;
}

static const char *scheme_name(int scheme)
{
    switch (scheme) {
    case STK_UST_RECORD: return "+ust trace record";
    case STK_TRACE_INDEX: return "stack trace database index";
    case STK_PAGEHEAP: return "page heap stack trace";
    default: return "stack reference";
    }
}

/* Resolve (scheme, ref) to a stack id or a failure code, uncached. */
static hd_err resolve(hd_dump *d, struct hd_stackdb *s, int scheme, uint64_t ref, unsigned ptr, int32_t *id)
{
    uint64_t rec = ref;
    hd_stack st;
    hd_err e;
    size_t j;
    if (scheme == STK_TRACE_INDEX) {
        if ((e = index_entry(d, ref, ptr, &rec)) != HD_OK) {
            if (e == HD_ENOTFOUND)
                HD_DIAG(d, HD_SEV_WARN, e, "stack", ref,
                        "stack trace index %llu: no %u-bit stack trace database was found in the dump",
                        (unsigned long long)ref, ptr * 8);
            else if (e != HD_ENOMEM)
                HD_DIAG(d, HD_SEV_WARN, e, "stack", ref, "stack trace index %llu does not lead to a valid database entry",
                        (unsigned long long)ref);
            return e;
        }
    }
    /* the same record reached through another reference */
    if (s->rec_used * 2 >= s->rec_cap && grow_recs(s) != HD_OK) return HD_ENOMEM;
    for (j = mix(rec) & (s->rec_cap - 1); s->recs[j].used; j = (j + 1) & (s->rec_cap - 1))
        if (s->recs[j].record == rec) { *id = (int32_t)s->recs[j].id; return HD_OK; }
    memset(&st, 0, sizeof st);
    if ((e = read_frames(d, rec, ptr, &st)) != HD_OK) {
        if (e != HD_ENOMEM)
            HD_DIAG(d, HD_SEV_WARN, e, "stack", rec, "%s 0x%llx: %s", scheme_name(scheme), (unsigned long long)rec,
                    e == HD_EUNMAPPED ? "not captured in the dump" : "not a trace record (depth out of range)");
        return e;
    }
    st.id = (uint32_t)s->stacks.len;
    st.scheme = scheme;
    st.ref = ref;
    {
        hd_stack *slot_ = vec_push(&s->stacks);
        if (!slot_) return HD_ENOMEM;
        *slot_ = st;
    }
    s->recs[j].record = rec;
    s->recs[j].used = 1;
    s->recs[j].id = st.id;
    s->rec_used++;
    *id = (int32_t)st.id;
    return HD_OK;
}

hd_err hd_stack_resolve(hd_dump *d, int scheme, uint64_t ref, unsigned ptr_size, const hd_stack **out)
{
    struct hd_stackdb *s;
    uint32_t key2;
    size_t j;
    int32_t id = -1;
    hd_err e;
    *out = NULL;
    if (!d || (ptr_size != 4 && ptr_size != 8)) return HD_EINVAL;
    if (scheme <= STK_NONE || scheme > STK_PAGEHEAP) return scheme == STK_NONE ? HD_ENOTFOUND : HD_EINVAL;
    if (!(s = stackdb(d))) return HD_ENOMEM;
    key2 = (uint32_t)scheme | ptr_size << 8 | 1u << 16;
    if (s->ref_used * 2 >= s->ref_cap && grow_refs(s) != HD_OK) return HD_ENOMEM;
    for (j = mix(ref ^ ((uint64_t)key2 << 48)) & (s->ref_cap - 1); s->refs[j].key2; j = (j + 1) & (s->ref_cap - 1)) {
        if (s->refs[j].key2 == key2 && s->refs[j].ref == ref) {
            if (s->refs[j].id < 0) return HD_ECORRUPT;
            *out = VEC_AT(&s->stacks, hd_stack, (size_t)s->refs[j].id);
            return HD_OK;
        }
    }
    e = resolve(d, s, scheme, ref, ptr_size, &id);
    if (e == HD_ENOMEM) return e;
    s->refs[j].ref = ref;
    s->refs[j].key2 = key2;
    s->refs[j].id = e == HD_OK ? id : -1;
    s->ref_used++;
    if (e != HD_OK) return e;
    *out = VEC_AT(&s->stacks, hd_stack, (size_t)id);
    return HD_OK;
}

size_t hd_stack_count(const hd_dump *d) { return d && d->stacks ? d->stacks->stacks.len : 0; }

const hd_stack *hd_stack_at(const hd_dump *d, size_t id)
{
    return d && d->stacks ? vec_at(&d->stacks->stacks, id) : NULL;
}
