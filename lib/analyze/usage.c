/*
** usage.c - the address map: every memory region with the usage !address gives it, and the
** !address -summary totals.  Public API: the "Address map" section of heapdig.h.
**
** One area per region (MemoryInfoList entry, or captured range when the dump has none), so the
** region counts of the summary add up to the dump's own region count.  Usage comes from "claims":
** spans of the address space that a known object owns, one sorted, disjoint list per usage:
**
**   PEB    [PEB, PEB+1) of each view            TEB    [TEB, TEB+1), [TEB32, TEB32+1)
**   Stack  the thread's stack allocation (thread->stack_region_*, both views)
**   Heap   the allocation of each PEB-listed heap handle, and the ranges the heap walker marks
**   Other  KUSER_SHARED_DATA (0x7FFE0000, the same in x86 and x64 processes) and the allocation of
**          each PEB pointer to shared memory (read-only shared memory, NLS tables, API set map,
**          activation context data, GDI shared handle table)
**
** A region takes the first usage in the order Free (MEM_FREE), Image (MEM_IMAGE, or inside a
** listed module when the type is unknown), PEB, TEB, Stack, Heap, Other whose claims overlap it;
** else <unknown>.  Each lookup is a binary search over a disjoint list: O(n log m) in all.
** Where claims of one usage overlap, the one with the lower base keeps the overlap.
**
** WinDbg's percentages (checked against ../shared/seed in tests/unit/test_addrmap.c):
** %ofBusy = size / (sum of non-free regions), %ofTotal = size / (sum of all regions, free included).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core.h"
#include "../common/rd.h"
#include "../dump/dump_int.h"

typedef struct claim {
    uint64_t lo, hi;
    const hd_thread *thread;
    uint64_t heap;
    unsigned ptr_size;
    const char *detail;
} claim;

enum { C_PEB, C_TEB, C_STACK, C_HEAP, C_OTHER, C_COUNT };
static const hd_usage claim_usage[C_COUNT] = {HD_USAGE_PEB, HD_USAGE_TEB, HD_USAGE_STACK, HD_USAGE_HEAP, HD_USAGE_OTHER};

struct hd_addrmap {
    int built;
    vec areas;            /* hd_area, parallel to d->regions */
    vec walker;           /* hd_heap_range from hd_addrmap_mark_heap (details in the arena) */
    vec protect;          /* hd_protect_sum */
    hd_addr_summary sum;
};

#define KUSER_SHARED_DATA 0x7FFE0000u

const char *hd_usage_name(hd_usage u)
{
    static const char *const names[HD_USAGE_COUNT] = {"Free", "Image", "PEB", "TEB", "Stack", "Heap", "Other", "<unknown>"};
    return (unsigned)u < HD_USAGE_COUNT ? names[u] : "<unknown>";
}

const char *hd_state_name(uint32_t state)
{
    switch (state) {
    case HD_MEM_COMMIT: return "MEM_COMMIT";
    case HD_MEM_RESERVE: return "MEM_RESERVE";
    case HD_MEM_FREE: return "MEM_FREE";
    default: return "";
    }
}

const char *hd_type_name(uint32_t type)
{
    switch (type) {
    case HD_MEM_PRIVATE: return "MEM_PRIVATE";
    case HD_MEM_MAPPED: return "MEM_MAPPED";
    case HD_MEM_IMAGE: return "MEM_IMAGE";
    default: return "";
    }
}

