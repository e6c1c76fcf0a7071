/*
** discover.c - finding the heaps of a dump, once, and the public accessors.
**
** Sources, in order (reference §0.4 step 1, §1.2 - §1.4):
**   1. every PEB view: ProcessHeaps[0 .. NumberOfHeaps) and ProcessHeap (x64 PEB, and the x86
**      PEB32 of a WoW64 process - each heap is read with its view's pointer size);
**   2. PEB.ReadOnlySharedMemoryBase: on Win7 a complete _HEAP mapped from CSRSS (§1.2);
**   3. a signature scan of captured memory at 64 KB-aligned bases (0xFFEEFFEE / 0xDDEEDDEE at
**      +0x10 for 64-bit, +0x08 for 32-bit heaps; image regions skipped).  A hit that is a
**      secondary segment (Heap != itself) is folded into its heap, and names it when no list did;
**   4. on builds >= 26100, the heap descriptor chain from the process heap's UserContext (§1.4).
** Every candidate is classified (detect.c); NT heaps get their segments read (segment.c).  The
** result is cached in d->heaps and handed out by index; walking is separate (walk.c).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heap_int.h"

#define MAX_PROBLEMS 64

void hh_problem(hd_dump *d, hh_heap *h, const char *fmt, ...)
{
    va_list ap;
    const char **slot;
    if (h->problems.len >= MAX_PROBLEMS) {
        h->problems_dropped++;
        return;
    }
    slot = vec_push(&h->problems);
    if (!slot) return;
    va_start(ap, fmt);
    *slot = arena_vprintf(&d->ar, fmt, ap);
    va_end(ap);
    if (!*slot) *slot = "(out of memory)";
    h->pub.problems = h->problems.data;
    h->pub.problem_count = h->problems.len;
}

const char *hh_heap_class_name(uint32_t flags)
{
    switch (flags & HL_HEAP_CLASS_MASK) {
    case 0x0000: return "process heap class";
    case 0x1000: return "private heap";
    case 0x2000: return "kernel heap";
    case 0x3000: return "GDI heap";
    case 0x4000: return "User heap";
    case 0x5000: return "console heap";
    case 0x6000: return "desktop heap";
    case 0x7000: return "CSRSS shared heap";
    case 0x8000: return "CSR port heap";
    default: return "heap";
    }
}

static void free_heap(hh_heap *h)
{
    vec_free(&h->segments);
    vec_free(&h->ucrs);
    vec_free(&h->ucr_first);
    vec_free(&h->evidence);
    vec_free(&h->problems);
    vec_free(&h->checks);
    vec_free(&h->buckets);
    free(h);
}

static void release(hd_dump *d)
{
    struct hd_heapset *s = d->heaps;
    size_t i;
    if (!s) return;
    for (i = 0; i < s->heaps.len; i++) free_heap(*VEC_AT(&s->heaps, hh_heap *, i));
    vec_free(&s->heaps);
    vec_free(&s->dt_rows);
    free(s);
    d->heaps = NULL;
}

static hh_heap *find(struct hd_heapset *s, uint64_t addr, unsigned ptr)
{
    size_t i;
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if (h->pub.address == addr && h->pub.ptr_size == ptr) return h;
    }
    return NULL;
}

static int view_of_ptr(const hd_process *p, unsigned ptr)
{
    size_t i;
    for (i = 0; i < p->peb_count; i++)
        if (p->pebs[i].ptr_size == ptr) return (int)i;
    return -1;
}

/* Add (or merge into) a candidate.  Returns it, *isnew set when created; NULL on OOM / limit. */
static hh_heap *add(hd_dump *d, struct hd_heapset *s, uint64_t addr, unsigned ptr, int view,
                    unsigned found, int slot, int *isnew)
{
    hh_heap *h = find(s, addr, ptr), **pp;
    if (isnew) *isnew = 0;
    if (h) {
        h->pub.found_by |= found;
        if (slot >= 0 && h->pub.peb_slot < 0) h->pub.peb_slot = slot;
        return h;
    }
    if (s->heaps.len >= (size_t)d->lim.max_heaps * 4u) {
        HD_DIAG(d, HD_SEV_WARN, HD_ELIMIT, "heap", addr, "more than %u heap candidates: 0x%llx and later ones ignored (limit)",
                d->lim.max_heaps * 4u, (unsigned long long)addr);
        return NULL;
    }
    h = calloc(1, sizeof *h);
    if (!h) return NULL;
    pp = vec_push(&s->heaps);
    if (!pp) { free(h); return NULL; }
    *pp = h;
    h->pub.address = addr;
    h->pub.ptr_size = ptr;
    h->pub.granularity = ptr == 8 ? 16 : 8;
    h->pub.view = view;
    h->pub.found_by = found;
    h->pub.peb_slot = slot;
    h->pub.owned = 1;
    h->pub.kind = HD_HEAP_NOT_A_HEAP;
    h->pub.kind_name = "not_a_heap";
    h->pub.layout = h->pub.layout_title = h->pub.label = h->pub.found_by_text = "";
    vec_init(&h->segments, sizeof(hd_heap_segment));
    vec_init(&h->ucrs, sizeof(hd_heap_ucr));
    vec_init(&h->ucr_first, sizeof(size_t));
    vec_init(&h->evidence, sizeof(hd_heap_evidence));
    vec_init(&h->problems, sizeof(const char *));
    vec_init(&h->checks, sizeof(hd_heap_check));
    vec_init(&h->buckets, sizeof(hd_lfh_bucket));
    if (isnew) *isnew = 1;
    return h;
}

