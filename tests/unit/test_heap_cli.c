/*
** test_heap_cli.c - the heap commands end to end: heaps, heap, blocks, stat, dt, check, and the
** heap attribution of `address --summary`.
**
** Ground truth: the same independent facts as test_heap_corpus.c (SOURCES.md and the reference's
** "verified on fizzbuzz_wow64.dmp" numbers), the seed's `!heap -s` column names, and internal
** consistency between commands (blocks --json summed == heaps --json totals; stat total == busy
** user bytes), never text copied from a run.
*/
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"
#include "tjson.h"

static tj_doc *run_json(tu_run *r, int want_status, const char *const *argv)
{
    tj_doc *doc;
    tu_heapdigv(r, argv);
    if (r->status != want_status) print_message("status %d, stderr: %s\n", r->status, r->err);
    assert_int_equal(r->status, want_status);
    doc = tj_parse(r->out);
    if (!doc) print_message("bad JSON (%s): %.300s\n", tj_error(), r->out);
    assert_non_null(doc);
    assert_int_equal(tj_kind(tj_get(tj_root(doc), "diagnostics")), TJ_ARR);
    return doc;
}

static const tj *heap_by_addr(const tj *heaps, uint64_t a)
{
    size_t i;
    for (i = 0; i < tj_len(heaps); i++)
        if (tj_u64(tj_get(tj_at(heaps, i), "address")) == a) return tj_at(heaps, i);
    fail_msg("heap 0x%llx not listed", (unsigned long long)a);
    return NULL;
}

static void test_heaps_json(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    const char *argv[] = {"heaps", "--json", path, NULL};
    tu_run r;
    tj_doc *doc;
    const tj *heaps, *h;
    size_t i;
    (void)state;
    doc = run_json(&r, 0, argv);
    heaps = tj_get(tj_root(doc), "heaps");
    assert_int_equal(tj_len(heaps), 6);
    for (i = 0; i < 6; i++) {
        h = tj_at(heaps, i);
        assert_string_equal(tj_str(tj_get(h, "kind")), "nt");
        assert_string_equal(tj_str(tj_get(h, "layout")), "win7");
        assert_int_equal(tj_kind(tj_get(h, "problems")), TJ_ARR);
        assert_int_equal(tj_len(tj_get(h, "problems")), 0);
        /* free bytes are a multiple of the granularity; busy_block_bytes >= busy_user_bytes */
        assert_true(tj_u64(tj_get(h, "busy_block_bytes")) >= tj_u64(tj_get(h, "busy_user_bytes")));
    }
    h = heap_by_addr(heaps, 0x700000);
    assert_string_equal(tj_str(tj_get(h, "arch")), "x86");
    assert_true(tj_bool(tj_get(h, "lfh")));
    assert_int_equal(tj_u64(tj_get(h, "free_blocks")), 4);               /* §2.6 */
    assert_int_equal(tj_u64(tj_get(h, "free_bytes")), 0x1A7 * 8);        /* TotalFreeSize 0x1A7 granules */
    assert_int_equal(tj_u64(tj_get(h, "virtual_blocks")), 1);            /* §5.1 */
    assert_int_equal(tj_u64(tj_get(h, "virtual_bytes")), 0xD4000);
    assert_int_equal(tj_u64(tj_get(h, "reserved")), 0x100000);           /* §2.5: TotalMemoryReserved */
    assert_int_equal(tj_u64(tj_get(h, "committed")), 0x14000);
    assert_non_null(strstr(tj_str(tj_get(h, "found_by")), "ProcessHeaps[0]"));
    h = heap_by_addr(heaps, 0x7EFE0000);
    assert_string_equal(tj_str(tj_get(h, "arch")), "x64");
    assert_non_null(strstr(tj_str(tj_get(h, "found_by")), "ReadOnlySharedMemoryBase"));
    assert_false(tj_bool(tj_get(h, "owned")));
    tj_free(doc);
    tu_free_run(&r);
}