const char *hd_protect_name(uint32_t protect, char *buf, size_t size)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        {0x01, "PAGE_NOACCESS"}, {0x02, "PAGE_READONLY"}, {0x04, "PAGE_READWRITE"},
        {0x08, "PAGE_WRITECOPY"}, {0x10, "PAGE_EXECUTE"}, {0x20, "PAGE_EXECUTE_READ"},
        {0x40, "PAGE_EXECUTE_READWRITE"}, {0x80, "PAGE_EXECUTE_WRITECOPY"}, {0x100, "PAGE_GUARD"},
        {0x200, "PAGE_NOCACHE"}, {0x400, "PAGE_WRITECOMBINE"},
        {0x40000000u, "PAGE_TARGETS_INVALID"},
    };
    size_t i, o = 0;
    uint32_t left = protect;
    if (!size) return buf;
    buf[0] = 0;
    for (i = 0; i < HD_ARRAY_LEN(names); i++) {
        int n;
        if (!(protect & names[i].bit)) continue;
        left &= ~names[i].bit;
        n = snprintf(buf + o, size - o, "%s%s", o ? "|" : "", names[i].name);
        if (n < 0 || (size_t)n >= size - o) return buf;
        o += (size_t)n;
    }
    if (left) snprintf(buf + o, size - o, "%s0x%x", o ? "|" : "", left);
    return buf;
}

/* ---- claims ------------------------------------------------------------------------------- */

static void add_claim(vec *v, uint64_t lo, uint64_t hi, const hd_thread *t, uint64_t heap, unsigned ptr, const char *detail)
{
    claim *c;
    if (hi <= lo) return;
    if (!(c = vec_push(v))) return;
    c->lo = lo;
    c->hi = hi;
    c->thread = t;
    c->heap = heap;
    c->ptr_size = ptr;
    c->detail = detail ? detail : "";
}

/* Claim the allocation holding VA (with a MemoryInfoList), else the captured range holding it,
** else just [va, va+1). */
static void add_alloc_claim(hd_dump *d, vec *v, uint64_t va, const hd_thread *t, uint64_t heap, unsigned ptr, const char *detail)
{
    uint64_t base, size;
    if (d->has_meminfo) {
        if (md_alloc_span(d, va, &base, &size)) add_claim(v, base, base + size, t, heap, ptr, detail);
        return;
    }
    add_claim(v, va, va == UINT64_MAX ? va : va + 1, t, heap, ptr, detail);
}

static int cmp_claim(const void *a, const void *b)
{
    const claim *x = a, *y = b;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    return x->hi > y->hi ? -1 : x->hi < y->hi;   /* the larger first: it keeps the overlap */
}

/* Sort and make disjoint: a claim overlapping an earlier one loses the overlap. */
static void normalise(vec *v)
{
    size_t i, o = 0;
    uint64_t end = 0;
    claim *c = v->data;
    if (!v->len) return;
    hd_sort(c, v->len, sizeof(claim), cmp_claim);
    for (i = 0; i < v->len; i++) {
        claim x = c[i];
        if (o && x.lo < end) {
            if (x.hi <= end) continue;
            x.lo = end;
        }
        c[o++] = x;
        end = x.hi;
    }
    v->len = o;
}

/* The first claim overlapping [lo, hi), or NULL (claims sorted and disjoint: hi ascending too). */
static const claim *find_claim(const vec *v, uint64_t lo, uint64_t hi)
{
    const claim *c = v->data;
    size_t a = 0, b = v->len;
    while (a < b) {   /* first claim with c.hi > lo */
        size_t mid = a + (b - a) / 2;
        if (c[mid].hi <= lo) a = mid + 1; else b = mid;
    }
    return a < v->len && c[a].lo < hi ? &c[a] : NULL;
}

static const char *thread_detail(hd_dump *d, const hd_thread *t, size_t idx, unsigned ptr)
{
    return arena_printf(&d->ar, "~%zu; tid 0x%x; %u-bit%s%s", idx, t->id, ptr * 8, t->name[0] ? "; " : "", t->name);
}