static uint32_t os_build_of(hd_dump *d)
{
    const hd_process *p = hd_process_get(d);
    if (d->sys.present && d->sys.build) return d->sys.build;
    if (p->peb_count && p->pebs[0].readable) return p->pebs[0].os_build;
    return 0;
}

/* 1 when the captured bytes at A carry SIG at the pointer size's signature offset. */
static int has_sig(const hd_dump *d, uint64_t a, unsigned ptr, uint32_t *sig)
{
    return as_u32(d, a + (ptr == 8 ? 0x10 : 0x08), sig) == HD_OK &&
           (*sig == HL_SEGMENT_SIGNATURE || *sig == HL_SEGHEAP_SIGNATURE);
}

typedef struct extent { uint64_t start, end; } extent;

static int cmp_extent(const void *a, const void *b)
{
    const extent *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* End of the known heap extent containing VA (sorted, disjoint), or 0. */
static uint64_t inside(const extent *e, size_t n, uint64_t va)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].start <= va) lo = mid + 1; else hi = mid;
    }
    return lo > 0 && va < e[lo - 1].end ? e[lo - 1].end : 0;
}

typedef struct va_collect { vec *v; const hl_common *c; hd_dump *d; } va_collect;
static int on_va_extent(void *user, uint64_t link, int backward)
{
    va_collect *x = user;
    uint64_t reserve = 0;
    extent *e;
    (void)backward;
    as_ptr(x->d, link - x->c->va_entry + x->c->va_reserve_size, x->c->ptr, &reserve);
    hh_drop(x->d, link);
    if (!reserve || !(e = vec_push(x->v))) return 0;
    e->start = link - x->c->va_entry;
    e->end = e->start + reserve < e->start ? UINT64_MAX : e->start + reserve;
    return 0;
}

