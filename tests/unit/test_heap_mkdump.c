/*
** test_heap_mkdump.c - the heap walker against mkdump's ground truth, block by block.
**
** mkdump (tools/mkdump, an independent reading of the layout reference that shares nothing with
** lib/heap) writes a dump and a manifest of everything it put there (docs/manifest.md).  For every
** layout, several seeds and scenarios (the .scn files of tests/data/heap), this test generates the dump at
** test time, walks it with the library and requires:
**   - every heap of the manifest found, with its kind, pointer size, layout family, flags and
**     how it is listed; no NT heap found that the manifest does not have;
**   - segments and UCRs equal; every block equal: address, user address, size, user size, state,
**     kind (VirtualAlloc blocks: entry, commit and reserve sizes too);
**   - the totals equal (the manifest's definitions are the library's);
**   - the allocation stack each busy block references resolves (lib/stack) to the manifest's frames;
**   - every injected corruption reported at its address, everything else still walked.
** The dumps are deleted after each comparison.
*/
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heapdig.h"
#include "tjson.h"

typedef struct blk {
    uint64_t address, user_address, size, user_size, va_entry, commit, reserve;
    int busy, kind, damaged, soft;       /* soft: manifest says corrupt / not captured */
    int scheme;
    uint64_t ref;
    const tj *stack_raw;
} blk;

typedef struct blkv { blk *v; size_t n, cap; } blkv;

static blk *push(blkv *b)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 1024;
        blk *nv = realloc(b->v, nc * sizeof *nv);
        assert_non_null(nv);
        b->v = nv;
        b->cap = nc;
    }
    memset(&b->v[b->n], 0, sizeof b->v[0]);
    return &b->v[b->n++];
}

static int cmp_blk(const void *a, const void *b)
{
    const blk *x = a, *y = b;
    return x->address < y->address ? -1 : x->address > y->address;
}

static int on_block(void *user, const hd_block *b)
{
    blk *x = push(user);
    x->address = b->address;
    x->user_address = b->user_address;
    x->size = b->size;
    x->user_size = b->user_size;
    x->busy = b->state == HD_BLOCK_BUSY;
    x->kind = (int)b->kind;
    x->damaged = b->damaged;
    x->va_entry = b->va_entry;
    x->commit = b->commit_size;
    x->reserve = b->reserve_size;
    x->scheme = (int)b->stack_scheme;
    x->ref = b->stack_ref;
    return 0;
}

static int kind_of(const char *k)
{
    static const char *names[] = {"backend", "lfh", "virtual", "pageheap", "internal"};
    int i;
    for (i = 0; i < 5; i++) if (k && !strcmp(k, names[i])) return i;
    fail_msg("unknown block kind %s", k ? k : "(null)");
    return -1;
}

/* The manifest's _HEAP column (heap_layout "win7", "win8", "1607", "1809"; older manifests:
** layout "Win7 x64", "Win8-1511 x86", "1607-1803 x64", "1809+ x64") -> ours. */
static const char *layout_of(const tj *mh, uint32_t build)
{
    const char *m = tj_str(tj_get(mh, "heap_layout"));
    if (!m) m = tj_str(tj_get(mh, "layout"));
    if (!m) return "?";
    if (!strncmp(m, "Win7", 4) || !strcmp(m, "win7")) return "win7";
    if (!strncmp(m, "Win8", 4) || !strcmp(m, "win8")) return "win8";
    if (!strncmp(m, "1607", 4)) return "win10_1607";
    if (!strncmp(m, "1809", 4)) return build >= 26100 ? "win11_24h2" : "win10_1809";
    return "?";
}

typedef struct result { size_t heaps, blocks, mismatches, stack_checked, stack_bad; } result;