static void collect_claims(hd_dump *d, struct hd_addrmap *m, vec claims[C_COUNT])
{
    const hd_process *p = hd_process_get(d);
    size_t i, k;
    for (i = 0; i < p->peb_count; i++) {
        const hd_peb *pb = &p->pebs[i];
        unsigned ptr = pb->ptr_size;
        const char *view = ptr == 8 ? "64-bit PEB" : "32-bit PEB";
        struct { uint64_t va; const char *what; } other[] = {
            {pb->read_only_shared_memory_base, "Read Only Shared Memory"},
            {pb->read_only_static_server_data, "CSR Shared Memory"},
            {pb->ansi_code_page_data, "NLS Tables"},
            {pb->oem_code_page_data, "NLS Tables"},
            {pb->unicode_case_table_data, "NLS Tables"},
            {pb->api_set_map, "API Set Map"},
            {pb->activation_context_data, "Activation Context Data"},
            {pb->system_default_activation_context_data, "System Default Activation Context Data"},
            {pb->gdi_shared_handle_table, "GDI Shared Handle Table"},
        };
        add_claim(&claims[C_PEB], pb->address, pb->address + 1, NULL, 0, ptr, view);
        for (k = 0; k < pb->heap_count; k++) {
            const char *det = arena_printf(&d->ar, "ID: %zu; Handle: 0x%llx; %s%s", k, (unsigned long long)pb->heaps[k], view,
                                           pb->heaps[k] == pb->process_heap ? "; process heap" : "");
            if (pb->heaps[k]) add_alloc_claim(d, &claims[C_HEAP], pb->heaps[k], NULL, pb->heaps[k], ptr, det);
        }
        /* the process heap even when the ProcessHeaps array is not captured */
        if (pb->process_heap && !pb->heap_count) {
            const char *det = arena_printf(&d->ar, "Handle: 0x%llx; %s; process heap", (unsigned long long)pb->process_heap, view);
            add_alloc_claim(d, &claims[C_HEAP], pb->process_heap, NULL, pb->process_heap, ptr, det);
        }
        for (k = 0; k < HD_ARRAY_LEN(other); k++)
            if (other[k].va) add_alloc_claim(d, &claims[C_OTHER], other[k].va, NULL, 0, ptr, other[k].what);
    }
    add_alloc_claim(d, &claims[C_OTHER], KUSER_SHARED_DATA, NULL, 0, 0, "User Shared Data");
    for (i = 0; i < d->threads.len; i++) {
        const hd_thread *t = VEC_AT(&d->threads, hd_thread, i);
        unsigned ptr = p->arch == HD_ARCH_X86 ? 4 : 8;
        if (t->teb) add_claim(&claims[C_TEB], t->teb, t->teb + 1, t, 0, ptr, thread_detail(d, t, i, ptr));
        if (t->teb32) add_claim(&claims[C_TEB], t->teb32, t->teb32 + 1, t, 0, 4, thread_detail(d, t, i, 4));
        if (t->stack_region_size)
            add_claim(&claims[C_STACK], t->stack_region_base, t->stack_region_base + t->stack_region_size, t, 0, ptr, thread_detail(d, t, i, ptr));
        if (t->stack_region_size32)
            add_claim(&claims[C_STACK], t->stack_region_base32, t->stack_region_base32 + t->stack_region_size32, t, 0, 4, thread_detail(d, t, i, 4));
    }
    for (i = 0; i < m->walker.len; i++) {
        const hd_heap_range *h = VEC_AT(&m->walker, hd_heap_range, i);
        const hd_region *r;
        add_claim(&claims[C_HEAP], h->base, h->base + h->size, NULL, h->heap, h->ptr_size, h->detail);
        if (d->has_meminfo && (r = hd_region_find(d, h->base)) != NULL && r->alloc_base == h->base)
            add_alloc_claim(d, &claims[C_HEAP], h->base, NULL, h->heap, h->ptr_size, h->detail);
    }
    for (i = 0; i < C_COUNT; i++) normalise(&claims[i]);
}

/* ---- summary ---------------------------------------------------------------------------- */

static void sat_add(uint64_t *a, uint64_t b) { *a = *a > UINT64_MAX - b ? UINT64_MAX : *a + b; }
static void sum_add(hd_usage_sum *s, uint64_t size) { s->regions++; sat_add(&s->size, size); }

static int cmp_protect(const void *a, const void *b)
{
    const hd_protect_sum *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return x->protect < y->protect ? -1 : x->protect > y->protect;
}

