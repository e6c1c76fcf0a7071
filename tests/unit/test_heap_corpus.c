/*
** test_heap_corpus.c - the heap layer on the real dumps of ../shared/corpus.
**
** Ground truth, all independent of heapdig:
**   - ../shared/corpus/SOURCES.md (heap handles, flags, what memory each dump holds);
**   - ../shared/reference/nt-heap-layouts.md facts tagged "verified on fizzbuzz_wow64.dmp", which
**     an independent checker established on that dump: 403 back-end blocks in the six heaps (§3.1),
**     header block 0xA80 / 0x588 bytes (§2.1), 0x700000 has 4 free blocks = 0x1A7 granules (§2.6),
**     254 LFH blocks, 152 busy / 102 free (§6.5), RtlpLFHKey 0x7B0DB7DB (§6.4), the VA block at
**     0xE0000 (CommitSize 0xD4000, BusyBlock Size 0x2D8, user 0xE0020, user size 0xD3D28, §5.1),
**     the UCR descriptor block 0x507FC0 -> descriptor 0x507FD0 -> UCR 0x508000 (§4.1), the
**     zero-size UCR of heap 0x20000 at 0x30000 (§4.1), the CSRSS shared heap at
**     ReadOnlySharedMemoryBase 0x7EFE0000 with Flags 0x7008 (§1.2);
**   - the dump's own bookkeeping (TotalFreeSize, _HEAP_COUNTERS) for the reconciliation;
**   - the seed's WinDbg `dt nt!_HEAP` (Win7 x64: VirtualAllocdBlocks +0x118, SegmentList +0x128)
**     for the dt offsets.
*/
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapdig.h"

static const hd_heap *find(hd_dump *d, uint64_t a)
{
    const hd_heap *h = hd_heap_find(d, a);
    assert_non_null(h);
    return h;
}

typedef struct counts {
    uint64_t backend, lfh, lfh_busy, lfh_free, va, damaged, bad_checksum;
    uint64_t prev_addr, out_of_order;
    int saw_ucr_block;
} counts;

static int count_cb(void *user, const hd_block *b)
{
    counts *c = user;
    if (b->damaged) c->damaged++;
    if (b->kind == HD_BLOCK_LFH) {
        c->lfh++;
        if (b->state == HD_BLOCK_BUSY) c->lfh_busy++; else c->lfh_free++;
    } else if (b->va_entry) {
        c->va++;
    } else {
        c->backend++;
        /* checksum of the decoded header (§3.2) */
        if (b->hdr_small_tag_index != (uint8_t)((b->hdr_size & 0xFF) ^ (b->hdr_size >> 8) ^ b->hdr_flags)) c->bad_checksum++;
        if (b->address == 0x507FC0) {
            assert_int_equal(b->hdr_unused_bytes, 0x03);
            assert_int_equal(b->user_address, 0x507FD0);
            assert_int_equal(b->kind, HD_BLOCK_INTERNAL);
            c->saw_ucr_block = 1;
        }
    }
    if (!b->va_entry && b->address < c->prev_addr) c->out_of_order++;
    if (!b->va_entry) c->prev_addr = b->address;
    return 0;
}

static void test_fizzbuzz_discovery(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    size_t i, nt = 0;
    const hd_heap *h;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    for (i = 0; i < hd_heap_count(d); i++) {
        h = hd_heap_at(d, i);
        assert_int_equal(h->kind, HD_HEAP_NT);
        assert_string_equal(h->layout, "win7");
        assert_true(h->score == h->score_max);
        nt++;
    }
    assert_int_equal(nt, 6);   /* 3 in PEB64, 2 in PEB32, the CSRSS shared heap */
    h = find(d, 0x500000);
    assert_int_equal(h->ptr_size, 8);
    assert_int_equal(h->flags, 0x2);
    assert_true(h->found_by & HD_FOUND_PEB_LIST);
    assert_true(h->found_by & HD_FOUND_PROCESS_HEAP);
    assert_int_equal(h->peb_slot, 0);
    assert_true(h->owned);
    h = find(d, 0x10000);
    assert_int_equal(h->flags, 0x8000);
    h = find(d, 0x20000);
    assert_int_equal(h->flags, 0x8000);
    h = find(d, 0x700000);
    assert_int_equal(h->ptr_size, 4);
    assert_int_equal(h->flags, 0x2);
    assert_int_equal(h->front_end_type, 2);
    assert_int_equal(h->peb_slot, 0);
    h = find(d, 0x460000);
    assert_int_equal(h->ptr_size, 4);
    assert_int_equal(h->flags, 0x1002);
    assert_int_equal(h->peb_slot, 1);
    /* the CSRSS shared heap: in no list, found at ReadOnlySharedMemoryBase, not the process' */
    h = find(d, 0x7EFE0000);
    assert_int_equal(h->ptr_size, 8);
    assert_int_equal(h->flags, 0x7008);
    assert_true(h->found_by & HD_FOUND_RO_SHARED);
    assert_false(h->found_by & HD_FOUND_PEB_LIST);
    assert_int_equal(h->peb_slot, -1);
    assert_false(h->owned);
    assert_non_null(strstr(h->label, "CSRSS shared heap"));
    assert_non_null(strstr(h->label, "not owned"));
    hd_close(d);
}