static void test_heaps_text(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    tu_run r;
    (void)state;
    assert_int_equal(tu_heapdig(&r, "heaps", "--explain", path, NULL), 0);
    /* the seed's !heap -s columns */
    assert_non_null(strstr(r.out, "Flags   Reserv  Commit"));
    assert_non_null(strstr(r.out, "(k)"));
    assert_non_null(strstr(r.out, "length"));
    assert_non_null(strstr(r.out, "blocks cont. heap"));
    assert_non_null(strstr(r.out, "NtGlobalFlag"));
    assert_non_null(strstr(r.out, "LFH"));
    assert_non_null(strstr(r.out, "0x7b0db7db"));                 /* §6.4 RtlpLFHKey */
    assert_non_null(strstr(r.out, "Signature 0xEEFFEEFF at +0xa0"));   /* evidence shown */
    assert_non_null(strstr(r.out, "CSRSS shared heap"));
    tu_free_run(&r);
}

typedef struct sums { uint64_t busy, busy_user, free, freeb, virt, lfh, internal; } sums;

static void test_blocks_json_matches_totals(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    const char *argv[] = {"blocks", "--json", "--heap", "700000", path, NULL};
    tu_run r;
    tj_doc *doc;
    const tj *blocks;
    sums s;
    size_t i;
    hd_dump *d = NULL;
    const hd_heap *h;
    (void)state;
    memset(&s, 0, sizeof s);
    doc = run_json(&r, 0, argv);
    blocks = tj_get(tj_root(doc), "blocks");
    for (i = 0; i < tj_len(blocks); i++) {
        const tj *b = tj_at(blocks, i);
        const char *kind = tj_str(tj_get(b, "kind")), *st = tj_str(tj_get(b, "state"));
        assert_int_equal(tj_u64(tj_get(b, "heap")), 0x700000);
        assert_true(tj_u64(tj_get(b, "user_address")) > tj_u64(tj_get(b, "address")));
        if (!strcmp(kind, "internal")) { s.internal++; continue; }
        if (!strcmp(kind, "lfh")) s.lfh++;
        if (!strcmp(kind, "virtual")) s.virt++;
        if (!strcmp(st, "busy")) { s.busy++; s.busy_user += tj_u64(tj_get(b, "user_size")); }
        else if (!strcmp(kind, "backend")) { s.free++; s.freeb += tj_u64(tj_get(b, "size")); }
    }
    assert_int_equal(s.lfh, 254);
    assert_int_equal(s.free, 4);
    assert_int_equal(s.freeb, 0x1A7 * 8);
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    h = hd_heap_find(d, 0x700000);
    hd_heap_analyze(d, h);
    assert_int_equal(s.busy, h->totals.busy_blocks);
    assert_int_equal(s.busy_user, h->totals.busy_user_bytes);
    assert_int_equal(s.internal, h->totals.internal_blocks);
    hd_close(d);
    tj_free(doc);
    tu_free_run(&r);
}

static void test_blocks_filters(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    tu_run r;
    const char *p, *nl;
    size_t lines = 0;
    (void)state;
    /* 102 free LFH blocks (§6.5) */
    assert_int_equal(tu_heapdig(&r, "blocks", "--csv", "--free", "--kind", "lfh", path, NULL), 0);
    assert_true(!strncmp(r.out, "heap,address,user_address,size,user_size,state,kind", 51));
    for (p = r.out; (nl = strchr(p, '\n')) != NULL; p = nl + 1) lines++;
    assert_int_equal(lines, 1 + 102);
    tu_free_run(&r);
    /* --size: every line has that user size */
    assert_int_equal(tu_heapdig(&r, "blocks", "--json", "--busy", "--size", "0x20", path, NULL), 0);
    {
        tj_doc *doc = tj_parse(r.out);
        const tj *b = tj_get(tj_root(doc), "blocks");
        size_t i;
        assert_true(tj_len(b) > 0);
        for (i = 0; i < tj_len(b); i++) {
            assert_int_equal(tj_u64(tj_get(tj_at(b, i), "user_size")), 0x20);
            assert_string_equal(tj_str(tj_get(tj_at(b, i), "state")), "busy");
        }
        tj_free(doc);
    }
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "blocks", "--busy", "--free", path, NULL), 2);
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "blocks", "--kind", "nonsense", path, NULL), 2);
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "blocks", "--heap", "1234", path, NULL), 2);
    tu_free_run(&r);
}