static void summarise(hd_dump *d, struct hd_addrmap *m)
{
    hd_addr_summary *s = &m->sum;
    size_t i, k;
    memset(s, 0, sizeof *s);
    s->from_memory_info = d->has_meminfo;
    m->protect.len = 0;
    for (i = 0; i < m->areas.len; i++) {
        const hd_area *a = VEC_AT(&m->areas, hd_area, i);
        sat_add(&s->total, a->size);
        sum_add(&s->usage[a->usage], a->size);
        if (!s->largest[a->usage] || a->size > s->largest[a->usage]->size) s->largest[a->usage] = a;
        if (a->state == HD_MEM_FREE) { sum_add(&s->state_free, a->size); continue; }
        sat_add(&s->busy, a->size);
        if (a->state == HD_MEM_COMMIT) sum_add(&s->state_commit, a->size);
        else if (a->state == HD_MEM_RESERVE) sum_add(&s->state_reserve, a->size);
        else sum_add(&s->state_unknown, a->size);
        switch (a->type) {
        case HD_MEM_PRIVATE: sum_add(&s->type_private, a->size); break;
        case HD_MEM_MAPPED: sum_add(&s->type_mapped, a->size); break;
        case HD_MEM_IMAGE: sum_add(&s->type_image, a->size); break;
        default: sum_add(&s->type_unknown, a->size); break;
        }
        if (a->state != HD_MEM_COMMIT) continue;
        /* distinct Protect values: few in practice; past 256 they are lumped under 0xFFFFFFFF so a
        ** hostile dump cannot make this quadratic */
        for (k = 0; k < m->protect.len; k++)
            if (VEC_AT(&m->protect, hd_protect_sum, k)->protect == a->protect) break;
        if (k == m->protect.len && k >= 256) {
            for (k = 0; k < m->protect.len; k++)
                if (VEC_AT(&m->protect, hd_protect_sum, k)->protect == 0xFFFFFFFFu) break;
        }
        if (k == m->protect.len) {
            hd_protect_sum *ps = vec_push(&m->protect);
            if (!ps) continue;
            ps->protect = m->protect.len > 256 ? 0xFFFFFFFFu : a->protect;
        }
        {
            hd_protect_sum *ps = VEC_AT(&m->protect, hd_protect_sum, k);
            ps->regions++;
            sat_add(&ps->size, a->size);
        }
    }
    if (m->protect.len) hd_sort(m->protect.data, m->protect.len, sizeof(hd_protect_sum), cmp_protect);
    s->protect = m->protect.data;
    s->protect_count = m->protect.len;
}

/* ---- build ------------------------------------------------------------------------------- */

static void amap_free(hd_dump *d)
{
    struct hd_addrmap *m = d->amap;
    if (!m) return;
    vec_free(&m->areas);
    vec_free(&m->walker);
    vec_free(&m->protect);
    free(m);
    d->amap = NULL;
}

static struct hd_addrmap *amap_get(hd_dump *d)
{
    struct hd_addrmap *m = d->amap;
    if (m) return m;
    if (!(m = calloc(1, sizeof *m))) return NULL;
    if (core_on_close(d, amap_free) != HD_OK) { free(m); return NULL; }
    vec_init(&m->areas, sizeof(hd_area));
    vec_init(&m->walker, sizeof(hd_heap_range));
    vec_init(&m->protect, sizeof(hd_protect_sum));
    d->amap = m;
    return m;
}