/* The memory the heaps known so far cover (segments, VirtualAlloc'd blocks): no other heap can
** start inside it, so the scan skips it (and does not fault its pages in). */
static void known_extents(hd_dump *d, struct hd_heapset *s, vec *v)
{
    size_t i, k;
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        va_collect x;
        if (h->pub.kind != HD_HEAP_NT && h->pub.kind != HD_HEAP_PAGE) continue;
        for (k = 0; k < h->pub.segment_count; k++) {
            const hd_heap_segment *sg = &h->pub.segments[k];
            extent *e;
            if (!sg->readable || !(e = vec_push(v))) continue;
            e->start = sg->address;
            e->end = sg->last_valid_entry;
        }
        x.v = v;
        x.c = h->c;
        x.d = d;
        /* quietly: the walk reports list damage, in order */
        {
            size_t nd = d->diags.items.len;
            uint64_t dropped = d->diags.dropped;
            size_t np = h->problems.len;
            hh_list_walk(d, NULL, h, h->pub.virtual_alloc_list, "VirtualAllocdBlocks", h->c->va_entry, NULL, on_va_extent, &x);
            d->diags.items.len = nd;
            d->diags.dropped = dropped;
            h->problems.len = np;
            h->pub.problem_count = np;
        }
    }
    hd_sort(v->data, v->len, sizeof(extent), cmp_extent);
    /* merge overlaps so that a binary search finds the one extent holding an address */
    for (i = k = 0; i < v->len; i++) {
        extent *x = VEC_AT(v, extent, i), *last = k ? VEC_AT(v, extent, k - 1) : NULL;
        if (last && x->start <= last->end) {
            if (x->end > last->end) last->end = x->end;
        } else {
            *VEC_AT(v, extent, k++) = *x;
        }
    }
    v->len = k;
}

static void scan(hd_dump *d, struct hd_heapset *s, const hd_process *p)
{
    unsigned ptrs[2], np = 0, k;
    size_t i, hits = 0;
    vec known;
    if (d->sys.arch == HD_ARCH_X64) {
        ptrs[np++] = 8;
        if (p->wow64) ptrs[np++] = 4;
    } else if (d->sys.arch == HD_ARCH_X86) {
        ptrs[np++] = 4;
    } else {
        return;
    }
    uint64_t scanned = 0, reported = 0;
    vec_init(&known, sizeof(extent));
    known_extents(d, s, &known);
    for (i = 0; i < d->ranges.len; i++) {
        const hd_range *r = VEC_AT(&d->ranges, hd_range, i);
        uint64_t a = (r->base + 0xFFFF) & ~(uint64_t)0xFFFF, end = r->base + r->size;
        scanned += r->size;
        if (scanned - reported >= ((uint64_t)256 << 20)) {
            core_progress(d, "finding heaps", scanned, d->captured, 0, 0, 0);
            reported = scanned;
        }
        while (a < end && a >= r->base) {
            const hd_region *g;
            uint64_t skip = inside(known.data, known.len, a);
            if (skip) {
                uint64_t nx = (skip + 0xFFFF) & ~(uint64_t)0xFFFF;
                if (nx <= a) break;
                a = nx;
                continue;
            }
            if (!(d->has_meminfo && (g = hd_region_find(d, a)) && g->type == HD_MEM_IMAGE)) {
                for (k = 0; k < np; k++) {
                    uint32_t sig;
                    int isnew;
                    if (!has_sig(d, a, ptrs[k], &sig)) continue;
                    if (++hits > d->lim.max_heaps) {
                        HD_DIAG(d, HD_SEV_WARN, HD_ELIMIT, "heap", a, "signature scan: more than %u hits, the rest ignored (limit)", d->lim.max_heaps);
                        vec_free(&known);
                        return;
                    }
                    add(d, s, a, ptrs[k], view_of_ptr(p, ptrs[k]), HD_FOUND_SCAN, -1, &isnew);
                }
                hh_drop(d, a);   /* one probe: do not keep the pages fault-around mapped */
            }
            a += 0x10000;
        }
    }
    if (reported) core_progress(d, NULL, scanned, d->captured, 0, 0, 0);   /* ended */
    vec_free(&known);
}

/* Classify every candidate not classified yet. */
static void classify_new(hd_dump *d, struct hd_heapset *s, size_t from, uint32_t build)
{
    size_t i;
    for (i = from; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if (h->pub.evidence_count || h->evidence.len) continue;
        hh_classify(d, h, build);
        h->pub.evidence = h->evidence.data;
        h->pub.evidence_count = h->evidence.len;
    }
}