static void test_stat(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    const char *argv[] = {"stat", "--json", "--heap", "0x460000", "--max", "0", path, NULL};
    tu_run r;
    tj_doc *doc;
    const tj *g;
    uint64_t total = 0, count = 0;
    size_t i;
    hd_dump *d = NULL;
    const hd_heap *h;
    (void)state;
    doc = run_json(&r, 0, argv);
    g = tj_get(tj_root(doc), "groups");
    for (i = 0; i < tj_len(g); i++) {
        const tj *x = tj_at(g, i);
        assert_int_equal(tj_u64(tj_get(x, "total")), tj_u64(tj_get(x, "user_size")) * tj_u64(tj_get(x, "count")));
        if (i) assert_true(tj_u64(tj_get(x, "total")) <= tj_u64(tj_get(tj_at(g, i - 1), "total")));
        total += tj_u64(tj_get(x, "total"));
        count += tj_u64(tj_get(x, "count"));
    }
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    h = hd_heap_find(d, 0x460000);
    hd_heap_analyze(d, h);
    assert_int_equal(total, h->totals.busy_user_bytes);
    assert_int_equal(count, h->totals.busy_blocks);
    assert_int_equal(tj_u64(tj_get(tj_root(doc), "busy_bytes")), total);
    hd_close(d);
    tj_free(doc);
    tu_free_run(&r);
}

static void test_heap_detail(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    const char *argv[] = {"heap", "--json", path, "700000", NULL};
    tu_run r;
    tj_doc *doc;
    const tj *h, *va, *seg;
    (void)state;
    doc = run_json(&r, 0, argv);
    h = tj_get(tj_root(doc), "heap");
    assert_int_equal(tj_u64(tj_get(h, "granularity")), 8);
    assert_int_equal(tj_u64(tj_get(h, "total_free_size")), 0x1A7);
    seg = tj_at(tj_get(h, "segments"), 0);
    assert_int_equal(tj_u64(tj_get(seg, "address")), 0x700000);
    assert_int_equal(tj_u64(tj_get(seg, "end")), 0x800000);
    assert_int_equal(tj_u64(tj_get(tj_at(tj_get(seg, "ucrs"), 0), "address")), 0x714000);
    va = tj_at(tj_get(h, "virtual_blocks"), 0);
    assert_int_equal(tj_u64(tj_get(va, "va_entry")), 0xE0000);
    assert_int_equal(tj_u64(tj_get(va, "commit_size")), 0xD4000);
    assert_int_equal(tj_u64(tj_get(va, "user_size")), 0xD3D28);
    assert_int_equal(tj_len(tj_get(h, "lfh_buckets")), 3);
    tj_free(doc);
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "heap", path, "700000", NULL), 0);
    assert_non_null(strstr(r.out, "Virtual Alloc List:"));
    assert_non_null(strstr(r.out, "Granularity:          8 bytes"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "heap", path, "12340000", NULL), 2);
    tu_free_run(&r);
}

static void test_dt_and_check(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    tu_run r;
    (void)state;
    assert_int_equal(tu_heapdig(&r, "dt", path, "_HEAP", "500000", NULL), 0);
    assert_non_null(strstr(r.out, "+0x118 VirtualAllocdBlocks"));   /* the seed's dt nt!_HEAP */
    assert_non_null(strstr(r.out, "+0x128 SegmentList"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "dt", path, "_HEAP_VIRTUAL_ALLOC_ENTRY", "e0000", NULL), 0);
    assert_non_null(strstr(r.out, "+0x010 CommitSize"));
    assert_non_null(strstr(r.out, "0x000d4000"));
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "dt", path, "_NOPE", "0", NULL), 2);
    assert_non_null(strstr(r.err, "_HEAP_VIRTUAL_ALLOC_ENTRY"));   /* the list of known types */
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "check", path, NULL), 0);
    assert_null(strstr(r.out, "MISMATCH"));
    assert_non_null(strstr(r.out, "TotalFreeSize"));
    tu_free_run(&r);
}