static void build(hd_dump *d, struct hd_addrmap *m)
{
    vec claims[C_COUNT];
    size_t i, c;
    m->built = 1;
    m->areas.len = 0;
    for (c = 0; c < C_COUNT; c++) vec_init(&claims[c], sizeof(claim));
    collect_claims(d, m, claims);
    if (vec_reserve(&m->areas, d->regions.len) != HD_OK) {
        HD_DIAG_NOADDR(d, HD_SEV_ERROR, HD_ENOMEM, "address", "out of memory building the address map (%zu regions)", d->regions.len);
        goto out;
    }
    for (i = 0; i < d->regions.len; i++) {
        const hd_region *r = VEC_AT(&d->regions, hd_region, i);
        hd_area *a = vec_push(&m->areas);
        uint64_t end = r->base + r->size;   /* regions never wrap (mdmp.c clips them) */
        a->base = r->base;
        a->size = r->size;
        a->alloc_base = r->alloc_base;
        a->alloc_protect = r->alloc_protect;
        a->state = r->state;
        a->protect = r->protect;
        a->type = d->has_meminfo ? r->type : 0;
        a->detail = "";
        a->usage = HD_USAGE_UNKNOWN;
        a->captured = hd_captured_in(d, r->base, r->size);
        if (r->state == HD_MEM_FREE) {
            a->usage = HD_USAGE_FREE;
            continue;
        }
        if (a->type == HD_MEM_IMAGE || (!d->has_meminfo && hd_module_find(d, r->base))) {
            a->usage = HD_USAGE_IMAGE;
            a->module = hd_module_find(d, r->alloc_base);
            if (!a->module) a->module = hd_module_find(d, r->base);
            a->detail = a->module ? a->module->path : "";
            if (!a->module) {   /* an image nobody lists, e.g. the API set schema on Win7 */
                const claim *k = find_claim(&claims[C_OTHER], r->base, end);
                if (k) a->detail = k->detail;
            }
            continue;
        }
        for (c = 0; c < C_COUNT; c++) {
            const claim *k = find_claim(&claims[c], r->base, end);
            if (!k) continue;
            a->usage = claim_usage[c];
            a->thread = k->thread;
            a->heap = k->heap;
            a->ptr_size = k->ptr_size;
            a->detail = k->detail;
            break;
        }
    }
out:
    for (c = 0; c < C_COUNT; c++) vec_free(&claims[c]);
    summarise(d, m);
}

static struct hd_addrmap *amap_built(hd_dump *d)
{
    struct hd_addrmap *m = amap_get(d);
    if (m && !m->built) build(d, m);
    return m;
}

size_t hd_area_count(hd_dump *d)
{
    struct hd_addrmap *m = amap_built(d);
    return m ? m->areas.len : 0;
}

const hd_area *hd_area_at(hd_dump *d, size_t i)
{
    struct hd_addrmap *m = amap_built(d);
    return m ? vec_at(&m->areas, i) : NULL;
}

const hd_area *hd_area_find(hd_dump *d, uint64_t va)
{
    struct hd_addrmap *m = amap_built(d);
    const hd_area *a;
    size_t lo = 0, hi;
    if (!m) return NULL;
    a = m->areas.data;
    hi = m->areas.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].base <= va) lo = mid + 1; else hi = mid;
    }
    return lo && va - a[lo - 1].base < a[lo - 1].size ? &a[lo - 1] : NULL;
}

hd_err hd_addrmap_mark_heap(hd_dump *d, const hd_heap_range *ranges, size_t n)
{
    struct hd_addrmap *m;
    size_t i;
    if (!d || (n && !ranges)) return HD_EINVAL;
    if (!(m = amap_get(d))) return HD_ENOMEM;
    if (vec_reserve(&m->walker, m->walker.len + n) != HD_OK) return HD_ENOMEM;
    for (i = 0; i < n; i++) {
        hd_heap_range h = ranges[i];
        if (h.size == 0) continue;
        if (h.base > UINT64_MAX - h.size) h.size = UINT64_MAX - h.base;
        h.detail = h.detail ? arena_strndup(&d->ar, h.detail, strlen(h.detail)) : NULL;
        if (!h.detail) h.detail = arena_printf(&d->ar, "Handle: 0x%llx", (unsigned long long)h.heap);
        *(hd_heap_range *)vec_push(&m->walker) = h;
    }
    m->built = 0;   /* rebuilt on next use */
    return HD_OK;
}

const hd_addr_summary *hd_addr_summary_get(hd_dump *d)
{
    static const hd_addr_summary empty;
    struct hd_addrmap *m = amap_built(d);
    return m ? &m->sum : &empty;
}