static void compare_blocks(hd_dump *d, const hd_heap *h, const tj *mh, result *res, const char *what)
{
    blkv mine = {NULL, 0, 0}, truth = {NULL, 0, 0};
    const tj *blocks = tj_get(mh, "blocks");
    size_t i, j, bad = 0;
    for (i = 0; i < tj_len(blocks); i++) {
        const tj *b = tj_at(blocks, i);
        blk *x = push(&truth);
        x->address = tj_u64(tj_get(b, "address"));
        x->user_address = tj_u64(tj_get(b, "user_address"));
        x->size = tj_u64(tj_get(b, "size"));
        x->user_size = tj_u64(tj_get(b, "user_size"));
        x->busy = !strcmp(tj_str(tj_get(b, "state")), "busy");
        x->kind = kind_of(tj_str(tj_get(b, "kind")));
        x->va_entry = tj_u64(tj_get(b, "va_entry"));
        x->commit = tj_u64(tj_get(b, "commit_size"));
        x->reserve = tj_u64(tj_get(b, "reserve_size"));
        x->soft = tj_has(b, "corrupt") || (tj_has(b, "captured") && !tj_bool(tj_get(b, "captured")));
        x->stack_raw = tj_get(b, "stack_raw");
    }
    assert_int_equal(hd_heap_walk(d, h, on_block, &mine), HD_OK);
    qsort(mine.v, mine.n, sizeof(blk), cmp_blk);
    qsort(truth.v, truth.n, sizeof(blk), cmp_blk);
    for (i = j = 0; i < truth.n || j < mine.n;) {
        const blk *t = i < truth.n ? &truth.v[i] : NULL, *m = j < mine.n ? &mine.v[j] : NULL;
        if (t && (!m || t->address < m->address)) {
            if (!t->soft && bad++ < 12)
                print_message("%s heap 0x%llx: manifest block 0x%llx (kind %d, size 0x%llx) not walked\n", what,
                              (unsigned long long)h->address, (unsigned long long)t->address, t->kind, (unsigned long long)t->size);
            i++;
            continue;
        }
        if (m && (!t || m->address < t->address)) {
            if (!m->damaged && bad++ < 12)
                print_message("%s heap 0x%llx: walked block 0x%llx (kind %d, size 0x%llx) not in the manifest\n", what,
                              (unsigned long long)h->address, (unsigned long long)m->address, m->kind, (unsigned long long)m->size);
            j++;
            continue;
        }
        /* same address */
        if (!t->soft) {
            int ok = t->user_address == m->user_address && t->size == m->size && t->user_size == m->user_size &&
                     t->busy == m->busy && t->kind == m->kind && !m->damaged &&
                     t->va_entry == m->va_entry && t->commit == m->commit && t->reserve == m->reserve;
            if (!ok && bad++ < 12)
                print_message("%s heap 0x%llx block 0x%llx: manifest user 0x%llx size 0x%llx usize 0x%llx %s kind %d | walk user 0x%llx "
                              "size 0x%llx usize 0x%llx %s kind %d%s\n", what, (unsigned long long)h->address, (unsigned long long)t->address,
                              (unsigned long long)t->user_address, (unsigned long long)t->size, (unsigned long long)t->user_size,
                              t->busy ? "busy" : "free", t->kind, (unsigned long long)m->user_address, (unsigned long long)m->size,
                              (unsigned long long)m->user_size, m->busy ? "busy" : "free", m->kind, m->damaged ? " DAMAGED" : "");
            /* the stack the walker points at resolves to the manifest's frames */
            if (ok && t->busy && tj_len(t->stack_raw)) {
                const hd_stack *st = NULL;
                size_t k;
                int good = m->scheme != HD_STACK_NONE &&
                           hd_stack_resolve(d, m->scheme, m->ref, h->ptr_size, &st) == HD_OK && st->depth == tj_len(t->stack_raw);
                for (k = 0; good && k < st->depth; k++) good = st->frames[k] == tj_u64(tj_at(t->stack_raw, k));
                res->stack_checked++;
                if (!good && res->stack_bad++ < 5)
                    print_message("%s heap 0x%llx block 0x%llx: stack scheme %d ref 0x%llx does not resolve to the manifest's %zu frames\n", what,
                                  (unsigned long long)h->address, (unsigned long long)t->address, m->scheme, (unsigned long long)m->ref,
                                  tj_len(t->stack_raw));
            } else if (ok && t->busy && !tj_len(t->stack_raw) && t->kind != HD_BLOCK_INTERNAL && m->scheme != HD_STACK_NONE) {
                /* the walker must not invent a stack where the dump records none */
                res->stack_checked++;
                if (res->stack_bad++ < 5)
                    print_message("%s block 0x%llx: walker reports stack scheme %d but the manifest has none\n", what,
                                  (unsigned long long)t->address, m->scheme);
            }
        }
        i++;
        j++;
    }
    res->blocks += truth.n;
    res->mismatches += bad;
    free(mine.v);
    free(truth.v);
}