static void test_fizzbuzz_walk(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    size_t i, k;
    counts all;
    uint64_t backend_total = 0;
    (void)state;
    memset(&all, 0, sizeof all);
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    for (i = 0; i < hd_heap_count(d); i++) {
        const hd_heap *h = hd_heap_at(d, i);
        uint64_t committed = 0;
        counts c;
        memset(&c, 0, sizeof c);
        assert_int_equal(hd_heap_walk(d, h, count_cb, &c), HD_OK);
        assert_true(h->analyzed);
        assert_false(h->partial);
        assert_int_equal(c.damaged, 0);
        assert_int_equal(c.bad_checksum, 0);
        assert_int_equal(c.out_of_order, 0);
        assert_int_equal(h->totals.damaged, 0);
        /* segments tile their committed ranges exactly */
        for (k = 0; k < h->segment_count; k++) committed += h->segments[k].committed;
        assert_int_equal(h->totals.walked_bytes, committed);
        /* free bytes == TotalFreeSize (granules) */
        assert_int_equal(h->totals.free_bytes, h->counters.total_free_size * h->granularity);
        /* the counters (§2.5: exact on Win7) */
        assert_int_equal(h->counters.total_memory_committed, committed);
        assert_int_equal(h->counters.total_size_in_virtual_blocks, h->totals.virtual_bytes);
        assert_int_equal(h->counters.total_segments, h->segment_count);
        /* every reconciliation holds */
        for (k = 0; k < h->check_count; k++) {
            if (!h->checks[k].ok) print_message("heap 0x%llx: %s\n", (unsigned long long)h->address, h->checks[k].name);
            assert_true(h->checks[k].ok);
        }
        assert_int_equal(h->totals.free_list_entries, h->totals.free_blocks);
        backend_total += c.backend;
        all.lfh += c.lfh;
        all.lfh_busy += c.lfh_busy;
        all.lfh_free += c.lfh_free;
        all.va += c.va;
        all.saw_ucr_block |= c.saw_ucr_block;
    }
    assert_int_equal(backend_total, 403);
    assert_int_equal(all.lfh, 254);
    assert_int_equal(all.lfh_busy, 152);
    assert_int_equal(all.lfh_free, 102);
    assert_int_equal(all.va, 1);
    assert_true(all.saw_ucr_block);
    assert_true(hd_diag_worst(d) < HD_SEV_WARN);
    hd_close(d);
}

typedef struct first { hd_block b; int n; } first;
static int first_cb(void *user, const hd_block *b)
{
    first *f = user;
    if (f->n++ == 0) f->b = *b;
    return 1;   /* stop after the first block */
}

static void test_fizzbuzz_details(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_heap *h;
    hd_block b;
    first f;
    size_t k;
    int zero_ucr = 0;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    /* header blocks (§2.1): 0xA80 x64, 0x588 x86; stopping the walk early works */
    memset(&f, 0, sizeof f);
    assert_int_equal(hd_heap_walk(d, find(d, 0x500000), first_cb, &f), HD_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.b.address, 0x500000);
    assert_int_equal(f.b.size, 0xA80);
    assert_int_equal(f.b.kind, HD_BLOCK_INTERNAL);
    memset(&f, 0, sizeof f);
    hd_heap_walk(d, find(d, 0x700000), first_cb, &f);
    assert_int_equal(f.b.size, 0x588);
    /* 0x700000: 4 free blocks, TotalFreeSize 0x1A7 (§2.6) */
    h = find(d, 0x700000);
    hd_heap_analyze(d, h);
    assert_int_equal(h->totals.free_blocks, 4);
    assert_int_equal(h->counters.total_free_size, 0x1A7);
    assert_int_equal(h->totals.lfh_blocks, 254);
    assert_true(h->lfh_key_known);
    assert_int_equal(h->lfh_key, 0x7B0DB7DB);
    /* the VA block (§5.1): found by address like !heap -p -a */
    assert_int_equal(hd_heap_block_at(d, 0xE0030, &b), HD_OK);
    assert_int_equal(b.heap->address, 0x700000);
    assert_int_equal(b.va_entry, 0xE0000);
    assert_int_equal(b.address, 0xE0018);
    assert_int_equal(b.user_address, 0xE0020);
    assert_int_equal(b.commit_size, 0xD4000);
    assert_int_equal(b.reserve_size, 0xD4000);
    assert_int_equal(b.size, 0xD4000);
    assert_int_equal(b.user_size, 0xD3D28);
    assert_int_equal(b.hdr_size, 0x2D8);
    assert_int_equal(b.hdr_flags, 0x0B);
    assert_int_equal(b.hdr_unused_bytes, 4);
    assert_int_equal(b.hdr_previous_size, 0);
    assert_int_equal(h->totals.virtual_blocks, 1);
    assert_int_equal(h->totals.virtual_bytes, 0xD4000);
    /* an LFH block found by address is the LFH block, not its container */
    assert_int_equal(hd_heap_block_at(d, 0x70bcd0, &b), HD_OK);
    assert_int_equal(b.kind, HD_BLOCK_LFH);
    assert_int_equal(b.address, 0x70bcc8);
    assert_int_equal(hd_heap_block_at(d, 0x12345678, &b), HD_ENOTFOUND);
    /* the zero-size UCR of heap 0x20000 at LastValidEntry 0x30000 (§4.1) */
    h = find(d, 0x20000);
    for (k = 0; k < h->segments[0].ucr_count; k++)
        if (h->segments[0].ucrs[k].address == 0x30000 && h->segments[0].ucrs[k].size == 0) zero_ucr = 1;
    assert_true(zero_ucr);
    assert_int_equal(h->segments[0].uncommitted_ranges, 1);
    hd_close(d);
}