/* §1.4: the 24H2 descriptor chain { Next, Prev, Heap } from the process heap's UserContext. */
static void descriptor_chain(hd_dump *d, struct hd_heapset *s, hh_heap *ph, uint32_t build)
{
    unsigned ptr = ph->pub.ptr_size;
    uint64_t uc_off, start, cur;
    hh_cycle cy;
    size_t before = s->heaps.len;
    if (ph->pub.kind == HD_HEAP_NT && ph->lay && ph->lay->user_context != HL_NA) uc_off = ph->lay->user_context;
    else if (ph->pub.kind == HD_HEAP_SEGMENT && ptr == 8 && build >= 26100) uc_off = 0x38;   /* §1.4 */
    else return;
    if (as_ptr(d, ph->pub.address + uc_off, ptr, &start) != HD_OK || !start) return;
    if (as_ptr(d, start, ptr, &cur) != HD_OK) {
        HD_DIAG(d, HD_SEV_WARN, HD_EUNMAPPED, "heap", start, "24H2 heap descriptor 0x%llx (UserContext of heap 0x%llx) is not captured: heaps missing from the PEB may be found only by the scan",
                (unsigned long long)start, (unsigned long long)ph->pub.address);
        return;
    }
    hh_cycle_init(&cy, start, d->lim.max_heaps);
    while (cur && cur != start) {
        uint64_t heap, next;
        uint32_t sig;
        if (as_ptr(d, cur + 2u * ptr, ptr, &heap) != HD_OK || as_ptr(d, cur, ptr, &next) != HD_OK) {
            HD_DIAG(d, HD_SEV_WARN, HD_EUNMAPPED, "heap", cur, "24H2 heap descriptor 0x%llx is not captured; chain cut", (unsigned long long)cur);
            break;
        }
        if (!heap || !has_sig(d, heap, ptr, &sig)) break;
        add(d, s, heap, ptr, ph->pub.view, HD_FOUND_DESCRIPTOR, -1, NULL);
        if (hh_cycle_step(&cy, next)) {
            HD_CORRUPT(d, "heap", cur, "24H2 heap descriptor chain loops or exceeds %u entries", d->lim.max_heaps);
            break;
        }
        cur = next;
    }
    classify_new(d, s, before, build);
}

static void set_text(hd_dump *d, hh_heap *h, const hd_process *p)
{
    char buf[256];
    size_t o = 0;
    const char *peb = "PEB";
    const hd_peb *pb = h->pub.view >= 0 ? &p->pebs[h->pub.view] : NULL;
    unsigned f = h->pub.found_by;
    if (p->wow64 && pb) peb = pb->ptr_size == 8 ? "PEB64" : "PEB32";
    buf[0] = 0;
#define APPEND(...) do { int n_ = snprintf(buf + o, sizeof buf - o, __VA_ARGS__); if (n_ > 0 && (size_t)n_ < sizeof buf - o) o += (size_t)n_; } while (0)
    if (f & HD_FOUND_PEB_LIST) APPEND("%s%s.ProcessHeaps[%d]", o ? ", " : "", peb, h->pub.peb_slot);
    if (f & HD_FOUND_PROCESS_HEAP) APPEND("%s%s.ProcessHeap", o ? ", " : "", peb);
    if (f & HD_FOUND_DESCRIPTOR) APPEND("%s24H2 heap descriptor chain", o ? ", " : "");
    if (f & HD_FOUND_RO_SHARED) APPEND("%s%s.ReadOnlySharedMemoryBase", o ? ", " : "", peb);
    if (f & HD_FOUND_SCAN) APPEND("%ssignature scan", o ? ", " : "");
    if (f & HD_FOUND_SEGMENT) APPEND("%sHeap pointer of a scanned segment", o ? ", " : "");
#undef APPEND
    h->pub.found_by_text = arena_strndup(&d->ar, buf, o);
    if (!h->pub.found_by_text) h->pub.found_by_text = "";

    /* label and ownership */
    if (h->pub.kind == HD_HEAP_NT || h->pub.kind == HD_HEAP_PAGE || h->pub.kind == HD_HEAP_SEGMENT) {
        const char *role;
        const hd_region *g = hd_region_find(d, h->pub.address);
        int listed = (f & (HD_FOUND_PEB_LIST | HD_FOUND_PROCESS_HEAP | HD_FOUND_DESCRIPTOR)) != 0;
        int at_ro = pb && pb->read_only_shared_memory_base == h->pub.address;
        size_t v;
        for (v = 0; v < p->peb_count && !at_ro; v++) at_ro = p->pebs[v].read_only_shared_memory_base == h->pub.address;
        if (pb && pb->process_heap == h->pub.address) role = "process heap";
        else if (h->pub.kind == HD_HEAP_SEGMENT) role = "segment heap";
        else role = hh_heap_class_name(h->pub.flags);
        if (!listed && (at_ro || (h->pub.flags & HL_HEAP_CLASS_MASK) == 0x7000 ||
                        (d->has_meminfo && g && g->type == HD_MEM_MAPPED))) {
            h->pub.owned = 0;
            h->pub.label = arena_printf(&d->ar, "%s%s (not owned by the process)", role,
                                        at_ro ? " at PEB.ReadOnlySharedMemoryBase" : ", mapped view");
        } else if (!listed) {
            h->pub.label = arena_printf(&d->ar, "%s (in no PEB list)", role);
        } else {
            h->pub.label = role;
        }
        if (!h->pub.label) h->pub.label = role;
    } else if (h->pub.kind == HD_HEAP_UNREADABLE) {
        h->pub.label = "memory not captured";
    } else if (!h->pub.label[0]) {
        h->pub.label = "not a heap";
    }
}