static void compare_totals(const hd_heap *h, const tj *t, result *res, const char *what)
{
    static const char *keys[] = {"busy_blocks", "busy_user_bytes", "busy_block_bytes", "free_blocks", "free_bytes", "lfh_blocks",
                                 "lfh_free_blocks", "virtual_blocks", "virtual_bytes", "internal_blocks"};
    uint64_t mine[10];
    size_t i;
    mine[0] = h->totals.busy_blocks;
    mine[1] = h->totals.busy_user_bytes;
    mine[2] = h->totals.busy_block_bytes;
    mine[3] = h->totals.free_blocks;
    mine[4] = h->totals.free_bytes;
    mine[5] = h->totals.lfh_blocks;
    mine[6] = h->totals.lfh_free;
    mine[7] = h->totals.virtual_blocks;
    mine[8] = h->totals.virtual_bytes;
    mine[9] = h->totals.internal_blocks;
    for (i = 0; i < 10; i++)
        if (tj_has(t, keys[i]) && tj_u64(tj_get(t, keys[i])) != mine[i]) {
            print_message("%s heap 0x%llx: total %s: manifest %llu, walk %llu\n", what, (unsigned long long)h->address, keys[i],
                          (unsigned long long)tj_u64(tj_get(t, keys[i])), (unsigned long long)mine[i]);
            res->mismatches++;
        }
    if (tj_has(t, "segments") && tj_u64(tj_get(t, "segments")) != h->segment_count) {
        print_message("%s heap 0x%llx: %zu segments, manifest %llu\n", what, (unsigned long long)h->address, h->segment_count,
                      (unsigned long long)tj_u64(tj_get(t, "segments")));
        res->mismatches++;
    }
}

static void compare_segments(const hd_heap *h, const tj *segs, result *res, const char *what)
{
    size_t i, k;
    if (tj_len(segs) != h->segment_count) {
        print_message("%s heap 0x%llx: %zu segments walked, manifest %zu\n", what, (unsigned long long)h->address, h->segment_count, tj_len(segs));
        res->mismatches++;
        return;
    }
    for (i = 0; i < tj_len(segs); i++) {
        const tj *s = tj_at(segs, i), *ucrs = tj_get(s, "ucrs");
        const hd_heap_segment *m = NULL;
        for (k = 0; k < h->segment_count; k++)
            if (h->segments[k].address == tj_u64(tj_get(s, "base"))) m = &h->segments[k];
        if (!m || m->reserved != tj_u64(tj_get(s, "reserved")) || m->committed != tj_u64(tj_get(s, "committed")) ||
            m->first_entry != tj_u64(tj_get(s, "first_entry")) || m->last_valid_entry != tj_u64(tj_get(s, "last_valid_entry")) ||
            m->ucr_count != tj_len(ucrs)) {
            print_message("%s heap 0x%llx: segment 0x%llx differs from the manifest\n", what, (unsigned long long)h->address,
                          (unsigned long long)tj_u64(tj_get(s, "base")));
            res->mismatches++;
            continue;
        }
        for (k = 0; k < tj_len(ucrs); k++) {
            const tj *u = tj_at(ucrs, k);
            size_t q;
            int found = 0;
            for (q = 0; q < m->ucr_count; q++)
                if (m->ucrs[q].address == tj_u64(tj_get(u, "address")) && m->ucrs[q].size == tj_u64(tj_get(u, "size")) &&
                    (!tj_has(u, "descriptor") || m->ucrs[q].descriptor == tj_u64(tj_get(u, "descriptor")))) found = 1;
            if (!found) {
                print_message("%s heap 0x%llx: UCR 0x%llx not found\n", what, (unsigned long long)h->address,
                              (unsigned long long)tj_u64(tj_get(u, "address")));
                res->mismatches++;
            }
        }
    }
}