static const hd_dt_row *row(const hd_dt_row *rows, size_t n, const char *name)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!strcmp(rows[i].name, name)) return &rows[i];
    fail_msg("no field %s", name);
    return NULL;
}

static void test_fizzbuzz_dt(void **state)
{
    TU_CORPUS_OR_SKIP(path, "fizzbuzz_wow64.dmp");
    hd_dump *d = NULL;
    const hd_dt_row *rows;
    size_t n;
    const char *layout;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    /* the seed's `dt nt!_HEAP` on Win7 x64: VirtualAllocdBlocks +0x118, SegmentList +0x128 */
    assert_int_equal(hd_dt(d, "_HEAP", 0x500000, 0, &rows, &n, &layout), HD_OK);
    assert_int_equal(row(rows, n, "VirtualAllocdBlocks")->offset, 0x118);
    assert_int_equal(row(rows, n, "SegmentList")->offset, 0x128);
    assert_int_equal(row(rows, n, "SegmentList")->value, 0x500018);   /* segment 0's link (§4.2) */
    assert_int_equal(row(rows, n, "Signature")->value, 0xEEFFEEFF);
    /* the seed's `dt nt!_HEAP_VIRTUAL_ALLOC_ENTRY` x64: CommitSize +0x20, BusyBlock +0x30 */
    assert_int_equal(hd_dt(d, "_HEAP_VIRTUAL_ALLOC_ENTRY", 0xE0000, 8, &rows, &n, &layout), HD_OK);
    assert_int_equal(row(rows, n, "CommitSize")->offset, 0x20);
    assert_int_equal(row(rows, n, "BusyBlock")->offset, 0x30);
    /* the same entry read as x86 (§5.1): CommitSize +0x10 = 0xD4000 */
    assert_int_equal(hd_dt(d, "_HEAP_VIRTUAL_ALLOC_ENTRY", 0xE0000, 0, &rows, &n, &layout), HD_OK);
    assert_int_equal(row(rows, n, "CommitSize")->offset, 0x10);
    assert_int_equal(row(rows, n, "CommitSize")->value, 0xD4000);
    assert_int_equal(row(rows, n, "Entry")->value, 0x7000A0);
    /* the PEB32 (§1.2 x86 offsets) */
    assert_int_equal(hd_dt(d, "_PEB", 0x7EFDE000, 0, &rows, &n, &layout), HD_OK);
    assert_int_equal(row(rows, n, "ProcessHeap")->value, 0x700000);
    assert_int_equal(row(rows, n, "NumberOfHeaps")->value, 2);
    assert_int_equal(hd_dt(d, "_NO_SUCH_TYPE", 0, 0, &rows, &n, &layout), HD_ENOTFOUND);
    hd_close(d);
}