static int cmp_heap(const void *a, const void *b)
{
    const hh_heap *x = *(hh_heap *const *)a, *y = *(hh_heap *const *)b;
    int vx = x->pub.view < 0 ? 99 : x->pub.view, vy = y->pub.view < 0 ? 99 : y->pub.view;
    int lx = x->pub.peb_slot >= 0, ly = y->pub.peb_slot >= 0;
    int nx = x->pub.kind == HD_HEAP_NOT_A_HEAP, ny = y->pub.kind == HD_HEAP_NOT_A_HEAP;
    if (nx != ny) return nx - ny;
    if (vx != vy) return vx - vy;
    if (lx != ly) return ly - lx;
    if (lx && x->pub.peb_slot != y->pub.peb_slot) return x->pub.peb_slot - y->pub.peb_slot;
    return x->pub.address < y->pub.address ? -1 : x->pub.address > y->pub.address;
}

/* §10.2 step 3: all heaps of one pointer size come from one ntdll and share a layout. */
static void agree(hd_dump *d, struct hd_heapset *s, unsigned ptr)
{
    const char *names[8];
    unsigned votes[8] = {0}, n = 0, i, best = 0;
    size_t k;
    for (k = 0; k < s->heaps.len; k++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, k);
        if (h->pub.ptr_size != ptr || !h->lay) continue;
        for (i = 0; i < n && strcmp(names[i], h->lay->name); i++) {}
        if (i == n && n < 8) names[n++] = h->lay->name;
        if (i < n) votes[i]++;
    }
    if (n < 2) return;
    for (i = 1; i < n; i++) if (votes[i] > votes[best]) best = i;
    for (k = 0; k < s->heaps.len; k++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, k);
        if (h->pub.ptr_size != ptr || !h->lay || !strcmp(h->lay->name, names[best])) continue;
        HD_DIAG(d, HD_SEV_WARN, HD_ECORRUPT, "heap", h->pub.address,
                "heap 0x%llx scores best as %s while %u other %u-bit heap(s) of the process are %s (one ntdll per pointer size)",
                (unsigned long long)h->pub.address, h->lay->name, votes[best], ptr * 8, names[best]);
        hh_problem(d, h, "layout disagrees with the rest of the process (%s)", names[best]);
    }
}