/* Generate LAYOUT x SCENARIO x SEED, compare, delete. */
static result run_case(const char *layout, const char *scenario, unsigned seed, const char *scale)
{
    char dmp[1024], man[1024], what[256], scn[1024];
    tj_doc *doc;
    const tj *root, *heaps, *corr;
    hd_dump *d = NULL;
    result res;
    size_t i, k;
    uint32_t build;
    memset(&res, 0, sizeof res);
    snprintf(what, sizeof what, "[%s %s seed %u]", layout, scenario, seed);
    snprintf(dmp, sizeof dmp, "%s", tu_data_path("mk_case.dmp"));
    snprintf(man, sizeof man, "%s", tu_data_path("mk_case.json"));
    if (!strcmp(scenario, "default") || !strcmp(scenario, "seed") || !strcmp(scenario, "bench"))
        snprintf(scn, sizeof scn, "%s", scenario);
    else
        snprintf(scn, sizeof scn, "%s/tests/data/heap/%s", HD_SOURCE_DIR, scenario);
    if (tu_mkdump(layout, scn, seed, strtod(scale, NULL), dmp, man) != 0) fail_msg("%s: mkdump failed (scale %s)", what, scale);
    doc = tj_parse_file(man);
    assert_non_null(doc);
    root = tj_root(doc);
    heaps = tj_get(root, "heaps");
    build = (uint32_t)tj_u64(tj_path(root, "process", "os", "build", NULL));
    assert_int_equal(hd_open(dmp, NULL, &d), HD_OK);
    for (i = 0; i < tj_len(heaps); i++) {
        const tj *mh = tj_at(heaps, i);
        uint64_t addr = tj_u64(tj_get(mh, "address"));
        const hd_heap *h = hd_heap_find(d, addr);
        const char *mk = tj_str(tj_get(mh, "kind")), *fin = tj_str(tj_get(mh, "found_in"));
        if (!h) fail_msg("%s: heap 0x%llx of the manifest not found", what, (unsigned long long)addr);
        res.heaps++;
        assert_int_equal(h->ptr_size, !strcmp(tj_str(tj_get(mh, "arch")), "x64") ? 8 : 4);
        if (!strcmp(mk, "pageheap")) assert_int_equal(h->kind, HD_HEAP_PAGE);
        else assert_int_equal(h->kind, HD_HEAP_NT);
        assert_string_equal(h->layout, layout_of(mh, build));
        assert_int_equal(h->flags, tj_u64(tj_get(mh, "flags")));
        assert_int_equal(h->force_flags, tj_u64(tj_get(mh, "force_flags")));
        if (fin && strcmp(fin, "none")) assert_true(h->found_by & HD_FOUND_PEB_LIST);
        if (fin && !strcmp(fin, "none")) assert_false(h->found_by & HD_FOUND_PEB_LIST);
        if (tj_str(tj_get(mh, "found_via")) && !strcmp(tj_str(tj_get(mh, "found_via")), "descriptor-chain"))
            assert_true(h->found_by & HD_FOUND_DESCRIPTOR);
        if (tj_has(mh, "process_heaps_index")) assert_int_equal(h->process_heaps_list_index, tj_u64(tj_get(mh, "process_heaps_index")));
        if (tj_has(mh, "front_end_type")) assert_int_equal(h->front_end_type, tj_u64(tj_get(mh, "front_end_type")));
        compare_blocks(d, h, mh, &res, what);
        assert_true(h->analyzed);
        {
            /* memory left out of the dump makes the walk's totals lower bounds: compare them (and
            ** the segments, whose UCR lists may sit in the missing part) only when nothing of this
            ** heap is missing */
            const tj *cl = tj_get(root, "corruptions");
            int missing = 0;
            for (k = 0; k < tj_len(cl); k++) {
                const char *ck = tj_str(tj_get(tj_at(cl, k), "kind"));
                if (tj_u64(tj_get(tj_at(cl, k), "heap")) == addr && (!strcmp(ck, "truncated-range") || !strcmp(ck, "missing-memory")))
                    missing = 1;
            }
            if (!missing) {
                compare_totals(h, tj_get(mh, "totals"), &res, what);
                compare_segments(h, tj_get(mh, "segments"), &res, what);
            } else {
                assert_true(h->partial);
            }
        }
        /* RtlpLFHKey: the headers mix in its low 32 bits (§6.4), which is what can be recovered */
        if (tj_has(mh, "lfh_key") && h->lfh_key_known && (uint32_t)h->lfh_key != (uint32_t)tj_u64(tj_get(mh, "lfh_key"))) {
            print_message("%s heap 0x%llx: LFH key 0x%llx, manifest 0x%llx\n", what, (unsigned long long)addr, (unsigned long long)h->lfh_key,
                          (unsigned long long)tj_u64(tj_get(mh, "lfh_key")));
            res.mismatches++;
        }
    }
    /* no NT heap that the manifest does not have */
    for (k = 0; k < hd_heap_count(d); k++) {
        const hd_heap *h = hd_heap_at(d, k);
        int listed = 0;
        if (h->kind != HD_HEAP_NT && h->kind != HD_HEAP_PAGE) continue;
        for (i = 0; i < tj_len(heaps); i++) listed |= tj_u64(tj_get(tj_at(heaps, i), "address")) == h->address;
        if (!listed) {
            print_message("%s: heap 0x%llx found but not in the manifest\n", what, (unsigned long long)h->address);
            res.mismatches++;
        }
    }
    /* every injected corruption is reported at its address */
    corr = tj_get(root, "corruptions");
    for (i = 0; i < tj_len(corr); i++) {
        uint64_t at = tj_u64(tj_get(tj_at(corr, i), "address"));
        int seen = 0;
        for (k = 0; k < hd_diag_count(d); k++) {
            const hd_diag *g = hd_diag_get(d, k);
            if (g->has_addr && g->addr == at && g->sev >= HD_SEV_WARN) seen = 1;
        }
        if (!seen) {
            print_message("%s: corruption %s at 0x%llx not reported there\n", what, tj_str(tj_get(tj_at(corr, i), "kind")),
                          (unsigned long long)at);
            for (k = 0; k < hd_diag_count(d) && k < 10; k++)
                print_message("   diag 0x%llx %s\n", (unsigned long long)hd_diag_get(d, k)->addr, hd_diag_get(d, k)->msg);
            res.mismatches++;
        }
    }
    if (!tj_len(corr)) {
        /* an undamaged dump: no error, and every reconciliation holds */
        for (k = 0; k < hd_diag_count(d); k++) {
            const hd_diag *g = hd_diag_get(d, k);
            if (g->sev >= HD_SEV_WARN && !strcmp(g->area, "heap")) {
                print_message("%s: unexpected diagnostic at 0x%llx: %s\n", what, (unsigned long long)g->addr, g->msg);
                res.mismatches++;
            }
        }
    }
    hd_close(d);
    tj_free(doc);
    unlink(dmp);
    unlink(man);
    return res;
}