static void test_win11_partial(void **state)
{
    TU_CORPUS_OR_SKIP(path, "win11_x86_partial_heap.dmp");
    hd_dump *d = NULL;
    const hd_heap *h;
    size_t i, nt = 0;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    /* SOURCES.md: ProcessHeap 0x22E0000, PEB lists one heap, only 1280 header bytes captured;
    ** the reference (§1.4, §2.3) says the 1809+ x86 layout holds on 26200 and a scan finds two
    ** more NT heaps. */
    h = find(d, 0x22E0000);
    assert_int_equal(h->kind, HD_HEAP_NT);
    assert_int_equal(h->ptr_size, 4);
    assert_string_equal(h->layout, "win11_24h2");
    assert_true(h->found_by & HD_FOUND_PROCESS_HEAP);
    assert_int_equal(hd_heap_analyze(d, h), HD_OK);
    assert_true(h->partial);
    for (i = 0; i < hd_heap_count(d); i++) {
        h = hd_heap_at(d, i);
        if (h->kind != HD_HEAP_NT) continue;
        nt++;
        assert_string_equal(h->layout, "win11_24h2");
        hd_heap_analyze(d, h);
        assert_true(h->partial);
        assert_true(h->totals.missing_bytes > 0);
    }
    assert_int_equal(nt, 3);
    hd_close(d);
}

static void test_sigsegv(void **state)
{
    TU_CORPUS_OR_SKIP(path, "sigsegv.dmp");
    hd_dump *d = NULL;
    size_t i;
    (void)state;
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    /* SOURCES.md: the PEB lists 2 heaps whose memory is not in the dump */
    assert_int_equal(hd_heap_count(d), 2);
    for (i = 0; i < 2; i++) {
        const hd_heap *h = hd_heap_at(d, i);
        assert_int_equal(h->kind, HD_HEAP_UNREADABLE);
        assert_true(h->found_by & HD_FOUND_PEB_LIST);
        assert_true(h->problem_count > 0);
        assert_non_null(strstr(h->problems[0], "not captured"));
        assert_int_equal(hd_heap_walk(d, h, NULL, NULL), HD_EUNSUPPORTED);
    }
    hd_close(d);
}

/* The Wine dump is xz-compressed in the corpus: unpack it into the build tree once. */
static const char *wine_dump(void)
{
    static char out[1024];
    const char *xz = tu_corpus("wine8_x64_full.dmp.xz");
    char cmd[8192];
    FILE *f;
    if (!xz) return NULL;
    snprintf(out, sizeof out, "%s", tu_data_path("wine8_x64_full.dmp"));
    if ((f = fopen(out, "rb")) != NULL) {
        fclose(f);
        return out;
    }
    snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s.tmp' && mv '%s.tmp' '%s'", xz, out, out, out);
    if (system(cmd) != 0) return NULL;
    return out;
}

static void test_wine(void **state)
{
    const char *path = wine_dump();
    hd_dump *d = NULL;
    size_t i, rejected = 0;
    int saw[4] = {0};
    static const uint64_t fake[4] = {0x340000, 0x14A0000, 0x10A0000, 0xC80000};
    (void)state;
    if (!path) {
        print_message("[  SKIP    ] wine8_x64_full.dmp.xz not found or xz failed\n");
        skip();
    }
    assert_int_equal(hd_open(path, NULL, &d), HD_OK);
    /* SOURCES.md: 0x340000, 0x14A0000, 0x10A0000, 0xC80000 carry 0xFFEEFFEE at +0x10 but are not
    ** NT heaps (Heap/BaseAddress 0, no 0xEEFFEEFF at any offset).  No candidate may be accepted. */
    for (i = 0; i < hd_heap_count(d); i++) {
        const hd_heap *h = hd_heap_at(d, i);
        size_t k;
        assert_int_equal(h->kind, HD_HEAP_NOT_A_HEAP);
        assert_true(h->problem_count > 0);
        assert_true(h->evidence_count > 0);
        rejected++;
        for (k = 0; k < 4; k++) if (h->address == fake[k]) saw[k] = 1;
    }
    for (i = 0; i < 4; i++) assert_true(saw[i]);
    assert_true(rejected >= 4);
    {
        const hd_heap *h = find(d, 0x340000);
        int heap_fail = 0, sig_fail = 0;
        assert_true(h->found_by & HD_FOUND_PROCESS_HEAP);
        for (i = 0; i < h->evidence_count; i++) {
            const hd_heap_evidence *e = &h->evidence[i];
            if (strstr(e->check, "Heap (+0x28) == handle") && e->passed == 0) heap_fail = 1;
            if (strstr(e->check, "Signature 0xEEFFEEFF") && e->passed == 0) sig_fail++;
        }
        assert_true(heap_fail);
        assert_int_equal(sig_fail, 4);   /* no candidate layout's Signature holds */
    }
    hd_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fizzbuzz_discovery),
        cmocka_unit_test(test_fizzbuzz_walk),
        cmocka_unit_test(test_fizzbuzz_details),
        cmocka_unit_test(test_fizzbuzz_dt),
        cmocka_unit_test(test_win11_partial),
        cmocka_unit_test(test_sigsegv),
        cmocka_unit_test(test_wine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