static void test_exit_codes(void **state)
{
    tu_run r;
    const char *p;
    (void)state;
    if ((p = tu_corpus("sigsegv.dmp")) != NULL) {
        assert_int_equal(tu_heapdig(&r, "heaps", p, NULL), 1);   /* listed, memory not captured */
        assert_non_null(strstr(r.out, "memory not captured"));
        tu_free_run(&r);
        assert_int_equal(tu_heapdig(&r, "blocks", p, NULL), 2); /* nothing to walk */
        tu_free_run(&r);
    }
    if ((p = tu_corpus("fizzbuzz_no_heap.dmp")) != NULL) {
        assert_int_equal(tu_heapdig(&r, "heaps", p, NULL), 2);   /* no PEB: nothing to say */
        tu_free_run(&r);
    }
    if ((p = tu_corpus("win11_x86_partial_heap.dmp")) != NULL) {
        assert_int_equal(tu_heapdig(&r, "check", p, NULL), 1);   /* partial */
        assert_non_null(strstr(r.out, "PARTIAL"));
        tu_free_run(&r);
    }
    assert_int_equal(tu_heapdig(&r, "heaps", "--help", NULL), 0);
    tu_free_run(&r);
    assert_int_equal(tu_heapdig(&r, "heaps", "/nonexistent.dmp", NULL), 2);
    tu_free_run(&r);
}

static void test_address_summary_heap(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    tu_run r;
    (void)state;
    /* the VirtualAlloc'd _LFH_HEAP block at 0xE0000 (0xD4000 bytes) is heap memory */
    assert_int_equal(tu_heapdig(&r, "address", "--address", "e0000", path, NULL), 0);
    assert_non_null(strstr(r.out, "Heap"));
    assert_non_null(strstr(r.out, "VirtualAlloc"));
    tu_free_run(&r);
    /* the CSRSS shared heap is not the process' heap memory */
    assert_int_equal(tu_heapdig(&r, "address", "--address", "7efe0000", path, NULL), 0);
    assert_null(strstr(r.out, " Heap "));
    tu_free_run(&r);
}

/* blocks --json marks with "captured": false the blocks whose header is in the dump but whose
** bytes run into memory left out of it.  Ground truth: mkdump's truncated-range scenario, whose
** manifest marks every block that is not wholly captured and gives the first missing byte in its
** corruption entry; the walk can list only those whose header lies before that byte. */
static void test_blocks_partly_captured(void **state)
{
    const char *dmp = tu_data_path("cli_trunc.dmp"), *man = tu_data_path("cli_trunc.json");
    char scn[1024];
    tj_doc *md, *jd;
    const tj *heaps, *blocks;
    uint64_t cut;
    size_t i, k, want = 0, got = 0;
    tu_run r;
    (void)state;
    snprintf(scn, sizeof scn, "%s/tests/data/heap/corrupt-truncated-range.scn", HD_SOURCE_DIR);
    assert_int_equal(tu_mkdump("win10-x64", scn, 1, 0, dmp, man), 0);
    assert_non_null(md = tj_parse_file(man));
    cut = tj_u64(tj_path(tj_root(md), "corruptions", "0", "address", NULL));
    assert_true(cut != 0);
    assert_int_equal(tu_heapdig(&r, "blocks", "--json", dmp, NULL), 1);   /* damage: partial */
    assert_non_null(jd = tj_parse(r.out));
    blocks = tj_get(tj_root(jd), "blocks");
    heaps = tj_get(tj_root(md), "heaps");
    for (i = 0; i < tj_len(heaps); i++) {
        const tj *mb = tj_get(tj_at(heaps, i), "blocks");
        for (k = 0; k < tj_len(mb); k++) {
            const tj *b = tj_at(mb, k), *c = tj_get(b, "captured");
            if (c && tj_kind(c) == TJ_BOOL && !tj_bool(c) && tj_u64(tj_get(b, "address")) < cut) want++;
        }
    }
    for (i = 0; i < tj_len(blocks); i++) {
        const tj *b = tj_at(blocks, i), *c = tj_get(b, "captured");
        if (!c) continue;
        assert_int_equal(tj_kind(c), TJ_BOOL);
        assert_false(tj_bool(c));
        assert_true(tj_u64(tj_get(b, "address")) < cut);
        assert_true(tj_u64(tj_get(b, "address")) + tj_u64(tj_get(b, "size")) > cut);
        got++;
    }
    assert_true(want >= 1);
    assert_int_equal(got, want);
    tj_free(jd);
    tj_free(md);
    tu_free_run(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heaps_json),
        cmocka_unit_test(test_heaps_text),
        cmocka_unit_test(test_blocks_json_matches_totals),
        cmocka_unit_test(test_blocks_filters),
        cmocka_unit_test(test_stat),
        cmocka_unit_test(test_heap_detail),
        cmocka_unit_test(test_dt_and_check),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_address_summary_heap),
        cmocka_unit_test(test_blocks_partly_captured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