static const char *const LAYOUTS[] = {"win7-x86", "win7-x64", "win81-x86", "win81-x64", "win10-1607-x64", "win10-x86",
                                      "win10-x64", "win11-x64", "win11-24h2-x64", "win7-wow64", "win10-wow64", NULL};

static void run_matrix_layouts(const char *scenario, const unsigned *seeds, const char *scale, const char *const *layouts)
{
    size_t i, s;
    result total;
    memset(&total, 0, sizeof total);
    for (i = 0; layouts[i]; i++)
        for (s = 0; seeds[s]; s++) {
            result r = run_case(layouts[i], scenario, seeds[s], scale);
            total.heaps += r.heaps;
            total.blocks += r.blocks;
            total.mismatches += r.mismatches;
            total.stack_checked += r.stack_checked;
            total.stack_bad += r.stack_bad;
        }
    print_message("%s: %zu heaps, %zu manifest blocks, %zu stacks checked; %zu mismatches, %zu bad stacks\n", scenario, total.heaps,
                  total.blocks, total.stack_checked, total.mismatches, total.stack_bad);
    assert_true(total.blocks > 0);
    assert_int_equal(total.mismatches, 0);
    assert_int_equal(total.stack_bad, 0);
}

static void run_matrix(const char *scenario, const unsigned *seeds, const char *scale)
{
    run_matrix_layouts(scenario, seeds, scale, LAYOUTS);
}

static void test_default(void **state)
{
    static const unsigned seeds[] = {1, 7, 0};
    (void)state;
    run_matrix("default", seeds, "0.15");
}

/* One injected damage per scenario (docs/manifest.md "Corruptions"), on every layout: reported
** at the manifest's address, everything not damaged still walked and equal. */
static void test_corruptions(void **state)
{
    static const unsigned seeds[] = {1, 0};
    static const char *const kinds[] = {"corrupt-bad-checksum.scn", "corrupt-broken-link.scn", "corrupt-cyclic-list.scn",
                                        "corrupt-truncated-range.scn", "corrupt-missing-memory.scn", NULL};
    size_t k;
    (void)state;
    for (k = 0; kinds[k]; k++) run_matrix(kinds[k], seeds, "1");
}