static void build(hd_dump *d, struct hd_heapset *s)
{
    const hd_process *p = hd_process_get(d);
    uint32_t build = os_build_of(d);
    size_t v, i, k;
    /* 1. PEB lists */
    for (v = 0; v < p->peb_count; v++) {
        const hd_peb *pb = &p->pebs[v];
        if (!pb->readable) continue;
        for (i = 0; i < pb->heap_count; i++)
            if (pb->heaps[i]) add(d, s, pb->heaps[i], pb->ptr_size, (int)v, HD_FOUND_PEB_LIST, (int)i, NULL);
        if (pb->process_heap) add(d, s, pb->process_heap, pb->ptr_size, (int)v, HD_FOUND_PROCESS_HEAP, -1, NULL);
    }
    /* 2. ReadOnlySharedMemoryBase: a heap of whichever pointer size carries a signature there */
    for (v = 0; v < p->peb_count; v++) {
        const hd_peb *pb = &p->pebs[v];
        unsigned ptrs[2] = {8, 4};
        uint32_t sig;
        if (!pb->readable || !pb->read_only_shared_memory_base) continue;
        for (k = 0; k < 2; k++) {
            int vv = view_of_ptr(p, ptrs[k]);
            if (vv < 0 || !has_sig(d, pb->read_only_shared_memory_base, ptrs[k], &sig)) continue;
            add(d, s, pb->read_only_shared_memory_base, ptrs[k], vv, HD_FOUND_RO_SHARED, -1, NULL);
            break;
        }
    }
    /* the heaps named so far, with their segments: the scan skips their memory */
    classify_new(d, s, 0, build);
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if ((h->pub.kind == HD_HEAP_NT || h->pub.kind == HD_HEAP_PAGE) && !h->segments_read) hh_read_segments(d, h);
    }
    /* 3. the scan */
    scan(d, s, p);
    classify_new(d, s, 0, build);
    /* fold secondary segments into their heaps; an unknown owner becomes a candidate */
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        size_t before = s->heaps.len;
        if (!h->segment_of) continue;
        if (!find(s, h->segment_of, h->pub.ptr_size)) {
            add(d, s, h->segment_of, h->pub.ptr_size, h->pub.view, HD_FOUND_SEGMENT, -1, NULL);
            classify_new(d, s, before, build);
        }
    }
    /* 4. the 24H2 chain */
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if (h->pub.found_by & HD_FOUND_PROCESS_HEAP) descriptor_chain(d, s, h, build);
    }
    /* NT heaps: their segments; then segments the scan found that a cut SegmentList lost */
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if ((h->pub.kind == HD_HEAP_NT || h->pub.kind == HD_HEAP_PAGE) && !h->segments_read) hh_read_segments(d, h);
    }
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i), *owner;
        if (!h->segment_of || !(owner = find(s, h->segment_of, h->pub.ptr_size))) continue;
        if (owner->pub.kind == HD_HEAP_NT) hh_add_scanned_segment(d, owner, h->pub.address);
    }
    /* drop folded segments */
    for (i = k = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if (h->segment_of && !(h->pub.found_by & (HD_FOUND_PEB_LIST | HD_FOUND_PROCESS_HEAP | HD_FOUND_DESCRIPTOR))) {
            free_heap(h);
            continue;
        }
        *VEC_AT(&s->heaps, hh_heap *, k++) = h;
    }
    s->heaps.len = k;
    agree(d, s, 8);
    agree(d, s, 4);
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        set_text(d, h, p);
        h->pub.evidence = h->evidence.data;
        h->pub.evidence_count = h->evidence.len;
        h->pub.problems = h->problems.data;
        h->pub.problem_count = h->problems.len;
    }
    hd_sort(s->heaps.data, s->heaps.len, sizeof(hh_heap *), cmp_heap);
    for (i = 0; i < s->heaps.len; i++) (*VEC_AT(&s->heaps, hh_heap *, i))->pub.index = i;
}

struct hd_heapset *hh_set(hd_dump *d)
{
    struct hd_heapset *s = d->heaps;
    if (s) return s;
    s = calloc(1, sizeof *s);
    if (!s) return NULL;
    vec_init(&s->heaps, sizeof(hh_heap *));
    vec_init(&s->dt_rows, sizeof(hd_dt_row));
    d->heaps = s;
    if (core_on_close(d, release) != HD_OK) {
        d->heaps = NULL;
        free(s);
        return NULL;
    }
    s->built = 1;
    build(d, s);
    return s;
}

int hd_heaps_partial(const hd_dump *d)
{
    size_t i;
    if (!d->heaps || !d->heaps->built) return 0;
    for (i = 0; i < d->heaps->heaps.len; i++) {
        const hh_heap *h = *VEC_AT(&d->heaps->heaps, hh_heap *, i);
        if (h->pub.owned && h->pub.analyzed && h->pub.partial) return 1;
    }
    return 0;
}