/* LFH under +ust, the classic stack trace database, no +ust, a heap in no list; two seeds. */
static void test_scenarios(void **state)
{
    static const unsigned seeds[] = {3, 11, 0};
    static const char *const scn[] = {"lfh-ust.scn", "ust-classic.scn", "no-ust.scn", "unlisted.scn", NULL};
    size_t k;
    (void)state;
    for (k = 0; scn[k]; k++) run_matrix(scn[k], seeds, "1");
}

/* The seed (../shared/seed): mkdump's "seed" scenario at scale 1 rebuilds the process of the
** WinDbg write-up (13.7 GB, sparse on disk).  Besides the block-by-block comparison, the numbers the
** seed shows: heap 29fb0000 with Reserv(k) 88320, Commit(k) 67408 and 189 VirtualAlloc'd blocks
** (`!heap -s`), and the 16 MB blocks as `!heap -p -a` printed one: HEAP_ENTRY = entry + 0x30, Size
** column 100100 (CommitSize / 16), UserPtr = entry + 0x60, UserSize 1000040. */
typedef struct seedc { uint64_t va, va16, bad; } seedc;
static int seed_cb(void *user, const hd_block *b)
{
    seedc *c = user;
    if (!b->va_entry) return 0;
    c->va++;
    if (b->user_size == 0x1000040) {
        c->va16++;
        if (b->address != b->va_entry + 0x30 || b->user_address != b->va_entry + 0x60 || b->size / 16 != 0x100100 ||
            b->stack_scheme != HD_STACK_UST_RECORD)
            c->bad++;
    }
    return 0;
}

static void test_seed(void **state)
{
    static const unsigned seeds[] = {1, 0};
    hd_dump *d = NULL;
    const hd_heap *h;
    seedc c = {0, 0, 0};
    uint64_t reserved = 0, committed = 0;
    size_t k;
    (void)state;
    run_matrix_layouts("seed", seeds, "1", (const char *const[]){"win7-x64", "win10-x64", NULL});
    if (tu_mkdump("win7-x64", "seed", 1, 1, tu_data_path("mk_seed.dmp"), NULL) != 0) fail_msg("mkdump failed (seed, scale 1)");
    assert_int_equal(hd_open(tu_data_path("mk_seed.dmp"), NULL, &d), HD_OK);
    h = hd_heap_find(d, 0x29fb0000);
    assert_non_null(h);
    assert_int_equal(hd_heap_walk(d, h, seed_cb, &c), HD_OK);
    for (k = 0; k < h->segment_count; k++) {
        reserved += h->segments[k].reserved;
        committed += h->segments[k].committed;
    }
    assert_int_equal(reserved / 1024, 88320);
    assert_int_equal(committed / 1024, 67408);
    assert_int_equal(c.va, 189);
    assert_int_equal(h->totals.virtual_blocks, 189);
    assert_true(c.va16 > 0);
    assert_int_equal(c.bad, 0);
    hd_close(d);
    unlink(tu_data_path("mk_seed.dmp"));
}

/* Page heaps: skipped while the generator writes no DPH structures (its manifest then has no
** block of kind "pageheap"). */
static void test_pageheap(void **state)
{
    static const unsigned seeds[] = {5, 0};
    char cmd[4096];
    tj_doc *doc;
    size_t i, k, n = 0;
    (void)state;
    snprintf(cmd, sizeof cmd, "%s/tests/data/heap/pageheap.scn", HD_SOURCE_DIR);
    if (tu_mkdump("win10-x64", cmd, 1, 0, tu_data_path("mk_probe.dmp"), tu_data_path("mk_probe.json")) != 0)
        fail_msg("mkdump failed (%s)", cmd);
    doc = tj_parse_file(tu_data_path("mk_probe.json"));
    assert_non_null(doc);
    for (i = 0; i < tj_len(tj_get(tj_root(doc), "heaps")); i++) {
        const tj *b = tj_get(tj_at(tj_get(tj_root(doc), "heaps"), i), "blocks");
        for (k = 0; k < tj_len(b); k++) n += !strcmp(tj_str(tj_get(tj_at(b, k), "kind")), "pageheap");
    }
    tj_free(doc);
    unlink(tu_data_path("mk_probe.dmp"));
    unlink(tu_data_path("mk_probe.json"));
    if (!n) {
        print_message("[  SKIP    ] this mkdump writes no page heap blocks yet\n");
        skip();
    }
    run_matrix("pageheap.scn", seeds, "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_corruptions),
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_pageheap),
        cmocka_unit_test(test_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