size_t hd_heap_count(hd_dump *d)
{
    struct hd_heapset *s = hh_set(d);
    return s ? s->heaps.len : 0;
}

const hd_heap *hd_heap_at(hd_dump *d, size_t i)
{
    struct hd_heapset *s = hh_set(d);
    if (!s || i >= s->heaps.len) return NULL;
    return &(*VEC_AT(&s->heaps, hh_heap *, i))->pub;
}

const hd_heap *hd_heap_find(hd_dump *d, uint64_t addr)
{
    struct hd_heapset *s = hh_set(d);
    size_t i;
    if (!s) return NULL;
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if (h->pub.address == addr && h->pub.kind != HD_HEAP_NOT_A_HEAP) return &h->pub;
    }
    for (i = 0; i < s->heaps.len; i++) {
        hh_heap *h = *VEC_AT(&s->heaps, hh_heap *, i);
        if (h->pub.address == addr) return &h->pub;
    }
    return NULL;
}

const char *hd_stack_scheme_name(hd_stack_scheme s)
{
    switch (s) {
    case HD_STACK_UST_RECORD: return "ust_record";
    case HD_STACK_TRACE_INDEX: return "trace_index";
    case HD_STACK_PAGEHEAP: return "pageheap";
    default: return "none";
    }
}

const char *hd_block_kind_name(hd_block_kind k)
{
    static const char *n[] = {"backend", "lfh", "virtual", "pageheap", "internal"};
    return (unsigned)k < HD_ARRAY_LEN(n) ? n[k] : "unknown";
}

const char *hd_heap_flags_string(uint32_t flags, char *buf, size_t size)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {0x00000001, "HEAP_NO_SERIALIZE"}, {0x00000002, "HEAP_GROWABLE"},
        {0x00000004, "HEAP_GENERATE_EXCEPTIONS"}, {0x00000008, "HEAP_ZERO_MEMORY"},
        {0x00000010, "HEAP_REALLOC_IN_PLACE_ONLY"}, {0x00000020, "HEAP_TAIL_CHECKING_ENABLED"},
        {0x00000040, "HEAP_FREE_CHECKING_ENABLED"}, {0x00000080, "HEAP_DISABLE_COALESCE_ON_FREE"},
        {0x00000100, "HEAP_SETTABLE_USER_VALUE"}, {0x00000200, "HEAP_SETTABLE_USER_FLAG1"},
        {0x00000400, "HEAP_SETTABLE_USER_FLAG2"}, {0x00000800, "HEAP_SETTABLE_USER_FLAG3"},
        {0x00010000, "HEAP_CREATE_ALIGN_16"}, {0x00020000, "HEAP_CREATE_ENABLE_TRACING"},
        {0x00040000, "HEAP_CREATE_ENABLE_EXECUTE"}, {0x01000000, "HEAP_FLAG_PAGE_ALLOCS"},
        {0x08000000, "HEAP_CAPTURE_STACK_BACKTRACES"}, {0x10000000, "HEAP_SKIP_VALIDATION_CHECKS"},
        {0x20000000, "HEAP_VALIDATE_ALL_ENABLED"}, {0x40000000, "HEAP_VALIDATE_PARAMETERS_ENABLED"},
    };
    size_t i, o = 0;
    if (!size) return buf;
    buf[0] = 0;
    for (i = 0; i < HD_ARRAY_LEN(names); i++) {
        int n;
        if (!(flags & names[i].bit)) continue;
        n = snprintf(buf + o, size - o, "%s%s", o ? " " : "", names[i].name);
        if (n < 0 || (size_t)n >= size - o) break;
        o += (size_t)n;
    }
    if (flags & HL_HEAP_CLASS_MASK) {
        int n = snprintf(buf + o, size - o, "%sHEAP_CLASS_%u", o ? " " : "", (flags >> 12) & 0xF);
        if (n > 0 && (size_t)n < size - o) o += (size_t)n;
    }
    return buf;
}
